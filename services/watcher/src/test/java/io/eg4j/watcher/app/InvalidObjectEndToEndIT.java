package io.eg4j.watcher.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.statuswriter.app.StatusWriterApplication;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.TopicRecorder;
import io.eg4j.watcher.k8s.KubernetesResourceSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Bad input end to end (issue 5): objects the API model cannot read (an unknown enum value, a wrong
 * type) on the mock API server. The watcher service logs one line naming the object and the field,
 * counts it in {@code eg4j.watcher.invalid.objects} (tag kind), publishes {@code Accepted=False} to
 * {@code eg4j.status}, and the status-writer service (Kubernetes mode) writes it to the object. The
 * watcher goes on: a valid object created afterwards is published.
 */
@EnableKubernetesMockClient(crud = true)
class InvalidObjectEndToEndIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(60);

  static KubernetesMockServer server;
  static KubernetesClient client;
  static ConfigurableApplicationContext watcher;
  static ConfigurableApplicationContext statusWriter;
  static TopicRecorder topic;
  static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();

  @BeforeAll
  static void start() {
    for (WatchedKind k : WatchedKind.ALL) {
      if (!k.group().isEmpty() && k.hasStatus()) {
        server.expectCustomResource(
            new CustomResourceDefinitionContext.Builder()
                .withGroup(k.group())
                .withVersion(k.version())
                .withKind(k.kind())
                .withPlural(k.plural())
                .withScope(k.namespaced() ? "Namespaced" : "Cluster")
                .withStatusSubresource(true)
                .build());
      }
    }
    System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
    System.setProperty("kubernetes.trust.certificates", "true");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "eg-system");
    statusWriter =
        new SpringApplicationBuilder(StatusWriterApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--spring.cloud.kubernetes.enabled=false",
                "--eg4j.status-writer.mode=kubernetes",
                "--eg4j.status-writer.kubernetes.identity=it-replica",
                "--eg4j.status-writer.kubernetes.watch-proxies=false");
    watcher =
        new SpringApplicationBuilder(WatcherApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.watcher.source=kubernetes",
                "--spring.cloud.kubernetes.enabled=false");
    topic = new TopicRecorder(KAFKA.bootstrapServers(), Topics.RESOURCES);
    // After the contexts started: Spring Boot resets logback while it starts one.
    LOG.start();
    ((Logger) LoggerFactory.getLogger(KubernetesResourceSource.class)).addAppender(LOG);
  }

  @AfterAll
  static void stop() {
    ((Logger) LoggerFactory.getLogger(KubernetesResourceSource.class)).detachAppender(LOG);
    if (topic != null) {
      topic.close();
    }
    if (watcher != null) {
      watcher.close();
    }
    if (statusWriter != null) {
      statusWriter.close();
    }
    for (String p : WatcherKubernetesSourceIT.CLIENT_PROPERTIES) {
      System.clearProperty(p);
    }
  }

  static void create(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    WatchedKind k = WatchedKind.find(WatchedKind.GATEWAY_API, r.getKind()).orElseThrow();
    client
        .genericKubernetesResources(k.context())
        .inNamespace(r.getMetadata().getNamespace())
        .resource(r)
        .create();
  }

  static JsonNode status(String kind, String name) {
    WatchedKind k = WatchedKind.find(WatchedKind.GATEWAY_API, kind).orElseThrow();
    GenericKubernetesResource r =
        client.genericKubernetesResources(k.context()).inNamespace("default").withName(name).get();
    return Json.MAPPER.valueToTree(r.getAdditionalProperties().get("status"));
  }

  static JsonNode await(String what, Supplier<JsonNode> probe) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode n = probe.get();
      if (n != null && !n.isMissingNode() && !n.isNull()) {
        return n;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  @Test
  void unreadableObjectsAreLoggedCountedAndGetAStatusAndTheWatcherGoesOn() throws Exception {
    // An enum value the API does not define.
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: bad-enum, namespace: default, generation: 1}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: NotAPathType, value: /}}]
        """);
    // A string where the API wants an integer.
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: bad-type, namespace: default, generation: 1}
        spec:
          gatewayClassName: eg
          listeners: [{name: http, port: eighty, protocol: HTTP}]
        """);

    JsonNode routeAccepted =
        await(
            "the bad route's status",
            () -> status("HTTPRoute", "bad-enum").at("/parents/0/conditions/0"));
    assertThat(routeAccepted.path("type").asText()).isEqualTo("Accepted");
    assertThat(routeAccepted.path("status").asText()).isEqualTo("False");
    assertThat(routeAccepted.path("reason").asText()).isEqualTo("UnsupportedValue");
    assertThat(routeAccepted.path("message").asText())
        .contains("spec.rules[0].matches[0].path.type")
        .contains("NotAPathType");
    assertThat(status("HTTPRoute", "bad-enum").at("/parents/0/controllerName").asText())
        .isEqualTo("gateway.envoyproxy.io/gatewayclass-controller");

    JsonNode gatewayAccepted =
        await(
            "the bad gateway's status",
            () -> {
              for (JsonNode c : status("Gateway", "bad-type").path("conditions")) {
                if (c.path("type").asText().equals("Accepted")) {
                  return c;
                }
              }
              return null;
            });
    assertThat(gatewayAccepted.path("status").asText()).isEqualTo("False");
    assertThat(gatewayAccepted.path("reason").asText()).isEqualTo("Invalid");
    assertThat(gatewayAccepted.path("message").asText())
        .contains("spec.listeners[0].port")
        .contains("eighty");

    MeterRegistry meters = watcher.getBean(MeterRegistry.class);
    assertThat(
            meters.get("eg4j.watcher.invalid.objects").tag("kind", "HTTPRoute").counter().count())
        .isEqualTo(1);
    assertThat(meters.get("eg4j.watcher.invalid.objects").tag("kind", "Gateway").counter().count())
        .isEqualTo(1);
    assertThat(LOG.list)
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains("gateway.networking.k8s.io/HTTPRoute/default/bad-enum")
                    .contains("cannot be read")
                    .contains("spec.rules[0].matches[0].path.type"));
    assertThat(LOG.list)
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains("gateway.networking.k8s.io/Gateway/default/bad-type")
                    .contains("spec.listeners[0].port"));

    // The watcher goes on.
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: good, namespace: default}
        spec:
          parentRefs: [{name: eg}]
          rules: [{backendRefs: [{name: web, port: 80}]}]
        """);
    topic.await(
        r -> "gateway.networking.k8s.io/HTTPRoute/default/good".equals(r.key()) && !r.tombstone(),
        WAIT,
        "the valid route after the bad ones");
    assertThat(topic.live(Topics.RESOURCES))
        .doesNotContainKeys(
            "gateway.networking.k8s.io/HTTPRoute/default/bad-enum",
            "gateway.networking.k8s.io/Gateway/default/bad-type");
  }
}
