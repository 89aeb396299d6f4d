package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
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
@RealKubernetes
class ProviderConditionsIT {
  static KubernetesClient client;
  static KubernetesStatusSink sink;
  static String ns;

  /** GatewayClasses are cluster-scoped, and the server is shared: names of their own. */
  static final String OURS = ClusterObjects.unique("ours");

  static final String THEIRS = ClusterObjects.unique("theirs");

  @BeforeAll
  static void start(KubeApiServer kube) {
    client = kube.client();
    ns = ClusterObjects.namespace(kube, "sw-provider");
    ClusterObjects.create(
        client,
        "GatewayClass",
        "",
        OURS,
        Map.of("controllerName", KubernetesStatusWriter.DEFAULT_CONTROLLER));
    ClusterObjects.create(
        client, "GatewayClass", "", THEIRS, Map.of("controllerName", "example.com/other"));
    sink =
        new KubernetesStatusSink(
            client,
            new KubernetesStatusSink.Settings(
                KubernetesStatusWriter.DEFAULT_CONTROLLER,
                ns,
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
    ClusterObjects.delete(client, "GatewayClass", "", OURS);
    ClusterObjects.delete(client, "GatewayClass", "", THEIRS);
    client.close();
  }

  @Test
  void aGatewayClassOfOursIsAcceptedUntilTheTranslatorSaysOtherwise() throws Exception {
    await(
        () -> condition("GatewayClass", "", OURS, "Accepted").path("message").asText(),
        "Valid GatewayClass");
    assertThat(condition("GatewayClass", "", OURS, "Accepted").path("status").asText())
        .isEqualTo("True");

    ResourceKey key = new ResourceKey("gateway.networking.k8s.io", "GatewayClass", "", OURS);
    ObjectNode invalid =
        (ObjectNode)
            Json.MAPPER.readTree(
                "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"False\","
                    + "\"reason\":\"InvalidParameters\",\"message\":\"Invalid GatewayClass"
                    + " parameters: the referenced EnvoyProxy was not found\"}]}");
    sink.accept(new ResourceStatus(key, "gateway.networking.k8s.io/v1", 1, invalid));
    await(
        () -> condition("GatewayClass", "", OURS, "Accepted").path("reason").asText(),
        "InvalidParameters");

    // The translator's status is tombstoned (parameters removed): the class is Accepted again.
    sink.remove(key);
    await(
        () -> condition("GatewayClass", "", OURS, "Accepted").path("reason").asText(), "Accepted");
    // Another controller's class keeps the status the CRD's schema defaulted it to, untouched.
    JsonNode theirs = condition("GatewayClass", "", THEIRS, "Accepted");
    assertThat(theirs.path("status").asText()).isEqualTo("Unknown");
    assertThat(theirs.path("message").asText()).isEqualTo("Waiting for controller");
    assertThat(theirs.path("lastTransitionTime").asText()).isEqualTo("1970-01-01T00:00:00Z");
  }

  @Test
  void aGatewayTheTranslatorDidNotRejectIsAccepted() throws Exception {
    ClusterObjects.create(client, "Gateway", ns, "gw", ClusterObjects.gatewaySpec(OURS));
    ObjectNode fromTranslator = (ObjectNode) Json.MAPPER.readTree("{\"listeners\":[]}");
    sink.accept(
        new ResourceStatus(
            new ResourceKey("gateway.networking.k8s.io", "Gateway", ns, "gw"),
            "gateway.networking.k8s.io/v1",
            1,
            fromTranslator));
    await(
        () -> condition("Gateway", ns, "gw", "Accepted").path("message").asText(),
        "The Gateway has been scheduled by Envoy Gateway");
    JsonNode conditions = status("Gateway", ns, "gw").path("conditions");
    assertThat(conditions.get(0).path("type").asText()).isEqualTo("Accepted");
    assertThat(conditions.get(1).path("type").asText()).isEqualTo("Programmed");

    // A rejection from the translator is kept as it is.
    ClusterObjects.create(client, "Gateway", ns, "bad", ClusterObjects.gatewaySpec(OURS));
    ObjectNode rejected =
        (ObjectNode)
            Json.MAPPER.readTree(
                "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"False\","
                    + "\"reason\":\"UnsupportedAddress\",\"message\":\"no\"}]}");
    sink.accept(
        new ResourceStatus(
            new ResourceKey("gateway.networking.k8s.io", "Gateway", ns, "bad"),
            "gateway.networking.k8s.io/v1",
            1,
            rejected));
    await(
        () -> condition("Gateway", ns, "bad", "Accepted").path("reason").asText(),
        "UnsupportedAddress");
  }

  private static JsonNode status(String kind, String ns, String name) {
    return ClusterObjects.status(client, kind, ns, name);
  }

  private static JsonNode condition(String kind, String ns, String name, String type) {
    return ClusterObjects.condition(client, kind, ns, name, type);
  }

  private static void await(Supplier<String> actual, String expected) throws InterruptedException {
    ClusterObjects.await(actual, expected);
  }
}
