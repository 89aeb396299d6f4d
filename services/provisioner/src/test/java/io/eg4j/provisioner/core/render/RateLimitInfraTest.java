package io.eg4j.provisioner.core.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.config.RateLimitTelemetry;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What {@link RateLimitInfra} reads from {@code rateLimit.telemetry}, {@code rateLimitHpa} and
 * {@code rateLimitPDB}, and what it rejects (with the field in the message) instead of rendering.
 */
class RateLimitInfraTest {
  private static final String REDIS = "rateLimit: {backend: {type: Redis, redis: {url: 'r:6379'}}";

  private static RateLimitInfra infra(String rateLimitExtra, String kubernetes) throws Exception {
    String yaml =
        REDIS
            + (rateLimitExtra.isEmpty() ? "" : ", " + rateLimitExtra)
            + "}\n"
            + (kubernetes.isEmpty()
                ? ""
                : "provider: {type: Kubernetes, kubernetes: " + kubernetes + "}\n");
    return RateLimitInfra.from(EnvoyGatewayConfig.from(Json.YAML.readTree(yaml)));
  }

  @Test
  void prometheusIsOnAndTracingOffByDefault() throws Exception {
    RateLimitInfra on = infra("", "");
    assertThat(on.telemetry().prometheus()).isTrue();
    assertThat(on.telemetry().tracing()).isFalse();
    assertThat(on.hpa()).isNull();
    assertThat(on.pdb()).isNull();
  }

  @Test
  void readsTelemetry() throws Exception {
    RateLimitTelemetry t =
        infra(
                "telemetry: {metrics: {prometheus: {disable: true}}, tracing: {samplingRate: 25,"
                    + " provider: {url: 'collector:4318'}}}",
                "")
            .telemetry();
    assertThat(t.prometheus()).isFalse();
    assertThat(t.tracingEndpoint()).isEqualTo("http://collector:4318");
    // Envoy Gateway formats the fraction with one decimal, to the nearest (ties to even).
    assertThat(t.samplingFraction()).isEqualTo("0.2");
  }

  @ParameterizedTest
  @CsvSource({"0,0.0", "1,0.0", "5,0.1", "50,0.5", "55,0.6", "99,1.0", "100,1.0"})
  void samplingFraction(int percent, String fraction) {
    assertThat(new RateLimitTelemetry(true, "http://c", percent).samplingFraction())
        .isEqualTo(fraction);
  }

  @Test
  void readsHpaAndPdb() throws Exception {
    RateLimitInfra i =
        infra("", "{rateLimitHpa: {maxReplicas: 4}, rateLimitPDB: {minAvailable: '50%'}}");
    assertThat(i.hpa().path("maxReplicas").asInt()).isEqualTo(4);
    assertThat(i.pdb().path("minAvailable").asText()).isEqualTo("50%");
  }

  /** Each rejected setting names its field. */
  @Test
  void rejectsWhatEnvoyGatewayRejects() {
    List<String[]> cases =
        List.of(
            new String[] {
              "telemetry: {metrics: {statsd: {address: 'a:9125'}}}", "", "metrics.statsd"
            },
            new String[] {"telemetry: {metrics: {prometheus: {disable: 'yes'}}}", "", "disable"},
            new String[] {
              "telemetry: {tracing: {samplingRate: 101, provider: {url: 'c:4318'}}}",
              "",
              "samplingRate"
            },
            new String[] {
              "telemetry: {tracing: {samplingRate: -1, provider: {url: 'c:4318'}}}",
              "",
              "samplingRate"
            },
            new String[] {"telemetry: {tracing: {samplingRate: 10}}", "", "tracing.provider"},
            new String[] {"telemetry: {tracing: {provider: {type: OpenTelemetry}}}", "", "url"},
            new String[] {
              "telemetry: {tracing: {provider: {type: Zipkin, url: 'c:9411'}}}", "", "type"
            },
            new String[] {"", "{rateLimitHpa: {minReplicas: 2}}", "maxReplicas is required"},
            new String[] {"", "{rateLimitHpa: {maxReplicas: 0}}", "maxReplicas"},
            new String[] {"", "{rateLimitHpa: {minReplicas: 0, maxReplicas: 2}}", "minReplicas"},
            new String[] {
              "", "{rateLimitHpa: {minReplicas: 3, maxReplicas: 2}}", "cannot be less than"
            },
            new String[] {
              "", "{rateLimitHpa: {maxReplicas: 2, patch: {type: JSONPatch, value: {}}}}", "patch"
            },
            new String[] {
              "", "{rateLimitPDB: {minAvailable: 1, maxUnavailable: 1}}", "only one of"
            },
            new String[] {"", "{rateLimitPDB: {maxUnavailable: -1}}", "maxUnavailable"});
    for (String[] c : cases) {
      assertThatThrownBy(() -> infra(c[0], c[1]))
          .as("%s %s", c[0], c[1])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(c[2]);
    }
  }

  /** Rate limiting off: the telemetry, HPA and PDB settings are not even read. */
  @Test
  void offIgnoresTheRest() throws Exception {
    assertThat(
            RateLimitInfra.from(
                EnvoyGatewayConfig.from(
                    Json.YAML.readTree(
                        "provider: {type: Kubernetes, kubernetes: {rateLimitHpa: {}}}\n"))))
        .isNull();
  }
}
