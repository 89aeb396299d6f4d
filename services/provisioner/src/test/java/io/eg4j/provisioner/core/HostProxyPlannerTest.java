package io.eg4j.provisioner.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.ir.InfraIr;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostProxyPlannerTest {
  private static final HostProxyPlanner PLANNER =
      new HostProxyPlanner(new HostProxyPlanner.Settings("127.0.0.1", 18000, null, "host-1"));

  static InfraIr fleet(String name, int... ports) {
    List<InfraIr.ProxyListenerIr> listeners =
        java.util.Arrays.stream(ports)
            .mapToObj(p -> new InfraIr.ProxyListenerIr("l" + p, "HTTP", p, p))
            .toList();
    return new InfraIr(name, "default", "default", "eg", listeners, Map.of(), Map.of(), null);
  }

  @Test
  void nodeClusterIsTheFleetAndNodeIdIsUnique() {
    HostProxySpec spec = PLANNER.plan(fleet("default/eg", 8888), 9901);
    assertThat(spec.bootstrap().nodeCluster()).isEqualTo("default/eg");
    assertThat(spec.bootstrap().nodeId()).isEqualTo("default/eg/host-1");
    assertThat(spec.bootstrap().adminPort()).isEqualTo(9901);
    assertThat(spec.bootstrap().adminAddress()).isEqualTo("127.0.0.1");
    assertThat(spec.bootstrapYaml())
        .contains("cluster: default/eg")
        .contains("port_value: 18000")
        .contains("port_value: 9901");
    assertThat(spec.fileStem()).isEqualTo("default_2feg");
  }

  @Test
  void theStatsListenerBindsItsOwnLoopbackPortWithTheEnvoyProxysMetrics() {
    InfraIr plain = fleet("default/eg", 8888);
    HostProxySpec spec = PLANNER.plan(plain, 9901, 9902);
    assertThat(spec.bootstrap().metrics().statsAddress()).isEqualTo("127.0.0.1");
    assertThat(spec.bootstrap().metrics().statsPort()).isEqualTo(9902);
    assertThat(spec.bootstrapYaml())
        .contains("envoy-gateway-proxy-stats-127.0.0.1-9902")
        .contains("/stats/prometheus");
    // Without a stats port the bootstrap has no stats listener (the admin interface still serves).
    assertThat(PLANNER.plan(plain, 9901).bootstrapYaml()).doesNotContain("/stats/prometheus");

    InfraIr metered =
        new InfraIr(
            "default/eg",
            "envoy-gateway-system",
            "default",
            "eg",
            plain.listeners(),
            Map.of(),
            Map.of(),
            "{\"telemetry\": {\"metrics\": {\"prometheus\": {\"disable\": true},"
                + " \"sinks\": [{\"type\": \"OpenTelemetry\", \"openTelemetry\":"
                + " {\"backendRefs\": [{\"name\": \"otel\", \"port\": 4317}]}}]}}}");
    HostProxySpec m = PLANNER.plan(metered, 9901, 9902);
    assertThat(m.bootstrapYaml())
        .doesNotContain("/stats/prometheus")
        .contains("envoy.stat_sinks.open_telemetry")
        .contains("otel.envoy-gateway-system.svc");
    // A metrics change is a bootstrap change: the proxy restarts to take it.
    assertThat(spec.needsRestartFor(m)).isTrue();
  }

  @Test
  void listenerChangesDoNotRestartTheProxyButXdsChangesDo() {
    HostProxySpec a = PLANNER.plan(fleet("default/eg", 8888), 9901);
    HostProxySpec b = PLANNER.plan(fleet("default/eg", 8888, 9999), 9901);
    assertThat(a.needsRestartFor(b)).isFalse();
    HostProxyPlanner other =
        new HostProxyPlanner(new HostProxyPlanner.Settings("127.0.0.1", 18001, null, "host-1"));
    assertThat(a.needsRestartFor(other.plan(fleet("default/eg", 8888), 9901))).isTrue();
  }

  @Test
  void tlsSettingsReachTheBootstrap() {
    HostProxyPlanner tls =
        new HostProxyPlanner(
            new HostProxyPlanner.Settings(
                "127.0.0.1",
                18000,
                new EnvoyBootstrapSpec.XdsTls("/c/client.crt", "/c/client.key", "/c/ca.crt", null),
                "x"));
    assertThat(tls.plan(fleet("gc", 8888), 9901).bootstrapYaml())
        .contains("/c/client.crt")
        .contains("/c/ca.crt");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "default/eg, default_2feg",
    "eg, eg",
    "a-b/c, a-b_2fc",
    "a/b-c, a_2fb-c",
    "'we ird', we_20ird"
  })
  void fileStemsAreSafeAndDistinct(String fleet, String stem) {
    assertThat(HostProxyPlanner.fileStem(fleet)).isEqualTo(stem);
  }

  @ParameterizedTest(name = "port {0} is {1}")
  @CsvSource({"8888, http", "8443, https", "9000, tcp", "1234, http"})
  void schemesFollowTheListenerProtocol(int port, String scheme) {
    InfraIr ir =
        new InfraIr(
            "f",
            "default",
            null,
            "gc",
            List.of(
                new InfraIr.ProxyListenerIr("a", "HTTP", 8888, 80),
                new InfraIr.ProxyListenerIr("b", "HTTPS", 8443, 443),
                new InfraIr.ProxyListenerIr("c", "TCP", 9000, 9000)),
            null,
            null,
            null);
    assertThat(PLANNER.plan(ir, 1000).schemeFor(port)).isEqualTo(scheme);
  }
}
