package io.eg4j.translator.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.translator.core.policy.security.BackendSettingsTranslator;
import io.eg4j.translator.core.policy.traffic.BackendTrafficPolicyTranslator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Circuit breaker per-endpoint limits and retry budgets, the newer health check settings, HTTP/2
 * keepalive and socket buffer limits of {@code ClusterSettings}, from the CRD's rules.
 */
class ClusterSettingsLimitsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static ClusterSettingsIr settings(String yaml) throws Exception {
    return ClusterSettingsTranslator.translate(YAML.readTree(yaml), "spec");
  }

  @Test
  void perEndpointConnectionsAndRetryBudget() throws Exception {
    var cb =
        settings(
                """
                circuitBreaker:
                  maxParallelRetries: 7
                  perEndpoint: {maxConnections: 3}
                  retryBudget:
                    percent: {numerator: 1, denominator: 8}
                    minRetryConcurrency: 2
                """)
            .circuitBreaker();
    assertThat(cb.perEndpointMaxConnections()).isEqualTo(3L);
    assertThat(cb.maxParallelRetries()).isEqualTo(7L);
    assertThat(cb.retryBudget()).isEqualTo(new ClusterSettingsIr.RetryBudgetIr(12.5, 2));
    // The denominator defaults to 100; perEndpoint alone takes the CRD's 1024.
    var defaults =
        settings("circuitBreaker:\n  perEndpoint: {}\n  retryBudget: {percent: {numerator: 20}}\n")
            .circuitBreaker();
    assertThat(defaults.perEndpointMaxConnections()).isEqualTo(1024L);
    assertThat(defaults.retryBudget()).isEqualTo(new ClusterSettingsIr.RetryBudgetIr(20, null));
  }

  @Test
  void retryBudgetRefusals() {
    assertThatThrownBy(
            () ->
                settings(
                    "circuitBreaker: {retryBudget: {percent: {numerator: 5, denominator: 4}}}"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("numerator must not be greater than the denominator");
    assertThatThrownBy(
            () ->
                settings(
                    "circuitBreaker: {retryBudget: {percent: {numerator: 1, denominator: 0}}}"))
        .hasMessageContaining("denominator: must be at least 1");
    assertThatThrownBy(() -> settings("circuitBreaker: {retryBudget: {minRetryConcurrency: 3}}"))
        .hasMessageContaining("percent.numerator");
    assertThatThrownBy(() -> settings("circuitBreaker: {perEndpoint: {maxConnections: -1}}"))
        .hasMessageContaining("spec.circuitBreaker.perEndpoint.maxConnections");
  }

  @Test
  void httpHealthCheckHostBodyRetriableStatusesAndJitter() throws Exception {
    var a =
        settings(
                """
                healthCheck:
                  active:
                    type: HTTP
                    initialJitter: 1500ms
                    http:
                      path: /healthz
                      hostname: health.example.com
                      method: put
                      requestBody: {type: Binary, binary: cGluZw==}
                      retriableStatuses: [503, 429]
                """)
            .activeHealthCheck();
    assertThat(a.hostname()).isEqualTo("health.example.com");
    assertThat(a.requestBody()).isEqualTo(new ClusterSettingsIr.PayloadIr(null, "cGluZw=="));
    assertThat(a.retriableStatuses()).containsExactly(503, 429);
    assertThat(a.initialJitter()).isEqualTo(new DurationIr(1500));
    // The jitter applies to every checker type; the HTTP settings only to HTTP.
    var tcp = settings("healthCheck: {active: {type: TCP, initialJitter: 1s, tcp: {}}}");
    assertThat(tcp.activeHealthCheck().initialJitter()).isEqualTo(new DurationIr(1000));
    assertThat(tcp.activeHealthCheck().hostname()).isNull();
  }

  @Test
  void httpHealthCheckRefusals() {
    assertThatThrownBy(
            () ->
                settings(
                    "healthCheck: {active: {type: HTTP, http: {path: /, requestBody: {type: Text,"
                        + " text: x}}}}"))
        .hasMessageContaining("requestBody: can only be set when the method is POST or PUT");
    assertThatThrownBy(
            () ->
                settings(
                    "healthCheck: {active: {type: HTTP, http: {path: /, hostname: Bad_Host}}}"))
        .hasMessageContaining("http.hostname: invalid host name");
    assertThatThrownBy(
            () ->
                settings(
                    "healthCheck: {active: {type: HTTP, http: {path: /, retriableStatuses:"
                        + " [600]}}}"))
        .hasMessageContaining("retriableStatuses: invalid status 600");
    assertThatThrownBy(
            () -> settings("healthCheck: {active: {type: TCP, initialJitter: soon, tcp: {}}}"))
        .hasMessageContaining("initialJitter: invalid duration");
  }

  @Test
  void failurePercentageAndAlwaysEjectOne() throws Exception {
    var p =
        settings(
                "healthCheck: {passive: {failurePercentageThreshold: 85, alwaysEjectOneEndpoint:"
                    + " true}}")
            .passiveHealthCheck();
    assertThat(p.failurePercentageThreshold()).isEqualTo(85);
    assertThat(p.alwaysEjectOneEndpoint()).isTrue();
    assertThatThrownBy(() -> settings("healthCheck: {passive: {failurePercentageThreshold: 101}}"))
        .hasMessageContaining("failurePercentageThreshold: must be 0 to 100");
  }

  @Test
  void http2KeepaliveNeedsATimeoutShorterThanTheInterval() throws Exception {
    var k =
        settings(
                "http2: {connectionKeepalive: {interval: 30s, timeout: 5s, intervalJitter: 20,"
                    + " idleInterval: 10s}}")
            .http2Keepalive();
    assertThat(k.intervalMillis()).isEqualTo(30_000L);
    assertThat(k.timeoutMillis()).isEqualTo(5_000L);
    assertThat(k.intervalJitterPercent()).isEqualTo(20);
    assertThat(k.idleIntervalMillis()).isEqualTo(10_000L);
    assertThatThrownBy(() -> settings("http2: {connectionKeepalive: {interval: 30s}}"))
        .hasMessageContaining("connectionKeepalive.timeout: required");
    assertThatThrownBy(() -> settings("http2: {connectionKeepalive: {interval: 5s, timeout: 5s}}"))
        .hasMessageContaining("timeout must be less than interval");
    assertThatThrownBy(
            () -> settings("http2: {connectionKeepalive: {timeout: 1s, intervalJitter: 101}}"))
        .hasMessageContaining("intervalJitter: must be 0 to 100");
  }

  @Test
  void socketBufferLimit() throws Exception {
    assertThat(settings("connection: {socketBufferLimit: 256Ki}").socketBufferLimitBytes())
        .isEqualTo(262_144L);
    assertThat(settings("connection: {socketBufferLimit: 1000}").socketBufferLimitBytes())
        .isEqualTo(1000L);
    assertThatThrownBy(() -> settings("connection: {socketBufferLimit: 3Gi}"))
        .hasMessageContaining("socketBufferLimit: must be 1 to 2147483647 bytes");
    assertThatThrownBy(() -> settings("connection: {socketBufferLimit: lots}"))
        .hasMessageContaining("invalid quantity");
  }

  @Test
  void outOfBandLoadReports() throws Exception {
    var bu =
        settings(
                """
                loadBalancer:
                  type: BackendUtilization
                  backendUtilization:
                    outOfBand: {reportingPeriod: 2s, port: 9001, authority: orca.example.com}
                """)
            .loadBalancer()
            .backendUtilization();
    assertThat(bu.outOfBand())
        .isEqualTo(
            new ClusterSettingsIr.OutOfBandIr(new DurationIr(2000), 9001, "orca.example.com"));
    var bare =
        settings("loadBalancer: {type: BackendUtilization, backendUtilization: {outOfBand: {}}}")
            .loadBalancer()
            .backendUtilization();
    assertThat(bare.outOfBand()).isEqualTo(new ClusterSettingsIr.OutOfBandIr(null, null, null));
    String lb = "loadBalancer: {type: BackendUtilization, backendUtilization: {outOfBand: {%s}}}";
    assertThatThrownBy(() -> settings(lb.formatted("reportingPeriod: 0s")))
        .hasMessageContaining("reportingPeriod: must be greater than 0");
    assertThatThrownBy(() -> settings(lb.formatted("port: 0")))
        .hasMessageContaining("outOfBand.port: must be 1 to 65535");
    assertThatThrownBy(() -> settings(lb.formatted("authority: \"a\\nb\"")))
        .hasMessageContaining("outOfBand.authority: invalid");
  }

  /** Every new field is on the enforced list, at the top of a policy and in backendSettings. */
  @Test
  void theFieldsAreEnforcedWhereClusterSettingsAppear() throws Exception {
    String fields =
        """
        circuitBreaker:
          perEndpoint: {maxConnections: 3}
          retryBudget: {percent: {numerator: 1, denominator: 4}, minRetryConcurrency: 2}
        connection: {socketBufferLimit: 64Ki}
        http2:
          connectionKeepalive: {interval: 30s, timeout: 5s, intervalJitter: 20, idleInterval: 10s}
        healthCheck:
          active:
            type: HTTP
            initialJitter: 1s
            http:
              path: /
              hostname: h.example.com
              method: POST
              requestBody: {type: Text, text: x}
              retriableStatuses: [503]
          passive: {failurePercentageThreshold: 80, alwaysEjectOneEndpoint: true}
        """;
    String orca =
        fields
            + "loadBalancer:\n  type: BackendUtilization\n  backendUtilization:\n"
            + "    outOfBand: {reportingPeriod: 2s, port: 9001, authority: a.example.com}\n";
    assertThat(
            FieldSupport.unsupported(YAML.readTree(orca), BackendTrafficPolicyTranslator.SUPPORTED))
        .isEmpty();
    JsonNode top =
        YAML.readTree(
            fields
                + "loadBalancer:\n  type: ConsistentHash\n  consistentHash:\n    type: Cookie\n"
                + "    cookie: {name: s, attributes: {SameSite: Strict, Secure: ''}}\n");
    assertThat(FieldSupport.unsupported(top, BackendTrafficPolicyTranslator.SUPPORTED)).isEmpty();
    JsonNode nested = YAML.readTree("extAuth:\n  backendSettings:\n" + fields.indent(4));
    assertThat(FieldSupport.unsupported(nested, BackendSettingsTranslator.supported("extAuth")))
        .isEmpty();
    // A field next to them that is still not enforced is named.
    assertThat(
            FieldSupport.unsupported(
                YAML.readTree("circuitBreaker: {perEndpoint: {maxRequests: 1}}"),
                BackendTrafficPolicyTranslator.SUPPORTED))
        .isEqualTo(List.of("spec.circuitBreaker.perEndpoint.maxRequests"));
  }
}
