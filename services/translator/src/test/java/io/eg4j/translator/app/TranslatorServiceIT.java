package io.eg4j.translator.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.TopicCreator;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.TopicRecorder;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The translator service against a real broker. Expectations come from the real core run on the
 * same objects, so the test pins the service's contract (what it publishes, when, and only on
 * change), not translation details.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TranslatorServiceIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(30);

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
        - {name: http, protocol: HTTP, port: 80}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: backend, namespace: default, generation: 1}
      spec:
        parentRefs: [{name: eg}]
        hostnames: [www.example.com]
        rules:
        - backendRefs: [{name: backend, port: 3000}]
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

  static final String STALE_STATUS_KEY = "gateway.networking.k8s.io/HTTPRoute/default/long-gone";

  @TempDir static Path tmp;
  static Path keyFile;
  static SecretBox box;
  static ConfigurableApplicationContext app;
  static TopicRecorder topics;
  static Map<ResourceKey, ObjectNode> objects = new TreeMap<>();
  static long poisonOffset;

  @BeforeAll
  static void setUp() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      TopicCreator.ensureTopics(admin, 1, (short) 1, 1, WAIT);
    }
    keyFile = tmp.resolve("bus.key");
    box = SecretBox.fromFile(keyFile, true);
    // Everything is on the topic before the translator starts: it must translate it as one
    // snapshot after catching up, never a part of it.
    for (ObjectNode o :
        ManifestReader.read(
            "it", new ByteArrayInputStream(MANIFESTS.getBytes(StandardCharsets.UTF_8)))) {
      put(o);
    }
    ObjectNode secret =
        (ObjectNode)
            Json.MAPPER.readTree(
                "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\","
                    + "\"namespace\":\"default\"},\"data\":{\"k\":\"dg==\"}}");
    objects.put(ResourceSnapshot.keyOf(secret), secret);
    send(
        Topics.RESOURCES,
        ResourceSnapshot.keyOf(secret).toString(),
        new Envelope(1, "resource", "sealed-1", "it", true, box.seal(secret)));
    poisonOffset =
        sendRaw(Topics.RESOURCES, "/Service/default/poison", "{not an envelope".getBytes());
    // A status the translator published in an earlier life, for an object that is gone.
    send(
        Topics.STATUS,
        STALE_STATUS_KEY,
        Envelope.wrap(
            "status",
            "translator",
            Json.MAPPER.valueToTree(
                new ResourceStatus(
                    ResourceKey.parse(STALE_STATUS_KEY),
                    "gateway.networking.k8s.io/v1",
                    1,
                    Json.MAPPER.createObjectNode()))));
    topics =
        new TopicRecorder(
            KAFKA.bootstrapServers(),
            Topics.STATUS,
            Topics.XDS_IR,
            Topics.INFRA_IR,
            Topics.deadLetter(Topics.RESOURCES));
    app = startApp();
  }

  static ConfigurableApplicationContext startApp() {
    return new SpringApplicationBuilder(TranslatorApplication.class)
        .run(
            "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
            "--server.port=0",
            "--eg4j.bus.secret-key-file=" + keyFile,
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
  }

  static void put(ObjectNode o) {
    objects.put(ResourceSnapshot.keyOf(o), o);
    send(
        Topics.RESOURCES, ResourceSnapshot.keyOf(o).toString(), Envelope.wrap("resource", "it", o));
  }

  static TranslateResult expected() {
    // Copies: the objects here are what the test publishes next, whatever the core does with them.
    Map<ResourceKey, ObjectNode> copy = new TreeMap<>();
    objects.forEach((k, v) -> copy.put(k, v.deepCopy()));
    return new Translator(EnvoyGatewayConfig.defaults()).translate(ResourceSnapshot.of(copy));
  }

  static double translations() {
    return app.getBean(MeterRegistry.class).find("eg4j.translator.translation").timers().stream()
        .mapToDouble(io.micrometer.core.instrument.Timer::count)
        .sum();
  }

  @Test
  @Order(1)
  void publishesTheWholeSnapshotOnceAfterCatchUp() {
    TranslateResult expected = expected();
    // What a GatewayClass + Gateway + HTTPRoute gives: statuses for the Gateway and the route, one
    // xDS IR and one infra IR for the Gateway.
    List<String> expectedStatusKeys =
        expected.statuses().stream().map(s -> s.key().toString()).toList();
    assertThat(expectedStatusKeys)
        .contains(
            "gateway.networking.k8s.io/Gateway/default/eg",
            "gateway.networking.k8s.io/HTTPRoute/default/backend");
    assertThat(expected.xdsIr()).isNotEmpty();
    assertThat(expected.infraIr()).isNotEmpty();

    topics.awaitTrue(
        t ->
            t.live(Topics.STATUS).keySet().containsAll(expectedStatusKeys)
                && t.latest(Topics.STATUS).containsKey(STALE_STATUS_KEY)
                && t.latest(Topics.STATUS).get(STALE_STATUS_KEY).tombstone()
                && t.live(Topics.XDS_IR).keySet().equals(expected.xdsIr().keySet())
                && t.live(Topics.INFRA_IR).keySet().equals(expected.infraIr().keySet()),
        WAIT,
        "statuses, xDS IR and infra IR of the snapshot");
    assertThat(app.getBean(CatchUpTracker.class).isCaughtUp()).isTrue();
    // One translation of the complete snapshot: nothing was published from a partial one.
    assertThat(translations()).isEqualTo(1.0);
    assertThat(topics.live(Topics.STATUS).keySet())
        .containsExactlyInAnyOrderElementsOf(expectedStatusKeys);
    for (ResourceStatus s : expected.statuses()) {
      Envelope env = topics.live(Topics.STATUS).get(s.key().toString());
      assertThat(env.type()).isEqualTo("status");
      ResourceStatus got = Json.MAPPER.convertValue(env.payload(), ResourceStatus.class);
      assertThat(got.key()).isEqualTo(s.key());
      assertThat(got.observedGeneration()).isEqualTo(s.observedGeneration());
      assertThat(ContentHash.of(withoutTimes(got.status())))
          .as("status of %s", s.key())
          .isEqualTo(ContentHash.of(withoutTimes(s.status())));
    }
    expected
        .xdsIr()
        .forEach(
            (k, ir) -> {
              Envelope env = topics.live(Topics.XDS_IR).get(k);
              assertThat(env.type()).isEqualTo("xds-ir");
              assertThat(env.contentHash()).isEqualTo(ContentHash.of(Json.MAPPER.valueToTree(ir)));
              // The IR may carry private keys: it is sealed with the bus key (invariant 6).
              assertThat(env.encrypted()).isTrue();
              assertThat(box.open(env.payload())).isEqualTo(Json.MAPPER.valueToTree(ir));
            });
    expected
        .infraIr()
        .forEach(
            (k, ir) ->
                assertThat(topics.live(Topics.INFRA_IR).get(k).contentHash())
                    .isEqualTo(ContentHash.of(Json.MAPPER.valueToTree(ir))));
    // Each output key was written exactly once.
    assertThat(topics.of(Topics.XDS_IR)).hasSize(expected.xdsIr().size());
    assertThat(topics.of(Topics.STATUS)).hasSize(expectedStatusKeys.size() + 2);
  }

  @Test
  @Order(2)
  void poisonRecordGoesToTheDeadLetterTopic() {
    TopicRecorder.Rec dead =
        topics.await(
            r -> r.topic().equals(Topics.deadLetter(Topics.RESOURCES)), WAIT, "dead letter");
    assertThat(dead.key()).isEqualTo("/Service/default/poison");
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("{not an envelope");
    assertThat(
            app.getBean(MeterRegistry.class)
                .counter("eg4j.bus.dead.letters", "topic", Topics.RESOURCES)
                .count())
        .isEqualTo(1.0);
    assertThat(topics.of(Topics.deadLetter(Topics.RESOURCES))).hasSize(1);
    assertThat(poisonOffset).isGreaterThan(0);
  }

  @Test
  @Order(3)
  void unchangedInputPublishesNothing() throws Exception {
    int before = topics.all().size();
    double translated = translations();
    // The same object again, byte for byte.
    ObjectNode gateway =
        objects.get(ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/eg"));
    put(gateway);
    Thread.sleep(1000);
    assertThat(translations()).isEqualTo(translated);
    assertThat(topics.all()).hasSize(before);
  }

  @Test
  @Order(4)
  void changeAfterPoisonStillFlows() {
    ObjectNode route =
        objects
            .get(ResourceKey.parse("gateway.networking.k8s.io/HTTPRoute/default/backend"))
            .deepCopy();
    ((ObjectNode) route.path("metadata")).put("generation", 2);
    put(route);
    String key = "gateway.networking.k8s.io/HTTPRoute/default/backend";
    topics.await(
        r ->
            r.topic().equals(Topics.STATUS)
                && key.equals(r.key())
                && !r.tombstone()
                && r.envelope().payload().path("observedGeneration").asLong() == 2,
        WAIT,
        "status of generation 2");
    ResourceStatus expected =
        expected().statuses().stream()
            .filter(s -> s.key().toString().equals(key))
            .findFirst()
            .orElseThrow();
    assertThat(expected.observedGeneration()).isEqualTo(2);
  }

  @Test
  @Order(5)
  void endpointOnlyChangeTakesTheFastPath() {
    ResourceKey sliceKey = ResourceKey.parse("discovery.k8s.io/EndpointSlice/default/backend-1");
    ObjectNode slice = objects.get(sliceKey).deepCopy();
    ((ObjectNode) slice.path("endpoints").get(0)).putArray("addresses").add("10.0.0.2");
    put(slice);
    TranslateResult expected = expected();
    String irKey = expected.xdsIr().keySet().iterator().next();
    String want = ContentHash.of(Json.MAPPER.valueToTree(expected.xdsIr().get(irKey)));
    topics.await(
        r ->
            r.topic().equals(Topics.XDS_IR)
                && irKey.equals(r.key())
                && !r.tombstone()
                && want.equals(r.envelope().contentHash()),
        WAIT,
        "xDS IR with the new endpoint, equal to a full translation's");
    assertThat(box.open(topics.live(Topics.XDS_IR).get(irKey).payload()).toString())
        .contains("10.0.0.2")
        .doesNotContain("10.0.0.1");
    assertThat(
            app.getBean(MeterRegistry.class)
                .get("eg4j.translator.translation")
                .tag("path", "endpoints")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  @Order(6)
  void deletedGatewayIsTombstoned() {
    ResourceKey gw = ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/eg");
    objects.remove(gw);
    send(Topics.RESOURCES, gw.toString(), null);
    topics.await(
        r -> r.topic().equals(Topics.STATUS) && gw.toString().equals(r.key()) && r.tombstone(),
        WAIT,
        "Gateway status tombstone");
    TranslateResult expected = expected();
    topics.awaitTrue(
        t -> t.live(Topics.XDS_IR).keySet().equals(expected.xdsIr().keySet()),
        WAIT,
        "xDS IR of the deleted Gateway tombstoned");
  }

  @Test
  @Order(7)
  void readinessIsCatchUpAndAStandbyTakesOver() throws Exception {
    int port =
        ((org.springframework.boot.web.server.context.WebServerApplicationContext) app)
            .getWebServer()
            .getPort();
    java.net.http.HttpResponse<String> ready =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://127.0.0.1:" + port + "/actuator/health/readiness"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("CAUGHT_UP");
    // A status another service published (the watcher's Accepted=False for an object it could not
    // read) is not the translator's to tombstone, not even after a failover re-reads the topic.
    String foreign = "gateway.networking.k8s.io/HTTPRoute/default/unreadable";
    send(
        Topics.STATUS,
        foreign,
        Envelope.wrap(
            "status", "watcher", Json.MAPPER.createObjectNode().put("note", "unreadable object")));
    topics.await(r -> foreign.equals(r.key()), WAIT, "the watcher's status on the bus");

    // A second replica joins the group: exactly one of the two holds eg4j.resources.
    ConfigurableApplicationContext second = startApp();
    try {
      CatchUpTracker a = app.getBean(CatchUpTracker.class);
      CatchUpTracker b = second.getBean(CatchUpTracker.class);
      awaitTrue(
          () ->
              (a.isCaughtUp() && b.state() == CatchUpTracker.State.STANDBY)
                  || (b.isCaughtUp() && a.state() == CatchUpTracker.State.STANDBY));
      int before = outputs();
      ConfigurableApplicationContext active = a.isCaughtUp() ? app : second;
      ConfigurableApplicationContext standby = active == app ? second : app;
      active.close();
      // The standby takes over, reads the state and the outputs, and republishes nothing.
      awaitTrue(() -> standby.getBean(CatchUpTracker.class).isCaughtUp());
      Thread.sleep(500);
      // (A poison record still on eg4j.resources is dead-lettered again by each new reader.)
      assertThat(outputs()).isEqualTo(before);
      app = standby;
      second = null;
      // And it publishes what changes from now on.
      ObjectNode svc =
          (ObjectNode)
              Json.MAPPER.readTree(
                  "{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"Gateway\","
                      + "\"metadata\":{\"name\":\"second\",\"namespace\":\"default\"},"
                      + "\"spec\":{\"gatewayClassName\":\"eg\",\"listeners\":[{\"name\":"
                      + "\"http\",\"protocol\":\"HTTP\",\"port\":8080}]}}");
      put(svc);
      topics.await(
          r ->
              r.topic().equals(Topics.STATUS)
                  && "gateway.networking.k8s.io/Gateway/default/second".equals(r.key()),
          WAIT,
          "status published by the new active replica");
      // Tombstones follow the changes of the same publish: give them time to show up.
      Thread.sleep(1_000);
      assertThat(topics.live(Topics.STATUS)).containsKey(foreign);
    } finally {
      if (second != null && second.isActive()) {
        second.close();
      }
    }
  }

  static int outputs() {
    return topics.of(Topics.STATUS).size()
        + topics.of(Topics.XDS_IR).size()
        + topics.of(Topics.INFRA_IR).size();
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within " + WAIT).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  static com.fasterxml.jackson.databind.JsonNode withoutTimes(
      com.fasterxml.jackson.databind.JsonNode n) {
    com.fasterxml.jackson.databind.JsonNode copy = n.deepCopy();
    strip(copy);
    return copy;
  }

  static void strip(com.fasterxml.jackson.databind.JsonNode n) {
    if (n instanceof ObjectNode o) {
      o.remove("lastTransitionTime");
      o.forEach(TranslatorServiceIT::strip);
    } else if (n.isArray()) {
      n.forEach(TranslatorServiceIT::strip);
    }
  }

  static void send(String topic, String key, Envelope env) {
    sendRaw(
        topic, key, env == null ? null : new EnvelopeSerde().serializer().serialize(topic, env));
  }

  static long sendRaw(String topic, String key, byte[] value) {
    try (var p =
        new KafkaProducer<>(
            Map.<String, Object>of("bootstrap.servers", KAFKA.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      return p.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS).offset();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
