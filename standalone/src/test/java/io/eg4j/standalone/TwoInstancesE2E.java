package io.eg4j.standalone;

import static io.eg4j.standalone.StackTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.provisioner.host.EnvoyBinary;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code eg4j run} on one machine, as a user tries it: a second instance on the same data
 * directory stops at once and says what to do; one with its own data directory and {@code
 * --port-offset} starts beside the first, even with {@code --demo-echo} on the same manifests
 * (whose echo port the first instance already serves), and takes the offset ports. The Gateway port
 * both instances' manifests name stays the first one's: the second Envoy is refused it, and its
 * Gateway's status says so.
 */
class TwoInstancesE2E {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path tmp;

  @Test
  void aSecondInstanceEitherStopsWithAClearErrorOrRunsOnPortsOfItsOwn() throws Exception {
    boolean haveEnvoy = EnvoyBinary.resolve("envoy", System.getenv("PATH")).isPresent();
    if (!haveEnvoy && "1".equals(System.getenv("EG4J_REQUIRE_ENVOY"))) {
      Assertions.fail(EnvoyBinary.INSTALL_HINT);
    }
    Assumptions.assumeTrue(haveEnvoy, EnvoyBinary.INSTALL_HINT);

    int listenerPort = Ports.free();
    int echoPort = Ports.free();
    Path manifests = tmp.resolve("quickstart");
    StackTestSupport.writeQuickstart(manifests, listenerPort, echoPort);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    try (Standalone a =
        Standalone.start(
            StandaloneOptions.forTest(
                    manifests,
                    tmp.resolve("data-a"),
                    new PrintStream(first, true, StandardCharsets.UTF_8))
                .withDemoEcho(true))) {
      await(
          "the first instance to serve",
          WAIT,
          () -> QuickstartE2E.status(listenerPort, "/") == 200);

      // The same data directory: its broker log and proxies would be shared. Refused, by name.
      ByteArrayOutputStream refused = new ByteArrayOutputStream();
      assertThatThrownBy(
              () ->
                  Standalone.start(
                      StandaloneOptions.forTest(
                          manifests,
                          tmp.resolve("data-a"),
                          new PrintStream(refused, true, StandardCharsets.UTF_8))))
          .hasMessageContaining(tmp.resolve("data-a").toAbsolutePath().toString())
          .hasMessageContaining("in use by another eg4j")
          .hasMessageContaining("pid " + ProcessHandle.current().pid())
          .hasMessageContaining("--data-dir");
      assertThat(QuickstartE2E.status(listenerPort, "/"))
          .as("the first instance is untouched by the refused one")
          .isEqualTo(200);

      // Its own data directory, the offset ports and the demo echo of the same manifests.
      int offset = 10_000 + ThreadLocalRandom.current().nextInt(3_000);
      ByteArrayOutputStream second = new ByteArrayOutputStream();
      try (Standalone b =
          Standalone.start(
              StandaloneOptions.forTest(
                      manifests,
                      tmp.resolve("data-b"),
                      new PrintStream(second, true, StandardCharsets.UTF_8))
                  .withDemoEcho(true)
                  .withPortOffset(offset))) {
        String progress = second.toString(StandardCharsets.UTF_8);
        assertThat(progress)
            .contains("Demo echo backend port 127.0.0.1:" + echoPort + " is in use")
            .contains("xds-server ready");
        assertPortOrItsReplacement(progress, b.xdsPort(), 18000 + offset);
        assertPortOrItsReplacement(
            progress, Integer.parseInt(b.bootstrapServers().replaceAll(".*:", "")), 19092 + offset);
        assertThat(b.xdsPort()).isNotEqualTo(a.xdsPort());
        // The same Gateway port: the first instance's Envoy serves it. The second's is refused
        // the port (no SO_REUSEPORT, so the kernel does not split connections between the two),
        // and its Gateway says so.
        Path gatewayStatus = tmp.resolve("data-b/status/default/Gateway-eg.yaml");
        await(
            "the second instance's listener Programmed=False with Envoy's bind error",
            WAIT,
            () -> {
              JsonNode c = listenerCondition(gatewayStatus, "http", "Programmed");
              return c != null
                  && c.path("status").asText().equals("False")
                  && c.path("message").asText().contains("Address already in use");
            });
        assertThat(QuickstartE2E.status(listenerPort, "/")).isEqualTo(200);
      }
      // The second one's stop leaves the first one's echo backend (and traffic) alone.
      assertThat(QuickstartE2E.status(listenerPort, "/")).isEqualTo(200);
    }
  }

  private static JsonNode listenerCondition(Path gatewayStatus, String listener, String type) {
    try {
      if (!Files.exists(gatewayStatus)) {
        return null;
      }
      JsonNode s = Json.YAML.readTree(Files.readString(gatewayStatus));
      for (JsonNode l : s.path("status").path("listeners")) {
        if (listener.equals(l.path("name").asText())) {
          for (JsonNode c : l.path("conditions")) {
            if (type.equals(c.path("type").asText())) {
              return c;
            }
          }
        }
      }
      return null;
    } catch (Exception e) {
      return null; // being replaced; the next poll reads it
    }
  }

  /** {@code actual} is the offset default, or else the progress says why not. */
  private static void assertPortOrItsReplacement(String progress, int actual, int preferred) {
    if (actual != preferred) {
      assertThat(progress)
          .contains("Port " + preferred + " (")
          .contains("is in use; using " + actual + " instead (--port-offset N");
    }
  }
}
