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
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
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
 * status subresource of the object on fabric8's mock API server, written by the Lease holder.
 */
@EnableKubernetesMockClient(crud = true)
class StatusWriterKubernetesModeIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String[] CLIENT_PROPERTIES = {
    "kubernetes.master",
    "kubernetes.trust.certificates",
    "kubernetes.auth.tryKubeConfig",
    "kubernetes.auth.tryServiceAccount",
    "kubernetes.namespace"
  };

  static KubernetesMockServer server;
  static KubernetesClient client;
  static ConfigurableApplicationContext app;

  @BeforeAll
  static void start() {
    WatchedKind route = WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow();
    server.expectCustomResource(
        new CustomResourceDefinitionContext.Builder()
            .withGroup(route.group())
            .withVersion(route.version())
            .withKind(route.kind())
            .withPlural(route.plural())
            .withScope("Namespaced")
            .withStatusSubresource(true)
            .build());
    // The app builds its own client from these, as it would from a kubeconfig.
    System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
    System.setProperty("kubernetes.trust.certificates", "true");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "eg-system");
    app =
        new SpringApplicationBuilder(StatusWriterApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.status-writer.mode=kubernetes",
                "--eg4j.status-writer.kubernetes.identity=it-replica",
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
  }

  @Test
  void aStatusOnTheBusBecomesTheStatusSubresource() throws Exception {
    WatchedKind route = WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow();
    GenericKubernetesResource r =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(route.apiVersion())
            .withKind("HTTPRoute")
            .withNewMetadata()
            .withName("r1")
            .withNamespace("default")
            .endMetadata()
            .addToAdditionalProperties("spec", Map.of("parentRefs", java.util.List.of()))
            .build();
    client.genericKubernetesResources(route.context()).inNamespace("default").resource(r).create();

    JsonNode status =
        Json.MAPPER.readTree(
            """
            {"parents":[{"parentRef":{"name":"eg"},
              "controllerName":"gateway.envoyproxy.io/gatewayclass-controller",
              "conditions":[{"type":"Accepted","status":"True","reason":"Accepted",
              "message":"Route is accepted"}]}]}
            """);
    ResourceStatus s =
        new ResourceStatus(
            ResourceKey.parse("gateway.networking.k8s.io/HTTPRoute/default/r1"),
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
                  .inNamespace("default")
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
