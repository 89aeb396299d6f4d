package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.RouteDestinationIr.UpstreamTlsIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.extension.ExtensionIr.ExtProcIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An external processor whose backendRefs differ in TLS (one verified with its own CA, one in plain
 * text) is one cluster, as Envoy Gateway serves it: each backendRef is a locality, the TLS one has
 * a transport socket match of its own that its endpoints name in their metadata, and the plain
 * one's endpoints name nothing, so Envoy reaches them with the cluster's default (plain) socket.
 */
class ExtProcMixedTlsXdsTest {
  private static final String CLUSTER = "envoyextensionpolicy/default/proc/extproc/0";
  private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  private static DestinationSettingIr backend(int index, int port, UpstreamTlsIr tls) {
    return new DestinationSettingIr(
        CLUSTER + "/backend/" + index,
        1,
        "GRPC",
        "IP",
        List.of(new EndpointIr("127.0.0.1", port)),
        tls);
  }

  /** A route calling one processor with {@code settings} as its backendRefs. */
  private static XdsIr ir(List<DestinationSettingIr> settings) {
    RouteDestinationIr processor = new RouteDestinationIr(CLUSTER, settings);
    ExtProcIr p =
        new ExtProcIr(
            "envoyextensionpolicy/default/proc/extproc/0",
            processor,
            "proc-plain.default:9000",
            DurationIr.parse("10s"),
            null,
            false,
            true,
            null,
            List.of(),
            false,
            null,
            List.of(),
            false,
            List.of(),
            List.of(),
            null,
            false,
            0);
    HttpRouteIr route =
        Ir.route("r")
            .to(Ir.dest("httproute/default/app/rule/0", "HTTP", 8080))
            .build()
            .withExtensions(
                new ExtensionIr("envoyextensionpolicy/default/proc", List.of(), List.of(p)));
    HttpListenerIr listener =
        new HttpListenerIr(
            "default/eg/http", "0.0.0.0", 10080, 80, List.of("*"), null, List.of(route), null);
    return new XdsIr("default/eg", List.of(listener), List.of(), List.of(), List.of());
  }

  private static Cluster cluster(XdsIr ir) {
    return new ClusterXdsTranslator()
        .translate(ir).stream().filter(c -> c.getName().equals(CLUSTER)).findFirst().orElseThrow();
  }

  private static ClusterLoadAssignment assignment(XdsIr ir) {
    return new EndpointXdsTranslator()
        .translate(ir).stream()
            .filter(c -> c.getClusterName().equals(CLUSTER))
            .findFirst()
            .orElseThrow();
  }

  /** The transport socket match name the endpoints of {@code locality} carry, or null. */
  private static String matchName(LocalityLbEndpoints locality) {
    var meta = locality.getLbEndpoints(0).getMetadata().getFilterMetadataMap();
    var m = meta.get("envoy.transport_socket_match");
    return m == null ? null : m.getFieldsOrThrow("name").getStringValue();
  }

  @Test
  void aPlainAndATlsProcessorShareOneClusterWithATransportSocketPerEndpoint() throws Exception {
    XdsIr ir =
        ir(
            List.of(
                backend(0, 9000, null),
                backend(1, 9443, UpstreamTlsIr.verified("proc.test", CA, List.of()))));
    Cluster c = cluster(ir);
    // The plain backend's endpoints fall back to the cluster's default socket: plain text.
    assertThat(c.hasTransportSocket()).isFalse();
    assertThat(c.getTransportSocketMatchesList()).hasSize(1);
    Cluster.TransportSocketMatch m = c.getTransportSocketMatches(0);
    assertThat(m.getName()).isEqualTo(CLUSTER + "/tls/1");
    assertThat(m.getMatch().getFieldsOrThrow("name").getStringValue()).isEqualTo(m.getName());
    UpstreamTlsContext tls =
        m.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertThat(tls.getSni()).isEqualTo("proc.test");
    String caSecret =
        tls.getCommonTlsContext()
            .getCombinedValidationContext()
            .getValidationContextSdsSecretConfig()
            .getName();
    assertThat(caSecret).isNotEmpty();
    // gRPC to both backends: HTTP/2.
    assertThat(c.getTypedExtensionProtocolOptionsMap())
        .containsKey("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");

    ClusterLoadAssignment cla = assignment(ir);
    assertThat(cla.getEndpointsList()).hasSize(2);
    for (LocalityLbEndpoints l : cla.getEndpointsList()) {
      int port = l.getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getPortValue();
      if (port == 9443) {
        assertThat(matchName(l)).isEqualTo(CLUSTER + "/tls/1");
      } else {
        assertThat(port).isEqualTo(9000);
        assertThat(matchName(l)).isNull();
      }
    }
    // The TLS backend's CA is served over SDS under the name its socket reads.
    List<Secret> secrets = new SecretXdsTranslator().translate(ir);
    assertThat(secrets)
        .filteredOn(s -> s.getName().equals(caSecret))
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.getValidationContext().getTrustedCa().getInlineString())
                    .isEqualTo(CA));
  }

  @Test
  void twoTlsProcessorsEachVerifyWithTheirOwnSocket() throws Exception {
    String otherCa = CA.replace("MIIB", "MIIC");
    XdsIr ir =
        ir(
            List.of(
                backend(0, 9443, UpstreamTlsIr.verified("a.test", CA, List.of())),
                backend(1, 9444, UpstreamTlsIr.verified("b.test", otherCa, List.of()))));
    Cluster c = cluster(ir);
    assertThat(c.getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly(CLUSTER + "/tls/0", CLUSTER + "/tls/1");
    List<String> snis =
        c.getTransportSocketMatchesList().stream()
            .map(
                m -> {
                  try {
                    return m.getTransportSocket()
                        .getTypedConfig()
                        .unpack(UpstreamTlsContext.class)
                        .getSni();
                  } catch (Exception e) {
                    throw new AssertionError(e);
                  }
                })
            .toList();
    assertThat(snis).containsExactly("a.test", "b.test");
    assertThat(assignment(ir).getEndpointsList())
        .extracting(ExtProcMixedTlsXdsTest::matchName)
        .containsExactlyInAnyOrder(CLUSTER + "/tls/0", CLUSTER + "/tls/1");
  }
}
