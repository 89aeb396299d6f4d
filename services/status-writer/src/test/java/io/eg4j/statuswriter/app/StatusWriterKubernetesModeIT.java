package io.eg4j.statuswriter.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The status-writer in Kubernetes mode: a status on {@code eg4j.status} (a real broker) becomes the
 * status subresource of the object on a real API server, written by the Lease holder. The app finds
 * the server through a kubeconfig file, as it would outside a cluster.
 */
@RealKubernetes
class StatusWriterKubernetesModeIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String[] CLIENT_PROPERTIES = {
    "kubeconfig", "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount"
  };

  static KubernetesClient client;
  static ConfigurableApplicationContext app;
  static String ns;

  @BeforeAll
  static void start(KubeApiServer kube) {
    client = kube.client();
    ns = "sw-app-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    kube.ensureNamespace(ns);
    // The app builds its own client from the kubeconfig, as it would outside a cluster.
    System.setProperty("kubeconfig", kube.kubeconfigFile().toString());
    System.setProperty("kubernetes.auth.tryKubeConfig", "true");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    app =
        new SpringApplicationBuilder(StatusWriterApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.status-writer.mode=kubernetes",
                "--eg4j.status-writer.kubernetes.identity=it-replica",
                "--eg4j.status-writer.kubernetes.lease-namespace=" + ns,
                "--eg4j.status-writer.kubernetes.watch-proxies=false");
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    for (String p : CLIENT_PROPERTIES) {
      System.clearProperty(p);
    }
    if (client != null) {
      client.close();
    }
  }

  @Test
  void aStatusOnTheBusBecomesTheStatusSubresource(KubeApiServer kube) throws Exception {
    WatchedKind route = WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow();
    GenericKubernetesResource r =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(route.apiVersion())
            .withKind("HTTPRoute")
            .withNewMetadata()
            .withName("r1")
            .withNamespace(ns)
            .endMetadata()
            .addToAdditionalProperties("spec", Map.of("parentRefs", java.util.List.of()))
            .build();
    client.genericKubernetesResources(route.context()).inNamespace(ns).resource(r).create();

    JsonNode status =
        Json.MAPPER.readTree(
            """
            {"parents":[{"parentRef":{"group":"gateway.networking.k8s.io",
              "kind":"Gateway","name":"eg"},
              "controllerName":"gateway.envoyproxy.io/gatewayclass-controller",
              "conditions":[{"type":"Accepted","status":"True","reason":"Accepted",
              "message":"Route is accepted"}]}]}
            """);
    ResourceStatus s =
        new ResourceStatus(
            new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", ns, "r1"),
            route.apiVersion(),
            1,
            status);
    try (KafkaProducer<String, Envelope> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
            new StringSerializer(),
            new EnvelopeSerde.EnvelopeSerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  Topics.STATUS,
                  s.key().toString(),
                  Envelope.wrap("status", "translator", Json.MAPPER.valueToTree(s))))
          .get();
    }

    await(
        () -> {
          var obj =
              client
                  .genericKubernetesResources(route.context())
                  .inNamespace(ns)
                  .withName("r1")
                  .get();
          Object st = obj.getAdditionalProperties().get("status");
          return st != null
              && "True"
                  .equals(
                      Json.MAPPER.valueToTree(st).at("/parents/0/conditions/0/status").asText());
        });
    MeterRegistry meters = app.getBean(MeterRegistry.class);
    assertThat(meters.get("eg4j.leader").tag("service", "status-writer").gauge().value())
        .isEqualTo(1.0);
    // The write is counted once the API server has answered, which may be just after it shows.
    await(() -> meters.get("eg4j.status.writes").tag("result", "written").counter().count() >= 1);
    // The Lease is a real coordination.k8s.io Lease in the configured namespace.
    assertThat(client.leases().inNamespace(ns).withName("eg4j-status-writer").get().getSpec())
        .satisfies(l -> assertThat(l.getHolderIdentity()).isEqualTo("it-replica"));
    // One status write reached the server, as the kubeconfig's user.
    java.util.List<JsonNode> writes = new java.util.ArrayList<>();
    for (String line : kube.auditLines()) {
      JsonNode e = Json.MAPPER.readTree(line);
      if (e.at("/objectRef/namespace").asText().equals(ns)
          && e.at("/objectRef/resource").asText().equals("httproutes")
          && e.at("/objectRef/subresource").asText().equals("status")) {
        writes.add(e);
      }
    }
    assertThat(writes).hasSize(1);
    assertThat(writes.get(0).path("verb").asText()).isEqualTo("update");
    assertThat(writes.get(0).at("/user/username").asText()).isEqualTo("eg4j-test-admin");
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + WAIT);
      }
      Thread.sleep(100);
    }
  }
}
