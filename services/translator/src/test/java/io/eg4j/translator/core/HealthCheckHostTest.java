package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import org.junit.jupiter.api.Test;

/**
 * The Host header of an HTTP active health check without {@code http.hostname}: the route's host
 * name, as Envoy Gateway sets it, instead of Envoy's default (the cluster name).
 */
class HealthCheckHostTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static TrafficIr traffic(String clusterSettings) throws Exception {
    ClusterSettingsIr c =
        ClusterSettingsTranslator.translate(YAML.readTree(clusterSettings), "spec");
    return new TrafficIr(
        "backendtrafficpolicy/default/p",
        c,
        null,
        null,
        null,
        null,
        null,
        null,
        false,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  @Test
  void withoutAHostnameTheChecksSendTheRoutesHostName() throws Exception {
    TrafficIr ir = traffic("healthCheck: {active: {type: HTTP, http: {path: /healthz}}}\n");
    assertThat(ir.cluster().activeHealthCheck().hostname()).isNull();
    TrafficIr out = BackendTrafficApplier.healthCheckHost(ir, "www.foo.com");
    assertThat(out.cluster().activeHealthCheck().hostname()).isEqualTo("www.foo.com");
    assertThat(out.cluster().activeHealthCheck().path()).isEqualTo("/healthz");
    // A route that matches any host name sends "*", as Envoy Gateway's route host name is.
    assertThat(
            BackendTrafficApplier.healthCheckHost(ir, "*").cluster().activeHealthCheck().hostname())
        .isEqualTo("*");
  }

  @Test
  void aHostnameOfThePolicyWinsAndOtherCheckersHaveNone() throws Exception {
    TrafficIr own =
        traffic(
            "healthCheck: {active: {type: HTTP, http: {path: /h, hostname: health.example.com}}}\n");
    assertThat(
            BackendTrafficApplier.healthCheckHost(own, "www.foo.com")
                .cluster()
                .activeHealthCheck()
                .hostname())
        .isEqualTo("health.example.com");
    TrafficIr tcp = traffic("healthCheck: {active: {type: TCP, tcp: {}}}\n");
    assertThat(
            BackendTrafficApplier.healthCheckHost(tcp, "www.foo.com")
                .cluster()
                .activeHealthCheck()
                .hostname())
        .isNull();
    TrafficIr none = traffic("connection: {bufferLimit: 1Ki}\n");
    assertThat(BackendTrafficApplier.healthCheckHost(none, "www.foo.com")).isSameAs(none);
  }
}
