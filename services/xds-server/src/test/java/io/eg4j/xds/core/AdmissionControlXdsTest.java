package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.CredentialInjectionIr;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.traffic.AdmissionControlIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.filters.http.admission_control.v3.AdmissionControl;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Admission control in Envoy's cluster config, as Envoy Gateway sends it: an upstream filter of the
 * cluster's HTTP protocol options, before the codec that ends the chain, enabled, with only the
 * settings the policy sets (Envoy's defaults for the rest) and success criteria always present.
 */
class AdmissionControlXdsTest {
  private static final String OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  private static final String CODEC =
      "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec";

  private static Cluster cluster(
      String protocol, AdmissionControlIr ac, CredentialInjectionIr credential) {
    DestinationSettingIr s =
        new DestinationSettingIr(
            "httproute/default/r/rule/0/backend/0",
            1,
            protocol,
            "IP",
            List.of(new EndpointIr("10.0.0.1", 8080)),
            null,
            null,
            null,
            credential);
    return ClusterXdsTranslator.cluster(
        new ClusterXdsTranslator.ClusterRef(
            "httproute/default/r/rule/0",
            1,
            s,
            List.of(),
            ac == null ? null : ClusterSettingsIr.NONE.withAdmissionControl(ac)));
  }

  private static HttpProtocolOptions options(Cluster c) throws Exception {
    return c.getTypedExtensionProtocolOptionsOrThrow(OPTIONS).unpack(HttpProtocolOptions.class);
  }

  @Test
  void everySettingMapsToEnvoysField() throws Exception {
    AdmissionControlIr ac =
        new AdmissionControlIr(
            new DurationIr(90_000), 90, 2, 10, 70, List.of(200, 204), List.of(0, 4));
    HttpProtocolOptions h = options(cluster("GRPC", ac, null));
    // The backend's own protocol options stay: HTTP/2 for gRPC.
    assertThat(h.getExplicitHttpConfig().hasHttp2ProtocolOptions()).isTrue();
    assertThat(h.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.admission_control", CODEC);
    AdmissionControl a = h.getHttpFilters(0).getTypedConfig().unpack(AdmissionControl.class);
    assertThat(a.getEnabled().getDefaultValue().getValue()).isTrue();
    assertThat(a.getSamplingWindow().getSeconds()).isEqualTo(90);
    assertThat(a.getSrThreshold().getDefaultValue().getValue()).isEqualTo(90.0);
    assertThat(a.getAggression().getDefaultValue()).isEqualTo(2.0);
    assertThat(a.getRpsThreshold().getDefaultValue()).isEqualTo(10);
    assertThat(a.getMaxRejectionProbability().getDefaultValue().getValue()).isEqualTo(70.0);
    // Each status code is its own range [code, code + 1).
    assertThat(a.getSuccessCriteria().getHttpCriteria().getHttpSuccessStatusList())
        .containsExactly(
            Int32Range.newBuilder().setStart(200).setEnd(201).build(),
            Int32Range.newBuilder().setStart(204).setEnd(205).build());
    assertThat(a.getSuccessCriteria().getGrpcCriteria().getGrpcSuccessStatusList())
        .containsExactly(0, 4);
  }

  @Test
  void settingsLeftOutKeepEnvoysDefaults() throws Exception {
    HttpProtocolOptions h =
        options(
            cluster(
                "HTTP",
                new AdmissionControlIr(null, null, null, null, null, List.of(), List.of()),
                null));
    // A plain HTTP/1.1 backend gets explicit HTTP/1.1 options to carry the filter.
    assertThat(h.getExplicitHttpConfig().hasHttpProtocolOptions()).isTrue();
    AdmissionControl a = h.getHttpFilters(0).getTypedConfig().unpack(AdmissionControl.class);
    assertThat(a.hasSamplingWindow()).isFalse();
    assertThat(a.hasSrThreshold()).isFalse();
    assertThat(a.hasAggression()).isFalse();
    assertThat(a.hasRpsThreshold()).isFalse();
    assertThat(a.hasMaxRejectionProbability()).isFalse();
    // Envoy requires an evaluation criterion: empty criteria select its defaults.
    assertThat(a.hasSuccessCriteria()).isTrue();
    assertThat(a.getSuccessCriteria().hasHttpCriteria()).isFalse();
  }

  @Test
  void withACredentialInjectorTheCodecStaysLastAndAlone() throws Exception {
    HttpProtocolOptions h =
        options(
            cluster(
                "HTTP",
                new AdmissionControlIr(null, 95, null, null, null, List.of(), List.of()),
                new CredentialInjectionIr("httproutefilter/default/f", null, false, "dG9r")));
    assertThat(h.getHttpFiltersList())
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.admission_control",
            "envoy.filters.http.credential_injector/httproutefilter/default/f",
            CODEC);
  }

  @Test
  void noAdmissionControlNoUpstreamFilter() {
    assertThat(cluster("HTTP", null, null).getTypedExtensionProtocolOptionsMap()).isEmpty();
  }
}
