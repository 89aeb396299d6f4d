package io.eg4j.translator.core.policy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.traffic.LocalRateLimitIr;
import io.eg4j.translator.core.policy.PolicyException;
import org.junit.jupiter.api.Test;

/** The values BackendTrafficPolicy features refuse before they could reach Envoy. */
class TrafficFeatureValidationTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static JsonNode spec(String yaml) throws Exception {
    return YAML.readTree(yaml);
  }

  @Test
  void localRateLimitRules() throws Exception {
    LocalRateLimitIr rl =
        LocalRateLimitTranslator.translate(
            spec(
                """
                rateLimit:
                  type: Local
                  local:
                    rules:
                    - limit: {requests: 10, unit: Minute}
                    - clientSelectors:
                      - headers: [{name: x-user, value: a}]
                        methods: [{value: GET}, {value: POST}]
                        sourceCIDR: {value: 10.0.0.0/8}
                      limit: {requests: 2, unit: Hour}
                      shadowMode: true
                """));
    assertThat(rl.defaultBucket()).isEqualTo(new LocalRateLimitIr.TokenBucketIr(10, 60));
    assertThat(rl.rules()).hasSize(1);
    assertThat(rl.rules().get(0).matches())
        .extracting(LocalRateLimitIr.MatchIr::on)
        .containsExactly("Header", "Method", "SourceCIDR");
    assertThat(rl.rules().get(0).matches().get(1).value()).isEqualTo("GET|POST");
    assertThat(rl.rules().get(0).shadowMode()).isTrue();
  }

  @Test
  void localRateLimitDistinctSelectors() throws Exception {
    LocalRateLimitIr rl =
        LocalRateLimitTranslator.translate(
            spec(
                """
                rateLimit:
                  local:
                    rules:
                    - clientSelectors:
                      - headers: [{name: x-user, type: Distinct}]
                        sourceCIDR: {type: Distinct, value: 10.0.0.0/8}
                      limit: {requests: 2, unit: Minute}
                    - clientSelectors:
                      - sourceCIDR: {value: 192.168.0.0/16}
                      limit: {requests: 2, unit: Minute}
                """));
    assertThat(rl.rules().get(0).matches())
        .containsExactly(
            new LocalRateLimitIr.MatchIr("Header", "x-user", "Distinct", null, false),
            new LocalRateLimitIr.MatchIr("SourceCIDR", null, "Distinct", "10.0.0.0/8", false));
    // Exact stays the default: the whole range shares one bucket.
    assertThat(rl.rules().get(1).matches().get(0).type()).isEqualTo("Exact");
    assertThat(rl.hasDistinct()).isTrue();
    // A Distinct header has no value to invert.
    assertThatThrownBy(
            () ->
                LocalRateLimitTranslator.translate(
                    spec(
                        """
                        rateLimit:
                          local:
                            rules:
                            - clientSelectors:
                              - headers: [{name: x-user, type: Distinct, invert: true}]
                              limit: {requests: 2, unit: Minute}
                        """)))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("invert cannot be used with type Distinct");
    // A type this version does not know is not applied.
    assertThatThrownBy(
            () ->
                LocalRateLimitTranslator.translate(
                    spec(
                        """
                        rateLimit:
                          local:
                            rules:
                            - clientSelectors:
                              - sourceCIDR: {type: Other, value: 10.0.0.0/8}
                              limit: {requests: 2, unit: Minute}
                        """)))
        .hasMessageContaining("sourceCIDR.type Other");
  }

  @Test
  void localRateLimitRefusals() {
    assertThatThrownBy(
            () ->
                LocalRateLimitTranslator.translate(
                    spec(
                        """
                        rateLimit:
                          type: Local
                          local:
                            rules:
                            - limit: {requests: 1, unit: Minute}
                            - limit: {requests: 2, unit: Minute}
                        """)))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("only one rule may have no clientSelectors");
    assertThatThrownBy(
            () ->
                LocalRateLimitTranslator.translate(
                    spec(
                        """
                        rateLimit:
                          type: Local
                          local:
                            rules:
                            - limit: {requests: 1, unit: Hour}
                            - clientSelectors: [{headers: [{name: x, value: y}]}]
                              limit: {requests: 2, unit: Minute}
                        """)))
        .hasMessageContaining("whole multiple");
    assertThatThrownBy(
            () ->
                GlobalRateLimitTranslator.translate(
                    spec("rateLimit: {type: Global, global: {rules: []}}"), "d", "p", null))
        .hasMessageContaining("rate limit service");
  }

  @Test
  void faultAndBandwidthRefusals() {
    assertThatThrownBy(
            () -> RouteFeaturesTranslator.fault(spec("faultInjection: {abort: {httpStatus: 14}}")))
        .hasMessageContaining("outside 200 to 599");
    assertThatThrownBy(
            () ->
                RouteFeaturesTranslator.fault(
                    spec("faultInjection: {abort: {httpStatus: 500, grpcStatus: 1}}")))
        .hasMessageContaining("exactly one");
    assertThatThrownBy(
            () ->
                RouteFeaturesTranslator.bandwidth(
                    spec("bandwidthLimit: {request: {limit: {value: 1023, unit: Second}}}"),
                    "request"))
        .hasMessageContaining("under 1 KiB per second");
  }

  @Test
  void featureValues() throws Exception {
    assertThat(
            RouteFeaturesTranslator.bandwidth(
                spec("bandwidthLimit: {response: {limit: {value: 100Mi, unit: Minute}}}"),
                "response"))
        .isEqualTo(1706L);
    assertThat(
            RouteFeaturesTranslator.compression(
                spec("compression: [{type: Brotli}, {type: Gzip}]")))
        .containsExactly("Brotli", "Gzip");
    assertThat(
            RouteFeaturesTranslator.compressionMinContentLength(
                spec(
                    "compression: [{type: Brotli, minContentLength: 2Ki}, {type: Gzip},"
                        + " {type: Zstd, minContentLength: 100}]")))
        .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("Brotli", 2048L, "Zstd", 100L));
    assertThat(
            RouteFeaturesTranslator.compressionMinContentLength(
                spec("compressor: [{type: Gzip, minContentLength: 64}]")))
        .containsEntry("Gzip", 64L);
    assertThatThrownBy(
            () ->
                RouteFeaturesTranslator.compressionMinContentLength(
                    spec("compression: [{type: Gzip, minContentLength: 10}]")))
        .hasMessageContaining("spec.compression[0].minContentLength");
    assertThat(RouteFeaturesTranslator.httpUpgrade(spec("httpUpgrade: [{type: spdy/3.1}]")))
        .containsExactly("spdy/3.1");
    assertThat(RouteFeaturesTranslator.httpUpgrade(spec("{}"))).isNull();
    JsonNode connect = spec("httpUpgrade: [{type: CONNECT, connect: {terminate: true}}]");
    assertThat(RouteFeaturesTranslator.httpUpgrade(connect)).containsExactly("CONNECT");
    assertThat(RouteFeaturesTranslator.connectTerminate(connect)).isTrue();
    assertThat(RouteFeaturesTranslator.connectTerminate(spec("httpUpgrade: [{type: CONNECT}]")))
        .isFalse();
    assertThatThrownBy(
            () ->
                RouteFeaturesTranslator.httpUpgrade(
                    spec("httpUpgrade: [{type: websocket, connect: {terminate: true}}]")))
        .hasMessageContaining("only for the CONNECT type");
  }

  @Test
  void telemetryStatNameAndTracing() throws Exception {
    var t =
        TelemetryTranslator.translate(
            spec(
                """
                telemetry:
                  metrics:
                    routeStatName: "%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%/%ROUTE_RULE_NAME%"
                  tracing:
                    samplingFraction: {numerator: 1, denominator: 100}
                    customTags:
                      a: {type: Literal, literal: {value: x}}
                      b: {type: Environment, environment: {name: POD, defaultValue: "-"}}
                    tags:
                      b: "%REQUEST_HEADER(x-id)%"
                      c: plain
                """));
    assertThat(t.statName(java.util.Map.of("kind", "HTTPRoute", "namespace", "ns", "name", "r")))
        .isEqualTo("HTTPRoute/ns/r/-");
    assertThat(
            t.statName(
                java.util.Map.of(
                    "kind", "GRPCRoute", "namespace", "ns", "name", "g", "sectionName", "rule")))
        .isEqualTo("GRPCRoute/ns/g/rule");
    assertThat(t.tracing().samplingNumerator()).isEqualTo(1);
    assertThat(t.tracing().samplingDenominator()).isEqualTo(100);
    assertThat(t.tracing().clientSampling()).isNull();
    var fractions =
        TelemetryTranslator.translate(
            spec(
                "telemetry: {tracing: {clientSamplingFraction: {numerator: 5},"
                    + " overallSamplingFraction: {numerator: 1, denominator: 1000}}}"));
    assertThat(fractions.tracing().clientSampling())
        .isEqualTo(new io.eg4j.model.ir.traffic.TrafficIr.FractionIr(5, 100));
    assertThat(fractions.tracing().overallSampling())
        .isEqualTo(new io.eg4j.model.ir.traffic.TrafficIr.FractionIr(1, 1000));
    assertThatThrownBy(
            () ->
                TelemetryTranslator.translate(
                    spec(
                        "telemetry: {tracing: {overallSamplingFraction: {numerator: 5,"
                            + " denominator: 4}}}")))
        .hasMessageContaining("overallSamplingFraction");
    // A tag in tags replaces the custom tag of the same name.
    assertThat(t.tracing().tags())
        .containsExactly(
            new io.eg4j.model.ir.traffic.TrafficIr.TagIr("a", "Literal", "x", null),
            new io.eg4j.model.ir.traffic.TrafficIr.TagIr("b", "RequestHeader", "x-id", null),
            new io.eg4j.model.ir.traffic.TrafficIr.TagIr("c", "Literal", "plain", null));
  }

  @Test
  void tracingSpanNames() throws Exception {
    var t =
        TelemetryTranslator.translate(
            spec("telemetry: {tracing: {spanName: {client: 'in %REQ(:path)%', server: out}}}"));
    assertThat(t.tracing().spanName())
        .isEqualTo(new io.eg4j.model.ir.traffic.TrafficIr.SpanNameIr("in %REQ(:path)%", "out"));
    assertThat(t.tracing().samplingNumerator()).isNull();
    assertThat(
            io.eg4j.translator.core.policy.FieldSupport.unsupported(
                spec("telemetry: {tracing: {spanName: {client: a, server: b}}}"),
                BackendTrafficPolicyTranslator.SUPPORTED))
        .isEmpty();
    assertThatThrownBy(
            () ->
                TelemetryTranslator.translate(
                    spec("telemetry: {tracing: {spanName: {client: a}}}")))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spanName: both client and server are required");
  }

  @Test
  void telemetryRefusals() throws Exception {
    assertThatThrownBy(
            () ->
                TelemetryTranslator.translate(
                    spec("telemetry: {metrics: {routeStatName: \"%ROUTE_HOST%\"}}")))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("unknown operator %ROUTE_HOST%");
    // Values Envoy's route tracing cannot express are not enforced: the policy is not applied.
    assertThat(
            TelemetryTranslator.unsupported(
                spec(
                    """
                    telemetry:
                      tracing:
                        customTags:
                          m: {type: Metadata, metadata: {kind: Route, key: x}}
                        tags:
                          d: "%DOWNSTREAM_REMOTE_ADDRESS%"
                          h: "%REQ(x-h)%"
                    """)))
        .containsExactly(
            "spec.telemetry.tracing.customTags.m.type", "spec.telemetry.tracing.tags.d");
  }
}
