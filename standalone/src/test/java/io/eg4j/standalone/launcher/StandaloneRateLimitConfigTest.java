package io.eg4j.standalone.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eg4j run} refuses a {@code rateLimit.telemetry} setting Envoy Gateway rejects before it
 * starts anything (no broker, no service), with the field in the message.
 */
class StandaloneRateLimitConfigTest {
  @TempDir Path tmp;

  @Test
  void refusesRejectedTelemetryBeforeStarting() throws Exception {
    Path manifests = Files.createDirectories(tmp.resolve("manifests"));
    Path config = tmp.resolve("envoy-gateway.yaml");
    Files.writeString(
        config,
        Standalone.defaultConfigText(manifests.toString())
            + """
            rateLimit:
              backend: {type: Redis, redis: {url: '127.0.0.1:6379'}}
              telemetry:
                tracing: {samplingRate: 150, provider: {url: 'collector:4318'}}
            """);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    assertThatThrownBy(
            () ->
                Standalone.start(
                    new StandaloneOptions(
                        manifests,
                        tmp.resolve("data"),
                        false,
                        false,
                        false,
                        "/nonexistent/envoy",
                        config,
                        Map.of(),
                        new PrintStream(progress, true, StandardCharsets.UTF_8),
                        null)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid EnvoyGateway config")
        .hasMessageContaining("rateLimit.telemetry.tracing.samplingRate");
    assertThat(progress.toString(StandardCharsets.UTF_8)).doesNotContain("Kafka broker");
  }
}
