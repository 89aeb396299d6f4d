package io.eg4j.standalone;

import static io.eg4j.standalone.StackTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code Programmed} condition of an EnvoyPatchPolicy on the real stack (broker, five services,
 * no Envoy): the xds-server applies the policy's operations, reports the outcome on {@code
 * eg4j.xds-nacks}, and the translator merges it into the status the status-writer writes. A patch
 * on a path that does not exist is {@code Programmed=False} (Invalid), one on a resource that does
 * not exist {@code Programmed=False} (ResourceNotFound), a fixed one {@code Programmed=True}; a
 * restarted translator keeps the condition of the IR still served.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EnvoyPatchPolicyStatusIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";

  @TempDir static Path tmp;
  private Path manifests;
  private Standalone stack;
  private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

  @BeforeAll
  void start() throws Exception {
    manifests = Files.createDirectories(tmp.resolve("manifests"));
    StackTestSupport.writeQuickstart(manifests, Ports.free(), Ports.free());
    Path config = tmp.resolve("envoy-gateway.yaml");
    Files.writeString(
        config,
        Standalone.defaultConfigText(manifests.toString()) + "  enableEnvoyPatchPolicy: true\n");
    stack =
        Standalone.start(
            new StandaloneOptions(
                manifests,
                tmp.resolve("data"),
                false,
                false,
                false,
                // The status is all this test looks at: no proxies.
                "/nonexistent/envoy",
                config,
                Map.of(),
                new PrintStream(progress, true, StandardCharsets.UTF_8),
                null));
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private void writePolicy(long generation, String name, String op, String path, String value)
      throws Exception {
    Files.writeString(
        manifests.resolve("patch.yaml"),
        """
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyPatchPolicy
        metadata: {namespace: default, name: patches, generation: %d}
        spec:
          targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg}
          type: JSONPatch
          jsonPatches:
          - type: %s
            name: %s
            operation: {op: %s, path: %s, value: %s}
        """
            .formatted(generation, LISTENER, name, op, path, value));
  }

  private JsonNode policyStatus() {
    Path f = stack.dataDir().status().resolve("default").resolve("EnvoyPatchPolicy-patches.yaml");
    try {
      return Files.exists(f) ? Json.YAML.readTree(Files.readString(f)) : null;
    } catch (Exception e) {
      return null; // being replaced; the next poll reads it
    }
  }

  private static JsonNode condition(JsonNode status, String type) {
    if (status == null) {
      return null;
    }
    for (JsonNode a : status.path("status").path("ancestors")) {
      for (JsonNode c : a.path("conditions")) {
        if (type.equals(c.path("type").asText())) {
          return c;
        }
      }
    }
    return null;
  }

  private JsonNode awaitProgrammed(String what, Predicate<JsonNode> programmed) throws Exception {
    await(
        what,
        WAIT,
        () -> {
          JsonNode c = condition(policyStatus(), "Programmed");
          return c != null && programmed.test(c);
        });
    return condition(policyStatus(), "Programmed");
  }

  @Test
  @Order(1)
  void anOperationOnAPathThatDoesNotExistIsProgrammedFalseInvalid() throws Exception {
    writePolicy(1, "default/eg/http", "replace", "/no/such/path", "1");
    JsonNode c =
        awaitProgrammed(
            "Programmed=False (Invalid)", p -> p.path("reason").asText().equals("Invalid"));
    assertThat(c.path("status").asText()).isEqualTo("False");
    assertThat(c.path("message").asText())
        .startsWith("Unable to apply patch:\n[{\"op\":\"replace\",\"path\":\"/no/such/path\"")
        .contains("on resource:\n{\"name\":\"default/eg/http\"");
    assertThat(condition(policyStatus(), "Accepted").path("status").asText()).isEqualTo("True");
  }

  @Test
  @Order(2)
  void anOperationOnAResourceThatDoesNotExistIsProgrammedFalseResourceNotFound() throws Exception {
    writePolicy(2, "default/eg/nope", "add", "/per_connection_buffer_limit_bytes", "1024");
    JsonNode c =
        awaitProgrammed(
            "Programmed=False (ResourceNotFound)",
            p -> p.path("reason").asText().equals("ResourceNotFound"));
    assertThat(c.path("status").asText()).isEqualTo("False");
    assertThat(c.path("message").asText())
        .isEqualTo("Unable to find xds resources: " + LISTENER + "/default/eg/nope");
  }

  @Test
  @Order(3)
  void aFixedPatchIsProgrammedTrue() throws Exception {
    writePolicy(3, "default/eg/http", "add", "/per_connection_buffer_limit_bytes", "1024");
    JsonNode c = awaitProgrammed("Programmed=True", p -> p.path("status").asText().equals("True"));
    assertThat(c.path("reason").asText()).isEqualTo("Programmed");
    assertThat(c.path("message").asText()).isEqualTo("Patches have been successfully applied.");
    assertThat(c.path("observedGeneration").asLong()).isEqualTo(3);
  }

  @Test
  @Order(4)
  void aRestartedTranslatorKeepsTheConditionOfTheIrStillServed() throws Exception {
    stack.stopService("translator");
    stack.startService("translator");
    // A new generation with the same operations: the IR does not change, so no xds-server reports
    // its outcome again. The restarted translator knows it from the compacted topic.
    writePolicy(4, "default/eg/http", "add", "/per_connection_buffer_limit_bytes", "1024");
    await(
        "the status of generation 4",
        WAIT,
        () -> {
          JsonNode a = condition(policyStatus(), "Accepted");
          return a != null && a.path("observedGeneration").asLong() == 4;
        });
    JsonNode c = condition(policyStatus(), "Programmed");
    assertThat(c).as("Programmed after the restart: %s", policyStatus()).isNotNull();
    assertThat(c.path("status").asText()).isEqualTo("True");
    assertThat(c.path("observedGeneration").asLong()).isEqualTo(4);
  }
}
