package io.eg4j.watcher.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.CompactedTopicReader;
import io.eg4j.model.bus.kafka.TopicCreator;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.TopicRecorder;
import io.eg4j.watcher.kafka.ResourcePublisher;
import io.eg4j.watcher.kafka.SealedHash;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Kubernetes source against fabric8's mock API server (CRUD mode) and a real Kafka broker,
 * through the watcher's own publisher: objects to {@code eg4j.resources}, changes, deletions,
 * start-up tombstones, referenced-only Secrets sealed on the bus, and an unreadable object that
 * gets a status while the stream goes on.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesResourceSourceIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(30);

  static KubernetesMockServer server;
  static KubernetesClient client;

  /**
   * A client with long timeouts: on a loaded 2-core machine the mock server can take more than the
   * default 10 s to accept a connection, which is not what these tests are about.
   */
  @org.junit.jupiter.api.BeforeAll
  static void patientClient() {
    client =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
                    .withConnectionTimeout(120_000)
                    .withRequestTimeout(120_000)
                    .build())
            .build();
  }

  @org.junit.jupiter.api.AfterAll
  static void closePatientClient() {
    client.close();
  }

  static Producer<String, Envelope> producer;
  static TopicRecorder topics;

  @BeforeAll
  static void bus() {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      TopicCreator.ensureTopics(admin, 1, (short) 1, 1, WAIT);
    }
    Map<String, Object> props = new HashMap<>(BusSettings.producerOverrides());
    props.put("bootstrap.servers", KAFKA.bootstrapServers());
    producer =
        new KafkaProducer<>(props, new StringSerializer(), new EnvelopeSerde.EnvelopeSerializer());
    topics = new TopicRecorder(KAFKA.bootstrapServers(), Topics.RESOURCES, Topics.STATUS);
  }

  @AfterAll
  static void close() {
    topics.close();
    producer.close();
  }

  static GenericKubernetesResource create(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    String kind = r.getKind();
    WatchedKind k =
        WatchedKind.ALL.stream()
            .filter(w -> w.kind().equals(kind) && !w.group().isEmpty())
            .findFirst()
            .orElseThrow();
    var op = client.genericKubernetesResources(k.context());
    return (k.namespaced() ? op.inNamespace(r.getMetadata().getNamespace()) : op)
        .resource(r)
        .create();
  }

  static String route(String name, String pathType) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: %s, namespace: default}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: %s, value: /}}]
            backendRefs: [{name: web, port: 80}]
        """
        .formatted(name, pathType);
  }

  @Test
  void clusterObjectsReachTheBusAndTheWatcherSurvivesAnUnreadableOne() throws Exception {
    byte[] keyBytes = new byte[32];
    new java.security.SecureRandom().nextBytes(keyBytes);
    SecretBox box = new SecretBox("test", keyBytes);

    // A key published before this watcher started, whose object no longer exists.
    String stale = "gateway.networking.k8s.io/HTTPRoute/default/stale";
    producer
        .send(
            new ProducerRecord<>(
                Topics.RESOURCES,
                stale,
                Envelope.wrap("resource", "watcher", Json.MAPPER.readTree("{\"kind\":\"x\"}"))))
        .get();

    client
        .namespaces()
        .resource(
            new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build())
        .create();
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
        """);
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: eg, namespace: default}
        spec:
          gatewayClassName: eg
          listeners:
          - name: https
            port: 443
            protocol: HTTPS
            tls: {certificateRefs: [{name: tls}]}
        """);
    create(route("r1", "PathPrefix"));
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("tls")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", "Y2VydA==")
                .addToData("tls.key", "a2V5")
                .build())
        .create();
    client
        .secrets()
        .inNamespace("default")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("unrelated")
                .endMetadata()
                .addToData("password", "aHVudGVyMg==")
                .build())
        .create();
    client
        .configMaps()
        .inNamespace("default")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("unrelated")
                .endMetadata()
                .addToData("k", "v")
                .build())
        .create();

    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    ResourcePublisher publisher =
        new ResourcePublisher(producer, Optional.of(box), new SealedHash(keyBytes), meters);
    Map<String, Object> consumer = Map.of("bootstrap.servers", KAFKA.bootstrapServers());
    publisher.startFrom(CompactedTopicReader.read(consumer, Topics.RESOURCES, WAIT));
    KubernetesResourceSource source =
        new KubernetesResourceSource(
            client,
            KubernetesResourceSource.Settings.defaults(),
            meters,
            new StatusPublisher(producer));
    try {
      source.start(publisher);

      topics.awaitTrue(
          t ->
              t.live(Topics.RESOURCES)
                  .containsKey("gateway.networking.k8s.io/HTTPRoute/default/r1"),
          WAIT,
          "r1 published");
      // Start-up reconciliation: the vanished key gets a tombstone.
      topics.awaitTrue(
          t -> !t.live(Topics.RESOURCES).containsKey(stale), WAIT, "tombstone of the stale key");
      Map<String, Envelope> live = topics.live(Topics.RESOURCES);
      assertThat(live)
          .containsKeys(
              "gateway.networking.k8s.io/GatewayClass//eg",
              "gateway.networking.k8s.io/Gateway/default/eg",
              "/Secret/default/tls",
              "/Namespace//default")
          .doesNotContainKeys("/Secret/default/unrelated", "/ConfigMap/default/unrelated", stale);
      // Start-up reconciliation: the vanished key got a tombstone.
      assertThat(topics.latest(Topics.RESOURCES).get(stale).tombstone()).isTrue();
      // The referenced Secret is sealed, and opens to the object.
      Envelope secret = live.get("/Secret/default/tls");
      assertThat(secret.encrypted()).isTrue();
      assertThat(secret.payload().toString()).doesNotContain("a2V5");
      assertThat(box.open(secret.payload()).at("/data/tls.key").asText()).isEqualTo("a2V5");
      // Bookkeeping fields are not published.
      JsonNode gw = live.get("gateway.networking.k8s.io/Gateway/default/eg").payload();
      assertThat(gw.at("/metadata/resourceVersion").isMissingNode()).isTrue();
      assertThat(gw.at("/spec/gatewayClassName").asText()).isEqualTo("eg");

      // An object the model cannot read: no record, a status that says why, and the stream goes on.
      create(route("bad", "NotAPathType"));
      create(route("r2", "Exact"));
      topics.awaitTrue(
          t ->
              t.live(Topics.RESOURCES)
                  .containsKey("gateway.networking.k8s.io/HTTPRoute/default/r2"),
          WAIT,
          "r2 published after the bad route");
      assertThat(topics.live(Topics.RESOURCES))
          .doesNotContainKey("gateway.networking.k8s.io/HTTPRoute/default/bad");
      topics.awaitTrue(
          t -> t.live(Topics.STATUS).containsKey("gateway.networking.k8s.io/HTTPRoute/default/bad"),
          WAIT,
          "status of the bad route");
      JsonNode status =
          topics
              .live(Topics.STATUS)
              .get("gateway.networking.k8s.io/HTTPRoute/default/bad")
              .payload();
      JsonNode accepted = status.at("/status/parents/0/conditions/0");
      assertThat(accepted.path("status").asText()).isEqualTo("False");
      assertThat(accepted.path("reason").asText()).isEqualTo("UnsupportedValue");
      assertThat(accepted.path("message").asText()).contains("NotAPathType");
      assertThat(
              meters.get("eg4j.watcher.invalid.objects").tag("kind", "HTTPRoute").counter().count())
          .isEqualTo(1);
      // Deleting the unreadable object removes the status published for it.
      var routeContext =
          WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow().context();
      client
          .genericKubernetesResources(routeContext)
          .inNamespace("default")
          .withName("bad")
          .delete();
      topics.awaitTrue(
          t ->
              !t.live(Topics.STATUS).containsKey("gateway.networking.k8s.io/HTTPRoute/default/bad"),
          WAIT,
          "the bad route's status tombstoned after its deletion");

      // A status written to the Gateway (as the status-writer does) is not a change: no new
      // record, and the Gateway stays on the bus.
      var gwContext = WatchedKind.find(WatchedKind.GATEWAY_API, "Gateway").orElseThrow().context();
      int gatewayRecords =
          topics.of(Topics.RESOURCES, "gateway.networking.k8s.io/Gateway/default/eg").size();
      client
          .genericKubernetesResources(gwContext)
          .inNamespace("default")
          .withName("eg")
          .edit(
              g -> {
                g.setAdditionalProperty(
                    "status",
                    Map.of(
                        "conditions",
                        List.of(
                            Map.of(
                                "type", "Accepted",
                                "status", "True",
                                "reason", "Accepted",
                                "message", "ok",
                                "lastTransitionTime", "2026-11-26T12:00:00Z"))));
                return g;
              });
      create(route("r3", "PathPrefix"));
      topics.awaitTrue(
          t ->
              t.live(Topics.RESOURCES)
                  .containsKey("gateway.networking.k8s.io/HTTPRoute/default/r3"),
          WAIT,
          "r3 published after the Gateway status write");
      assertThat(topics.live(Topics.RESOURCES))
          .containsKey("gateway.networking.k8s.io/Gateway/default/eg");
      assertThat(topics.of(Topics.RESOURCES, "gateway.networking.k8s.io/Gateway/default/eg"))
          .hasSize(gatewayRecords);

      // A Secret that stops being referenced leaves the bus; a deletion becomes a tombstone.
      var gwCtx = WatchedKind.find(WatchedKind.GATEWAY_API, "Gateway").orElseThrow().context();
      client.genericKubernetesResources(gwCtx).inNamespace("default").withName("eg").delete();
      client
          .genericKubernetesResources(
              WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow().context())
          .inNamespace("default")
          .withName("r1")
          .delete();
      topics.awaitTrue(
          t ->
              !t.live(Topics.RESOURCES)
                      .containsKey("gateway.networking.k8s.io/HTTPRoute/default/r1")
                  && !t.live(Topics.RESOURCES).containsKey("/Secret/default/tls")
                  && !t.live(Topics.RESOURCES)
                      .containsKey("gateway.networking.k8s.io/Gateway/default/eg"),
          WAIT,
          "tombstones for r1, the Gateway and its no longer referenced Secret");
      assertThat(meters.get("eg4j.watcher.informer.events").counters()).isNotEmpty();
    } finally {
      source.close();
    }
  }

  @Test
  void objectsOutsideTheSelectedNamespacesAreIgnored() throws Exception {
    for (String ns : List.of("team-a", "team-b")) {
      client
          .namespaces()
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(ns)
                  .addToLabels("tenant", ns.equals("team-a") ? "gold" : "none")
                  .endMetadata()
                  .build())
          .create();
      create(route("x", "PathPrefix").replace("namespace: default", "namespace: " + ns));
    }
    String a = "gateway.networking.k8s.io/HTTPRoute/team-a/x";
    String b = "gateway.networking.k8s.io/HTTPRoute/team-b/x";

    // A namespace list.
    KubernetesResourceSource byList =
        new KubernetesResourceSource(
            client,
            new KubernetesResourceSource.Settings(List.of("team-a"), null, null, null, null, null),
            new SimpleMeterRegistry(),
            null);
    RecordingSink listSink = new RecordingSink();
    try {
      byList.start(listSink);
      assertThat(listSink.keys()).contains(a).doesNotContain(b);
    } finally {
      byList.close();
    }

    // A label selector, which follows label changes.
    KubernetesResourceSource bySelector =
        new KubernetesResourceSource(
            client,
            new KubernetesResourceSource.Settings(null, "tenant in (gold)", null, null, null, null),
            new SimpleMeterRegistry(),
            null);
    RecordingSink sink = new RecordingSink();
    try {
      bySelector.start(sink);
      assertThat(sink.keys()).contains(a, "/Namespace//team-a").doesNotContain(b);

      client
          .namespaces()
          .withName("team-b")
          .edit(
              n -> {
                n.getMetadata().getLabels().put("tenant", "gold");
                return n;
              });
      sink.await(k -> k.contains(b), WAIT);
      client
          .namespaces()
          .withName("team-a")
          .edit(
              n -> {
                n.getMetadata().getLabels().put("tenant", "none");
                return n;
              });
      sink.await(k -> !k.contains(a) && k.contains(b), WAIT);
    } finally {
      bySelector.close();
    }
  }

  @Test
  void aKindWhoseCrdIsInstalledLaterIsWatchedWithoutARestart() throws Exception {
    WatchedKind tls = WatchedKind.find(WatchedKind.GATEWAY_API, "TLSRoute").orElseThrow();
    // At start-up the cluster does not serve TLSRoute (its CRD is not installed yet).
    server
        .expect()
        .get()
        .withPath("/apis/gateway.networking.k8s.io/v1/tlsroutes?limit=1")
        .andReturn(
            404,
            new io.fabric8.kubernetes.api.model.StatusBuilder()
                .withCode(404)
                .withReason("NotFound")
                .build())
        .once();
    KubernetesResourceSource source =
        new KubernetesResourceSource(
            client,
            new KubernetesResourceSource.Settings(
                null, null, null, null, null, List.of(tls), Duration.ofMillis(300)),
            new SimpleMeterRegistry(),
            null);
    RecordingSink sink = new RecordingSink();
    try {
      source.start(sink);
      assertThat(source.unservedKinds()).containsExactly(tls);

      // The CRD appears, and an object of it.
      create(
          """
          apiVersion: gateway.networking.k8s.io/v1
          kind: TLSRoute
          metadata: {name: late, namespace: default}
          spec:
            parentRefs: [{name: eg}]
            hostnames: [late.example.com]
            rules: [{backendRefs: [{name: web, port: 443}]}]
          """);
      sink.await(k -> k.contains("gateway.networking.k8s.io/TLSRoute/default/late"), WAIT);
      assertThat(source.unservedKinds()).isEmpty();
    } finally {
      source.close();
    }
  }
}
