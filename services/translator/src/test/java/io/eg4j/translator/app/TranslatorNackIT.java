package io.eg4j.translator.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.TopicCreator;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.TopicRecorder;
import io.eg4j.translator.core.ResourceSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The translator service reading Envoy's rejections from {@code eg4j.xds-nacks} on a real broker: a
 * NACK that names a rule's cluster withholds that rule (the IR loses it, the route's status says
 * why), a NACK that names nothing withholds nothing, and a change of the route serves it again.
 */
class TranslatorNackIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String ROUTE = "gateway.networking.k8s.io/HTTPRoute/default/app";
  static final String CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  static final String MANIFESTS =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: default}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: eg, namespace: default, generation: 1}
      spec:
        gatewayClassName: eg
        listeners:
        - {name: http, protocol: HTTP, port: 8080}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: app, namespace: default, generation: 1}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - matches: [{path: {type: PathPrefix, value: /a}}]
          backendRefs: [{name: backend, port: 3000}]
        - matches: [{path: {type: PathPrefix, value: /b}}]
          backendRefs: [{name: backend, port: 3000}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: backend, namespace: default}
      spec:
        ports: [{name: http, port: 3000, targetPort: 3000}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata:
        name: backend-1
        namespace: default
        labels: {kubernetes.io/service-name: backend}
      addressType: IPv4
      ports: [{name: http, port: 3000}]
      endpoints: [{addresses: [10.0.0.1]}]
      """;

  static ConfigurableApplicationContext app;
  static TopicRecorder topics;
  static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void setUp() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      TopicCreator.ensureTopics(admin, 1, (short) 1, 1, WAIT);
    }
    producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer());
    for (ObjectNode o :
        ManifestReader.read(
            "it", new ByteArrayInputStream(MANIFESTS.getBytes(StandardCharsets.UTF_8)))) {
      put(o);
    }
    topics = new TopicRecorder(KAFKA.bootstrapServers(), Topics.STATUS, Topics.XDS_IR);
    app =
        new SpringApplicationBuilder(TranslatorApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.translator.debounce=50ms");
  }

  @AfterAll
  static void tearDown() {
    if (topics != null) {
      topics.close();
    }
    if (app != null) {
      app.close();
    }
    if (producer != null) {
      producer.close();
    }
  }

  static void put(ObjectNode o) throws Exception {
    send(
        Topics.RESOURCES, ResourceSnapshot.keyOf(o).toString(), Envelope.wrap("resource", "it", o));
  }

  static void send(String topic, String key, Envelope env) throws Exception {
    byte[] value = new EnvelopeSerde.EnvelopeSerializer().serialize(topic, env);
    producer.send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
  }

  static void nack(String typeUrl, String message) throws Exception {
    ObjectNode p = Json.MAPPER.createObjectNode();
    p.put("type_url", typeUrl);
    p.put("version", "v1");
    p.put("error_message", message);
    p.put("node", "default/eg/it");
    send(Topics.XDS_NACKS, "default/eg", Envelope.wrap("nack", "xds-server", p));
  }

  static JsonNode routeStatus() {
    Envelope e = topics.live(Topics.STATUS).get(ROUTE);
    return e == null ? null : e.payload().path("status");
  }

  static String ir() {
    Envelope e = topics.live(Topics.XDS_IR).get("default/eg");
    return e == null ? "" : e.payload().toString();
  }

  static JsonNode condition(JsonNode status, String type) {
    for (JsonNode c : status.path("parents").path(0).path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return null;
  }

  static double nacks(String outcome) {
    var c =
        app.getBean(MeterRegistry.class)
            .find("eg4j.translator.nacks")
            .tag("outcome", outcome)
            .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aNackWithholdsTheRuleItNamesUntilTheRouteChanges() throws Exception {
    topics.awaitTrue(
        t -> ir().contains("httproute/default/app/rule/1/") && routeStatus() != null,
        WAIT,
        "the first translation");
    awaitTrue(() -> app.getBean(CatchUpTracker.class).isCaughtUp());

    // A NACK whose message names nothing eg4j serves withholds nothing.
    nack(CLUSTER_TYPE, "Proto constraint validation failed");
    awaitTrue(() -> nacks("unattributed") == 1.0);

    nack(CLUSTER_TYPE, "Error adding/updating cluster(s) httproute/default/app/rule/1: boom");
    topics.awaitTrue(
        t -> !ir().contains("httproute/default/app/rule/1/"), WAIT, "rule 1 withheld from the IR");
    assertThat(ir()).contains("httproute/default/app/rule/0/");
    topics.awaitTrue(
        t -> routeStatus() != null && condition(routeStatus(), "PartiallyInvalid") != null,
        WAIT,
        "the route's status to say why");
    JsonNode partially = condition(routeStatus(), "PartiallyInvalid");
    assertThat(partially.path("reason").asText()).isEqualTo("UnsupportedValue");
    assertThat(partially.path("message").asText())
        .isEqualTo(
            "Dropped Rule(s) [1]: Envoy rejected the configuration: Error adding/updating"
                + " cluster(s) httproute/default/app/rule/1: boom");
    assertThat(nacks("attributed")).isEqualTo(1.0);
    assertThat(app.getBean(MeterRegistry.class).get("eg4j.translator.withheld").gauge().value())
        .isEqualTo(1.0);

    // The route changes: it is translated and served afresh.
    ObjectNode route =
        ManifestReader.read(
                "it", new ByteArrayInputStream(MANIFESTS.getBytes(StandardCharsets.UTF_8)))
            .stream()
            .filter(o -> o.path("kind").asText().equals("HTTPRoute"))
            .findFirst()
            .orElseThrow();
    ((ObjectNode) route.path("metadata")).put("generation", 2);
    ((ObjectNode) route.path("spec")).putArray("hostnames").add("www.example.com");
    put(route);
    topics.awaitTrue(
        t -> ir().contains("httproute/default/app/rule/1/"), WAIT, "rule 1 served again");
    topics.awaitTrue(
        t ->
            routeStatus() != null
                && routeStatus().path("parents").path(0).path("conditions").size() > 0
                && condition(routeStatus(), "PartiallyInvalid") == null,
        WAIT,
        "the route's status without the rejection");
    assertThat(app.getBean(MeterRegistry.class).get("eg4j.translator.withheld").gauge().value())
        .isZero();
  }

  static void awaitTrue(java.util.function.BooleanSupplier c) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out");
      }
      Thread.sleep(50);
    }
  }
}
