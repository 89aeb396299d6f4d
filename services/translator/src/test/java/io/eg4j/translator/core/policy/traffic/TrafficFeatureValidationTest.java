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
                LocalRateLimitTranslator.translate(
                    spec("rateLimit: {type: Global, global: {rules: []}}")))
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
    assertThat(RouteFeaturesTranslator.httpUpgrade(spec("httpUpgrade: [{type: spdy/3.1}]")))
        .containsExactly("spdy/3.1");
    assertThat(RouteFeaturesTranslator.httpUpgrade(spec("{}"))).isNull();
  }
}
