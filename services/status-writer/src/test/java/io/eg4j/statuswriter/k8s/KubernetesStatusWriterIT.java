package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The status writer against fabric8's mock API server (CRUD mode, status subresources on). */
@EnableKubernetesMockClient(crud = true)
class KubernetesStatusWriterIT {
  static KubernetesMockServer server;
  static KubernetesClient client;

  /** A client with long timeouts ({@link MockCluster#patient}). */
  @org.junit.jupiter.api.BeforeAll
  static void patientClient() {
    client = MockCluster.patient(client);
  }

  @org.junit.jupiter.api.AfterAll
  static void closePatientClient() {
    client.close();
  }

  private SimpleMeterRegistry meters;
  private KubernetesStatusWriter writer;

  @BeforeEach
  void setUp() {
    MockCluster.registerKinds(server);
    meters = new SimpleMeterRegistry();
    writer =
        new KubernetesStatusWriter(
            client,
            KubernetesStatusWriter.DEFAULT_CONTROLLER,
            meters,
            5,
            Clock.fixed(Instant.parse("2026-11-26T12:00:00Z"), ZoneOffset.UTC));
  }

  private static ObjectNode routeStatus(String gateway, String acceptedStatus) throws Exception {
    return (ObjectNode)
        Json.MAPPER.readTree(
            """
            {"parents":[{"parentRef":{"group":"gateway.networking.k8s.io","kind":"Gateway",
              "name":"%s"},
              "controllerName":"gateway.envoyproxy.io/gatewayclass-controller",
              "conditions":[{"type":"Accepted","status":"%s","reason":"Accepted","message":"ok",
                "lastTransitionTime":"1970-01-01T00:00:00Z"},
               {"type":"ResolvedRefs","status":"True","reason":"ResolvedRefs","message":"ok"}]}]}
            """
                .formatted(gateway, acceptedStatus));
  }

