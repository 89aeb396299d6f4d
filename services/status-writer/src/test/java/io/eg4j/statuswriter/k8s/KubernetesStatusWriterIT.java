package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The status writer against a real API server: its schemas validate what is written, and its
 * resourceVersions make a concurrent change a real 409 conflict.
 */
@RealKubernetes
class KubernetesStatusWriterIT {
  static KubernetesClient client;
  static String ns;

  @org.junit.jupiter.api.BeforeAll
  static void connect(KubeApiServer kube) {
    client = kube.client();
    ns = ClusterObjects.namespace(kube, "sw-writer");
  }

  @org.junit.jupiter.api.AfterAll
  static void disconnect() {
    client.close();
  }

  private SimpleMeterRegistry meters;
  private KubernetesStatusWriter writer;

  @BeforeEach
  void setUp() {
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
    return new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", ns, name);
  }

  private double writes(String result) {
    var c = meters.find("eg4j.status.writes").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void writesTheStatusOnceAndSkipsAnEqualOne() throws Exception {
    ClusterObjects.create(client, "HTTPRoute", ns, "r1", Map.of("parentRefs", List.of()));
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
    GenericKubernetesResource r = ClusterObjects.create(client, "HTTPRoute", ns, "r2", Map.of());
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
        .inNamespace(ns)
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
    ClusterObjects.create(client, "HTTPRoute", ns, "r3", Map.of());
    // Another client labels the route between the writer's read and its write (the writer asks
    // its clock for the transition time in between): the server answers the first write 409.
    AtomicInteger reads = new AtomicInteger();
    Clock meddling =
        new Clock() {
          @Override
          public Instant instant() {
            if (reads.getAndIncrement() == 0) {
              client
                  .genericKubernetesResources(
                      io.eg4j.model.k8s.WatchedKind.find("gateway.networking.k8s.io", "HTTPRoute")
                          .orElseThrow()
                          .context())
                  .inNamespace(ns)
                  .withName("r3")
                  .edit(
                      r -> {
                        r.getMetadata().setLabels(Map.of("touched", "by-someone-else"));
                        return r;
                      });
            }
            return Instant.parse("2026-11-26T12:00:00Z");
          }

          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }
        };
    KubernetesStatusWriter raced =
        new KubernetesStatusWriter(
            client, KubernetesStatusWriter.DEFAULT_CONTROLLER, meters, 5, meddling);

    assertThat(raced.write(new ResourceStatus(routeKey("r3"), "v1", 1, routeStatus("eg", "True"))))
        .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    assertThat(writes("conflict")).isEqualTo(1);
    assertThat(writes("written")).isEqualTo(1);
    GenericKubernetesResource r3 = ClusterObjects.get(client, "HTTPRoute", ns, "r3");
    assertThat(r3.getMetadata().getLabels()).containsEntry("touched", "by-someone-else");
    assertThat(statusOf("HTTPRoute", "r3").at("/parents/0/conditions/0/type").asText())
        .isEqualTo("Accepted");
  }

  @Test
  void aStatusTheSchemaRejectsIsNotWrittenAndIsCountedAsFailed() throws Exception {
    ClusterObjects.create(client, "HTTPRoute", ns, "r4", Map.of());
    // A parent entry without conditions: the HTTPRoute schema requires at least one.
    ObjectNode invalid =
        (ObjectNode)
            Json.MAPPER.readTree(
                """
                {"parents":[{"parentRef":{"name":"eg"},
                  "controllerName":"gateway.envoyproxy.io/gatewayclass-controller",
                  "conditions":[]}]}
                """);
    assertThat(writer.write(new ResourceStatus(routeKey("r4"), "v1", 1, invalid)))
        .isEqualTo(KubernetesStatusWriter.Result.FAILED);
    assertThat(writes("failed")).isEqualTo(1);
    assertThat(statusOf("HTTPRoute", "r4").path("parents").isMissingNode()).isTrue();
  }

