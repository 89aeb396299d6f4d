package io.eg4j.watcher.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.eg4j.watcher.k8s.KubernetesResourceSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
 * Bad input end to end (issue 5), against a real kube-apiserver ({@link RealKubernetes}). The
 * server refuses what its CRD schemas reject (an unknown enum value, a string for an integer): such
 * objects never exist, so the watcher never sees them. What the server admits but the API model
 * cannot read (an integer beyond the int32 the API declares, which the server does not check) is
 * the watcher's to handle: the watcher service logs one line naming the object and the field,
 * counts it in {@code eg4j.watcher.invalid.objects} (tag kind), publishes {@code Accepted=False} to
 * {@code eg4j.status}, and the status-writer service (Kubernetes mode, holding its Lease) writes it
 * to the object's status subresource. The watcher goes on: a valid object created afterwards is
 * published.
 */
@RealKubernetes
class InvalidObjectEndToEndIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(60);

  /** This class's namespace (the server is shared by the test JVM), and its Lease's. */
  static final String NS = "invalid-e2e";

  static final String SYSTEM_NS = NS + "-system";

  static KubernetesClient client;
  static ConfigurableApplicationContext watcher;
  static ConfigurableApplicationContext statusWriter;
  static TopicRecorder topic;
  static final ListAppender<ILoggingEvent> LOG = new ListAppender<>();

  @BeforeAll
  static void start(KubeApiServer kube) {
    kube.ensureNamespace(NS);
    kube.ensureNamespace(SYSTEM_NS);
    client = kube.client();
    WatcherKubernetesSourceIT.useCluster(kube);
    statusWriter =
        new SpringApplicationBuilder(StatusWriterApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--spring.cloud.kubernetes.enabled=false",
                "--eg4j.status-writer.mode=kubernetes",
                "--eg4j.status-writer.kubernetes.identity=it-replica",
                "--eg4j.status-writer.kubernetes.lease-namespace=" + SYSTEM_NS,
                "--eg4j.status-writer.kubernetes.namespaces=" + NS,
                "--eg4j.status-writer.kubernetes.watch-proxies=false");
    watcher =
        new SpringApplicationBuilder(WatcherApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.watcher.source=kubernetes",
                "--eg4j.watcher.namespaces=" + NS,
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
    if (client != null) {
      client.close();
    }
    WatcherKubernetesSourceIT.forgetCluster();
  }

  static WatchedKind kind(String kind) {
    return WatchedKind.ALL.stream()
        .filter(k -> !k.group().isEmpty() && k.kind().equals(kind))
        .findFirst()
        .orElseThrow();
  }

  static void create(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    client
        .genericKubernetesResources(kind(r.getKind()).context())
        .inNamespace(r.getMetadata().getNamespace())
        .resource(r)
        .create();
  }

  static JsonNode status(String kind, String name) {
    GenericKubernetesResource r =
        client
            .genericKubernetesResources(kind(kind).context())
            .inNamespace(NS)
            .withName(name)
            .get();
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
    // What the CRD schemas reject never exists: an enum value the API does not define, a string
    // where the API wants an integer.
    assertThatThrownBy(
            () ->
                create(
                    """
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: HTTPRoute
                    metadata: {name: bad-enum, namespace: %s}
                    spec:
                      parentRefs: [{name: eg}]
                      rules:
                      - matches: [{path: {type: NotAPathType, value: /}}]
                    """
                        .formatted(NS)))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage())
                  .contains("spec.rules[0].matches[0].path.type")
                  .contains("NotAPathType");
            });
    assertThatThrownBy(
            () ->
                create(
                    """
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: Gateway
                    metadata: {name: bad-type, namespace: %s}
                    spec:
                      gatewayClassName: eg
                      listeners: [{name: http, port: eighty, protocol: HTTP}]
                    """
                        .formatted(NS)))
        .isInstanceOfSatisfying(
            KubernetesClientException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(422);
              assertThat(e.getMessage()).contains("spec.listeners[0].port");
            });

    // What the schemas admit and the model cannot read: integers beyond the declared int32.
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: bad-route, namespace: %s}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - filters:
            - type: CORS
              cors: {allowOrigins: ["https://example.com"], maxAge: 3000000000}
        """
            .formatted(NS));
    create(
        """
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: ClientTrafficPolicy
        metadata: {name: bad-policy, namespace: %s}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
          tcpKeepalive: {probes: 4294967296}
        """
            .formatted(NS));

    JsonNode routeAccepted =
        await(
            "the bad route's status",
            () -> status("HTTPRoute", "bad-route").at("/parents/0/conditions/0"));
    assertThat(routeAccepted.path("type").asText()).isEqualTo("Accepted");
    assertThat(routeAccepted.path("status").asText()).isEqualTo("False");
    assertThat(routeAccepted.path("reason").asText()).isEqualTo("UnsupportedValue");
    assertThat(routeAccepted.path("message").asText())
        .contains("spec.rules[0].filters[0].cors.maxAge")
        .contains("3000000000");
    // The generation the API server gave the object.
    assertThat(routeAccepted.path("observedGeneration").asLong()).isEqualTo(1);
    JsonNode routeParent = status("HTTPRoute", "bad-route").at("/parents/0");
    assertThat(routeParent.path("controllerName").asText())
        .isEqualTo("gateway.envoyproxy.io/gatewayclass-controller");
    assertThat(routeParent.at("/parentRef/name").asText()).isEqualTo("eg");

    JsonNode policyAccepted =
        await(
            "the bad policy's status",
            () -> status("ClientTrafficPolicy", "bad-policy").at("/ancestors/0/conditions/0"));
    assertThat(policyAccepted.path("type").asText()).isEqualTo("Accepted");
    assertThat(policyAccepted.path("status").asText()).isEqualTo("False");
    assertThat(policyAccepted.path("reason").asText()).isEqualTo("Invalid");
    assertThat(policyAccepted.path("message").asText())
        .contains("spec.tcpKeepalive.probes")
        .contains("4294967296");
    JsonNode ancestor = status("ClientTrafficPolicy", "bad-policy").at("/ancestors/0");
    assertThat(ancestor.at("/ancestorRef/kind").asText()).isEqualTo("Gateway");
    assertThat(ancestor.at("/ancestorRef/name").asText()).isEqualTo("eg");
    assertThat(ancestor.at("/ancestorRef/namespace").asText()).isEqualTo(NS);

    MeterRegistry meters = watcher.getBean(MeterRegistry.class);
    assertThat(
            meters.get("eg4j.watcher.invalid.objects").tag("kind", "HTTPRoute").counter().count())
        .isEqualTo(1);
    assertThat(
            meters
                .get("eg4j.watcher.invalid.objects")
                .tag("kind", "ClientTrafficPolicy")
                .counter()
                .count())
        .isEqualTo(1);
    // The refused Gateway never reached the watcher.
    assertThat(meters.find("eg4j.watcher.invalid.objects").tag("kind", "Gateway").counter())
        .isNull();
    String routeKey = "gateway.networking.k8s.io/HTTPRoute/" + NS + "/bad-route";
    String policyKey = "gateway.envoyproxy.io/ClientTrafficPolicy/" + NS + "/bad-policy";
    assertThat(LOG.list)
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains(routeKey)
                    .contains("cannot be read")
                    .contains("spec.rules[0].filters[0].cors.maxAge"));
    assertThat(LOG.list)
        .anySatisfy(
            e ->
                assertThat(e.getFormattedMessage())
                    .contains(policyKey)
                    .contains("spec.tcpKeepalive.probes"));
    assertThat(LOG.list).noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains("bad-enum"));

    // The watcher goes on.
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: good, namespace: %s}
        spec:
          parentRefs: [{name: eg}]
          rules: [{backendRefs: [{name: web, port: 80}]}]
        """
            .formatted(NS));
    topic.await(
        r ->
            ("gateway.networking.k8s.io/HTTPRoute/" + NS + "/good").equals(r.key())
                && !r.tombstone(),
        WAIT,
        "the valid route after the bad ones");
    assertThat(topic.live(Topics.RESOURCES)).doesNotContainKeys(routeKey, policyKey);
    // The status the status-writer wrote is no change of the user's: still one report each.
    assertThat(
            meters.get("eg4j.watcher.invalid.objects").tag("kind", "HTTPRoute").counter().count())
        .isEqualTo(1);
  }
}