  private static ResourceKey routeKey(String name) {
    return new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "default", name);
  }

  private double writes(String result) {
    var c = meters.find("eg4j.status.writes").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void writesTheStatusOnceAndSkipsAnEqualOne() throws Exception {
    MockCluster.create(client, "HTTPRoute", "default", "r1", Map.of("parentRefs", List.of()));
    ResourceStatus s =
        new ResourceStatus(
            routeKey("r1"), "gateway.networking.k8s.io/v1", 1, routeStatus("eg", "True"));

    assertThat(writer.write(s)).isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    JsonNode status = statusOf("HTTPRoute", "r1");
    JsonNode accepted = status.at("/parents/0/conditions/0");
    assertThat(accepted.path("status").asText()).isEqualTo("True");
    assertThat(accepted.path("observedGeneration").asLong()).isEqualTo(1);
    // A new transition is stamped with the writer's clock, not the translator's.
    assertThat(accepted.path("lastTransitionTime").asText()).isEqualTo("2026-11-26T12:00:00Z");

    // The same status again, with another lastTransitionTime: nothing to write.
    assertThat(writer.write(s)).isEqualTo(KubernetesStatusWriter.Result.SKIPPED);
    assertThat(writes("written")).isEqualTo(1);
    assertThat(writes("skipped")).isEqualTo(1);
  }

  @Test
  void keepsOtherControllersParentsAndTheTransitionTimeOfUnchangedConditions() throws Exception {
    GenericKubernetesResource r =
        MockCluster.create(client, "HTTPRoute", "default", "r2", Map.of());
    ObjectNode other =
        (ObjectNode)
            Json.MAPPER.readTree(
                """
                {"parents":[{"parentRef":{"name":"other-gw"},"controllerName":"example.com/other",
                  "conditions":[{"type":"Accepted","status":"True","reason":"Accepted",
                  "message":"theirs","lastTransitionTime":"2020-01-01T00:00:00Z"}]}]}
                """);
    r.setAdditionalProperty("status", Json.MAPPER.convertValue(other, Map.class));
    client
        .genericKubernetesResources(
            io.eg4j.model.k8s.WatchedKind.find("gateway.networking.k8s.io", "HTTPRoute")
                .orElseThrow()
                .context())
        .inNamespace("default")
        .resource(r)
        .updateStatus();

    writer.write(new ResourceStatus(routeKey("r2"), "v1", 1, routeStatus("eg", "True")));
    JsonNode parents = statusOf("HTTPRoute", "r2").path("parents");
    assertThat(parents).hasSize(2);
    assertThat(parents.toString()).contains("example.com/other", "theirs");
    String firstTime = ours(parents).at("/conditions/0/lastTransitionTime").asText();

    // Only the message changes: the transition time stays.
    ObjectNode changed = routeStatus("eg", "True");
    ((ObjectNode) changed.at("/parents/0/conditions/0")).put("message", "still ok");
    KubernetesStatusWriter later =
        new KubernetesStatusWriter(
            client,
            KubernetesStatusWriter.DEFAULT_CONTROLLER,
            meters,
            5,
            Clock.fixed(Instant.parse("2026-11-27T00:00:00Z"), ZoneOffset.UTC));
    assertThat(later.write(new ResourceStatus(routeKey("r2"), "v1", 1, changed)))
        .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    JsonNode after = ours(statusOf("HTTPRoute", "r2").path("parents"));
    assertThat(after.at("/conditions/0/message").asText()).isEqualTo("still ok");
    assertThat(after.at("/conditions/0/lastTransitionTime").asText()).isEqualTo(firstTime);

    // The status flips: a new transition time.
    later.write(new ResourceStatus(routeKey("r2"), "v1", 1, routeStatus("eg", "False")));
    JsonNode flipped = ours(statusOf("HTTPRoute", "r2").path("parents"));
    assertThat(flipped.at("/conditions/0/lastTransitionTime").asText())
        .isEqualTo("2026-11-27T00:00:00Z");
  }

  @Test
  void aConflictIsRetriedAndTheWriteLands() throws Exception {
    MockCluster.create(client, "HTTPRoute", "default", "r3", Map.of());
    server
        .expect()
        .put()
        .withPath("/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/r3/status")
        .andReturn(
            409,
            Map.of(
                "apiVersion", "v1",
                "kind", "Status",
                "status", "Failure",
                "reason", "Conflict",
                "code", 409,
                "message", "the object has been modified"))
        .once();

    assertThat(writer.write(new ResourceStatus(routeKey("r3"), "v1", 1, routeStatus("eg", "True"))))
        .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    assertThat(writes("conflict")).isEqualTo(1);
    assertThat(writes("written")).isEqualTo(1);
    assertThat(statusOf("HTTPRoute", "r3").at("/parents/0/conditions/0/type").asText())
        .isEqualTo("Accepted");
  }

  @Test
  void aGatewayGetsItsAddressesAndProgrammedFromTheProvisionedFleet() throws Exception {
    MockCluster.create(
        client,
        "Gateway",
        "default",
        "eg",
        Map.of("gatewayClassName", "eg", "listeners", List.of()));
    ObjectNode gwStatus =
        (ObjectNode)
            Json.MAPPER.readTree(
                """
                {"conditions":[{"type":"Accepted","status":"True","reason":"Accepted",
                 "message":"The Gateway has been scheduled by Envoy Gateway"}]}
                """);
    ResourceKey key = new ResourceKey("gateway.networking.k8s.io", "Gateway", "default", "eg");

    // No fleet yet: Programmed=False, AddressNotAssigned.
    writer.write(new ResourceStatus(key, "v1", 1, gwStatus));
    JsonNode s = statusOf("Gateway", "eg");
    assertThat(condition(s, "Programmed").path("reason").asText()).isEqualTo("AddressNotAssigned");
    assertThat(condition(s, "Accepted").path("status").asText()).isEqualTo("True");

    Map<String, String> labels =
        Map.of(
            "app.kubernetes.io/name",
            "envoy",
            "app.kubernetes.io/component",
            "proxy",
            ProxyLabels.OWNING_GATEWAY_NAME,
            "eg",
            ProxyLabels.OWNING_GATEWAY_NAMESPACE,
            "default");
    client
        .services()
        .inNamespace("envoy-gateway-system")
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("envoy-default-eg")
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withType("LoadBalancer")
                .endSpec()
                .withNewStatus()
                .withNewLoadBalancer()
                .addNewIngress()
                .withIp("203.0.113.10")
                .endIngress()
                .endLoadBalancer()
                .endStatus()
                .build())
        .create();
    client
        .apps()
        .deployments()
        .inNamespace("envoy-gateway-system")
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName("envoy-default-eg")
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withReplicas(2)
                .endSpec()
                .withNewStatus()
                .withReplicas(2)
                .withAvailableReplicas(2)
                .endStatus()
                .build())
        .create();

    assertThat(writer.write(new ResourceStatus(key, "v1", 1, gwStatus)))
        .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    s = statusOf("Gateway", "eg");
    assertThat(s.path("addresses").toString()).contains("203.0.113.10", "IPAddress");
    JsonNode programmed = condition(s, "Programmed");
    assertThat(programmed.path("status").asText()).isEqualTo("True");
    assertThat(programmed.path("message").asText())
        .isEqualTo("Address assigned to the Gateway, 2/2 envoy replicas available");
  }

  @Test
  void anObjectThatIsGoneIsNotWritten() throws Exception {
    assertThat(
            writer.write(
                new ResourceStatus(routeKey("missing"), "v1", 1, routeStatus("eg", "True"))))
        .isEqualTo(KubernetesStatusWriter.Result.GONE);
  }

  private static JsonNode ours(JsonNode parents) {
    for (JsonNode p : parents) {
      if (p.path("controllerName").asText().equals(KubernetesStatusWriter.DEFAULT_CONTROLLER)) {
        return p;
      }
    }
    throw new AssertionError("no parent of ours in " + parents);
  }

  private static JsonNode condition(JsonNode status, String type) {
    for (JsonNode c : status.path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    throw new AssertionError("no " + type + " in " + status);
  }

  private static JsonNode statusOf(String kind, String name) {
    GenericKubernetesResource r = MockCluster.get(client, kind, "default", name);
    return Json.MAPPER.valueToTree(r.getAdditionalProperties().get("status"));
  }
}