  @Test
  void aGatewayWhoseFleetCouldNotBeAppliedNamesTheCauseInProgrammed() throws Exception {
    ClusterObjects.create(client, "Gateway", ns, "failing", ClusterObjects.gatewaySpec("eg"));
    FleetFailures failures = new FleetFailures();
    int[] changes = {0};
    failures.onChange(() -> changes[0]++);
    writer.fleetFailures(failures);
    ObjectNode gwStatus =
        (ObjectNode)
            Json.MAPPER.readTree(
                """
                {"conditions":[{"type":"Accepted","status":"True","reason":"Accepted",
                 "message":"The Gateway has been scheduled by Envoy Gateway"}]}
                """);
    ResourceKey key = new ResourceKey("gateway.networking.k8s.io", "Gateway", ns, "failing");
    ObjectNode payload = Json.MAPPER.createObjectNode();
    payload.put("fleet", ns + "/failing");
    payload.put("gatewayNamespace", ns);
    payload.put("gatewayName", "failing");
    payload.put("cause", "cannot apply ServiceAccount eg/envoy-failing: forbidden");
    failures.onRecord(
        new org.apache.kafka.clients.consumer.ConsumerRecord<>(
            FleetFailures.TOPIC, 0, 0L, ns + "/failing", new byte[0]),
        io.eg4j.model.bus.Envelope.wrap(FleetFailures.TYPE, "provisioner", payload));
    assertThat(changes[0]).isEqualTo(1);

    assertThat(writer.write(new ResourceStatus(key, "v1", 1, gwStatus)))
        .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    JsonNode programmed = condition(statusOf("Gateway", "failing"), "Programmed");
    assertThat(programmed.path("status").asText()).isEqualTo("False");
    assertThat(programmed.path("reason").asText()).isEqualTo("AddressNotAssigned");
    assertThat(programmed.path("message").asText())
        .startsWith(GatewayProgrammed.ADDRESS_NOT_ASSIGNED)
        .contains("The proxy fleet could not be applied: cannot apply ServiceAccount")
        .contains("forbidden");

    // The provisioner withdraws it once the fleet applies: the message is the plain one again.
    failures.onRecord(
        new org.apache.kafka.clients.consumer.ConsumerRecord<>(
            FleetFailures.TOPIC, 0, 1L, ns + "/failing", null),
        null);
    assertThat(changes[0]).isEqualTo(2);
    writer.write(new ResourceStatus(key, "v1", 1, gwStatus));
    assertThat(condition(statusOf("Gateway", "failing"), "Programmed").path("message").asText())
        .isEqualTo(GatewayProgrammed.ADDRESS_NOT_ASSIGNED);
  }

  @Test
  void aGatewayGetsItsAddressesAndProgrammedFromTheProvisionedFleet() throws Exception {
    ClusterObjects.create(client, "Gateway", ns, "eg", ClusterObjects.gatewaySpec("eg"));
    ObjectNode gwStatus =
        (ObjectNode)
            Json.MAPPER.readTree(
                """
                {"conditions":[{"type":"Accepted","status":"True","reason":"Accepted",
                 "message":"The Gateway has been scheduled by Envoy Gateway"}]}
                """);
    ResourceKey key = new ResourceKey("gateway.networking.k8s.io", "Gateway", ns, "eg");

    // No fleet yet: Programmed=False, AddressNotAssigned.
    assertThat(writer.write(new ResourceStatus(key, "v1", 1, gwStatus)))
        .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
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
            ns);
    client
        .services()
        .inNamespace(ns)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("envoy-eg")
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withType("LoadBalancer")
                .withSelector(Map.of("app", "envoy-eg"))
                .withPorts(new ServicePortBuilder().withName("http").withPort(80).build())
                .endSpec()
                .build())
        .create();
    // The server allocated a cluster IP and node port; the load balancer's address comes from a
    // cloud controller, which the test plays.
    client
        .services()
        .inNamespace(ns)
        .withName("envoy-eg")
        .editStatus(
            svc -> {
              svc.setStatus(
                  new io.fabric8.kubernetes.api.model.ServiceStatusBuilder()
                      .withNewLoadBalancer()
                      .addNewIngress()
                      .withIp("203.0.113.10")
                      .endIngress()
                      .endLoadBalancer()
                      .build());
              return svc;
            });
    ClusterObjects.deployment(client, ns, "envoy-eg", labels, 2);
    String node = ClusterObjects.runPods(client, ns, "envoy-eg", 2);
    try {
      // The ReplicaSet and Deployment controllers count the ready Pods.
      ClusterObjects.await(
          () -> {
            var d = client.apps().deployments().inNamespace(ns).withName("envoy-eg").get();
            return d.getStatus() != null
                && Integer.valueOf(2).equals(d.getStatus().getAvailableReplicas());
          },
          java.time.Duration.ofSeconds(60),
          "2 available replicas");

      assertThat(writer.write(new ResourceStatus(key, "v1", 1, gwStatus)))
          .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
      s = statusOf("Gateway", "eg");
      assertThat(s.path("addresses").toString()).contains("203.0.113.10", "IPAddress");
      JsonNode programmed = condition(s, "Programmed");
      assertThat(programmed.path("status").asText()).isEqualTo("True");
      assertThat(programmed.path("message").asText())
          .isEqualTo("Address assigned to the Gateway, 2/2 envoy replicas available");
    } finally {
      client.nodes().withName(node).delete();
    }
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
    GenericKubernetesResource r = ClusterObjects.get(client, kind, ns, name);
    return Json.MAPPER.valueToTree(r.getAdditionalProperties().get("status"));
  }
}
