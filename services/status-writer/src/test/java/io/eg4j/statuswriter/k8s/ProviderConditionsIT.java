package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.model.status.ResourceStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conditions Envoy Gateway's provider sets, not its translator: a GatewayClass of our
 * controller is Accepted ("Valid GatewayClass") unless the translator says otherwise, and a Gateway
 * the translator did not reject is Accepted ("The Gateway has been scheduled by Envoy Gateway").
 */
@EnableKubernetesMockClient(crud = true)
class ProviderConditionsIT {
  static KubernetesMockServer server;
  static KubernetesClient client;
  static KubernetesStatusSink sink;

  @BeforeAll
  static void start() {
    client = MockCluster.patient(client);
    MockCluster.registerKinds(server);
    MockCluster.create(
        client,
        "GatewayClass",
        "",
        "ours",
        Map.of("controllerName", KubernetesStatusWriter.DEFAULT_CONTROLLER));
    MockCluster.create(
        client, "GatewayClass", "", "theirs", Map.of("controllerName", "example.com/other"));
    sink =
        new KubernetesStatusSink(
            client,
            new KubernetesStatusSink.Settings(
                KubernetesStatusWriter.DEFAULT_CONTROLLER,
                "eg-system",
                "eg4j-status-writer",
                "only",
                new LeaderElection.Timing(
                    Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250)),
                100,
                100,
                5,
                false),
            new SimpleMeterRegistry());
    sink.start();
  }

  @AfterAll
  static void stop() {
    if (sink != null) {
      sink.close();
    }
    client.close();
  }

  @Test
  void aGatewayClassOfOursIsAcceptedUntilTheTranslatorSaysOtherwise() throws Exception {
    await(
        () -> condition("GatewayClass", "", "ours", "Accepted").path("message").asText(),
        "Valid GatewayClass");
    assertThat(condition("GatewayClass", "", "ours", "Accepted").path("status").asText())
        .isEqualTo("True");

    ResourceKey key = new ResourceKey("gateway.networking.k8s.io", "GatewayClass", "", "ours");
    ObjectNode invalid =
        (ObjectNode)
            Json.MAPPER.readTree(
                "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"False\","
                    + "\"reason\":\"InvalidParameters\",\"message\":\"Invalid GatewayClass"
                    + " parameters: the referenced EnvoyProxy was not found\"}]}");
    sink.accept(new ResourceStatus(key, "gateway.networking.k8s.io/v1", 1, invalid));
    await(
        () -> condition("GatewayClass", "", "ours", "Accepted").path("reason").asText(),
        "InvalidParameters");

    // The translator's status is tombstoned (parameters removed): the class is Accepted again.
    sink.remove(key);
    await(
        () -> condition("GatewayClass", "", "ours", "Accepted").path("reason").asText(),
        "Accepted");
    assertThat(status("GatewayClass", "", "theirs").isEmpty()).isTrue();
  }

  @Test
  void aGatewayTheTranslatorDidNotRejectIsAccepted() throws Exception {
    MockCluster.create(
        client,
        "Gateway",
        "default",
        "gw",
        Map.of("gatewayClassName", "ours", "listeners", List.of()));
    ObjectNode fromTranslator = (ObjectNode) Json.MAPPER.readTree("{\"listeners\":[]}");
    sink.accept(
        new ResourceStatus(
            new ResourceKey("gateway.networking.k8s.io", "Gateway", "default", "gw"),
            "gateway.networking.k8s.io/v1",
            1,
            fromTranslator));
    await(
        () -> condition("Gateway", "default", "gw", "Accepted").path("message").asText(),
        "The Gateway has been scheduled by Envoy Gateway");
    JsonNode conditions = status("Gateway", "default", "gw").path("conditions");
    assertThat(conditions.get(0).path("type").asText()).isEqualTo("Accepted");
    assertThat(conditions.get(1).path("type").asText()).isEqualTo("Programmed");

    // A rejection from the translator is kept as it is.
    MockCluster.create(
        client,
        "Gateway",
        "default",
        "bad",
        Map.of("gatewayClassName", "ours", "listeners", List.of()));
    ObjectNode rejected =
        (ObjectNode)
            Json.MAPPER.readTree(
                "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"False\","
                    + "\"reason\":\"UnsupportedAddress\",\"message\":\"no\"}]}");
    sink.accept(
        new ResourceStatus(
            new ResourceKey("gateway.networking.k8s.io", "Gateway", "default", "bad"),
            "gateway.networking.k8s.io/v1",
            1,
            rejected));
    await(
        () -> condition("Gateway", "default", "bad", "Accepted").path("reason").asText(),
        "UnsupportedAddress");
  }

  private static JsonNode status(String kind, String ns, String name) {
    return MockCluster.status(client, kind, ns, name);
  }

  private static JsonNode condition(String kind, String ns, String name, String type) {
    return MockCluster.condition(client, kind, ns, name, type);
  }

  private static void await(Supplier<String> actual, String expected) throws InterruptedException {
    MockCluster.await(actual, expected);
  }
}
