package io.eg4j.translator.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.ClusterSettingsIr;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code loadBalancer.zoneAware} and {@code loadBalancer.endpointOverride}, from the CRD rules. */
class LoadBalancerZonesTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static ClusterSettingsIr.LoadBalancerIr lb(String yaml) throws Exception {
    JsonNode spec = YAML.readTree(yaml);
    return ClusterSettingsTranslator.translate(spec, "spec").loadBalancer();
  }

  @Test
  void weightedZonesKeepTheirWeightsAndUnlistedZonesWeighOne() throws Exception {
    var lb =
        lb(
            """
            loadBalancer:
              type: RoundRobin
              zoneAware:
                weightedZones:
                - {zone: us-east-1a, weight: 70}
                - {zone: us-east-1b, weight: 20}
            """);
    assertThat(lb.zoneAware().preferLocal()).isNull();
    assertThat(lb.zoneAware().weightedZones())
        .containsExactly(
            new ClusterSettingsIr.WeightedZoneIr("us-east-1a", 70),
            new ClusterSettingsIr.WeightedZoneIr("us-east-1b", 20));
    assertThat(lb.zoneAware().weightOf("us-east-1b")).isEqualTo(20);
    assertThat(lb.zoneAware().weightOf("eu-west-1a")).isEqualTo(1);
    assertThat(lb.zoneAware().weightOf("")).isEqualTo(1);
  }

  @Test
  void preferLocalWithForce() throws Exception {
    var lb =
        lb(
            """
            loadBalancer:
              type: LeastRequest
              zoneAware:
                preferLocal:
                  minEndpointsThreshold: 3
                  percentageEnabled: 50
                  force: {minEndpointsInZoneThreshold: 2}
            """);
    assertThat(lb.zoneAware().preferLocal())
        .isEqualTo(new ClusterSettingsIr.PreferLocalIr(3L, 50, 2));
    var plain =
        lb(
            """
            loadBalancer:
              type: Random
              zoneAware: {preferLocal: {}}
            """);
    // Not forced, Envoy Gateway's minimum of 6 endpoints applies later.
    assertThat(plain.zoneAware().preferLocal())
        .isEqualTo(new ClusterSettingsIr.PreferLocalIr(null, null, null));
    var forcedDefault =
        lb(
            """
            loadBalancer:
              type: RoundRobin
              zoneAware: {preferLocal: {force: {}}}
            """);
    assertThat(forcedDefault.zoneAware().preferLocal().forceMinEndpointsInZone()).isEqualTo(1);
  }

  @Test
  void endpointOverrideHeaders() throws Exception {
    var lb =
        lb(
            """
            loadBalancer:
              type: BackendUtilization
              backendUtilization: {blackoutPeriod: 10s}
              endpointOverride:
                extractFrom: [{header: X-Target}, {header: x-fallback}]
            """);
    assertThat(lb.overrideHeaders()).isEqualTo(List.of("x-target", "x-fallback"));
    assertThat(lb.zoneAware()).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ConsistentHash|consistentHash: {type: SourceIP}|zoneAware: {preferLocal: {}}"
            + "|not supported with a ConsistentHash",
        "BackendUtilization|backendUtilization: {}|zoneAware: {preferLocal: {}}"
            + "|not supported with a BackendUtilization",
        "RoundRobin|slowStart: {window: 1s}|zoneAware: {preferLocal: {}, weightedZones: [{zone: a,"
            + " weight: 1}]}|cannot both be set",
        "RoundRobin|slowStart: {window: 1s}|zoneAware: {weightedZones: [{zone: a, weight: 0}]}"
            + "|must be at least 1",
        "RoundRobin|slowStart: {window: 1s}|zoneAware: {weightedZones: [{zone: a, weight: 1},"
            + " {zone: a, weight: 2}]}|listed twice",
        "RoundRobin|slowStart: {window: 1s}|zoneAware: {preferLocal: {percentageEnabled: 101}}"
            + "|0 to 100",
        "RoundRobin|slowStart: {window: 1s}|endpointOverride: {extractFrom: []}|1 to 10",
        "RoundRobin|slowStart: {window: 1s}|endpointOverride: {extractFrom: [{header: 'bad"
            + " name'}]}|invalid header name",
      })
  void refusals(String type, String typeSettings, String feature, String message) {
    String yaml =
        "loadBalancer:\n  type: " + type + "\n  " + typeSettings + "\n  " + feature + "\n";
    assertThatThrownBy(() -> lb(yaml))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining(message);
  }

  @Test
  void weightedZonesWithConsistentHashAreAllowed() throws Exception {
    var lb =
        lb(
            """
            loadBalancer:
              type: ConsistentHash
              consistentHash: {type: SourceIP}
              zoneAware: {weightedZones: [{zone: a, weight: 3}]}
            """);
    assertThat(lb.zoneAware().weightOf("a")).isEqualTo(3);
  }
}
