package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * BackendTrafficPolicy {@code telemetry.tracing} sampling fractions on the route: random, client
 * and overall sampling.
 */
class RouteTracingXdsTest {
  private static Route traced(String... replacements) throws Exception {
    List<RouteConfiguration> all =
        new RouteXdsTranslator()
            .translate(XdsGoldenCases.read("backend-traffic-features", replacements));
    return all.stream()
        .flatMap(rc -> rc.getVirtualHostsList().stream())
        .flatMap(vh -> vh.getRoutesList().stream())
        .filter(Route::hasTracing)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void theThreeSamplingFractionsReachTheRoute() throws Exception {
    Route r =
        traced(
            "          samplingNumerator: 1\n",
            "          samplingNumerator: 1\n"
                + "          clientSampling: {numerator: 1, denominator: 2}\n"
                + "          overallSampling: {numerator: 3, denominator: 1000}\n");
    assertThat(r.getTracing().getClientSampling().getNumerator()).isEqualTo(50);
    assertThat(r.getTracing().getClientSampling().getDenominator())
        .isEqualTo(FractionalPercent.DenominatorType.HUNDRED);
    assertThat(r.getTracing().getOverallSampling().getNumerator()).isEqualTo(30);
    assertThat(r.getTracing().getOverallSampling().getDenominator())
        .isEqualTo(FractionalPercent.DenominatorType.TEN_THOUSAND);
    assertThat(r.getTracing().hasRandomSampling()).isTrue();
  }

  @Test
  void withoutThemEnvoysDefaultsApply() throws Exception {
    Route r = traced();
    assertThat(r.getTracing().hasClientSampling()).isFalse();
    assertThat(r.getTracing().hasOverallSampling()).isFalse();
  }

  @Test
  void spanNamesAreTheRouteTracingOperationFieldsUnderTheirRealNumbers() throws Exception {
    // The golden case names both spans. Envoy's route Tracing: operation = 5,
    // upstream_operation = 6 (strings).
    Route r = traced();
    var unknown =
        com.google.protobuf.UnknownFieldSet.parseFrom(
            r.getTracing().toBuilder().clearRandomSampling().build().toByteString());
    assertThat(unknown.getField(5).getLengthDelimitedList())
        .singleElement()
        .extracting(com.google.protobuf.ByteString::toStringUtf8)
        .isEqualTo("ingress %REQ(:path)%");
    assertThat(unknown.getField(6).getLengthDelimitedList())
        .singleElement()
        .extracting(com.google.protobuf.ByteString::toStringUtf8)
        .isEqualTo("egress-call");
    var json = XdsOutput.node(r).path("tracing");
    assertThat(json.path("operation").asText()).isEqualTo("ingress %REQ(:path)%");
    assertThat(json.path("upstream_operation").asText()).isEqualTo("egress-call");
  }

  @Test
  void withoutSpanNamesTheRouteTracingHasNoOperation() throws Exception {
    Route r =
        traced("          spanName: {client: 'ingress %REQ(:path)%', server: egress-call}\n", "");
    assertThat(r.getTracing().getUnknownFields().asMap()).isEmpty();
    assertThat(XdsOutput.node(r).path("tracing").has("operation")).isFalse();
  }
}
