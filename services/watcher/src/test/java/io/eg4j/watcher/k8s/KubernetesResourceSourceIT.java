package io.eg4j.watcher.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.eg4j.watcher.kafka.ResourcePublisher;
import io.eg4j.watcher.kafka.SealedHash;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Kubernetes source against a real kube-apiserver ({@link RealKubernetes}, shared by the test
 * JVM, so everything here lives in this class's own namespaces and cluster-scoped names) and a real
 * Kafka broker, through the watcher's own publisher: objects to {@code eg4j.resources}, changes,
 * deletions, start-up tombstones, referenced-only Secrets sealed on the bus, an object the API
 * server admits but the model cannot read that gets a status while the stream goes on, and a CRD
 * installed after start-up.
 */
@RealKubernetes
class KubernetesResourceSourceIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(30);

  /** This class's namespace, and the name of its GatewayClass (cluster-scoped). */
  static final String NS = "source-it";

  static KubernetesClient client;

  @BeforeAll
  static void cluster(KubeApiServer kube) {
    client = kube.client();
    kube.ensureNamespace(NS);
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
    }
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
            .filter(w -> w.apiVersion().equals(r.getApiVersion()) && w.kind().equals(kind))
            .findFirst()
            .orElseThrow();
    var op = client.genericKubernetesResources(k.context());
    return (k.namespaced() ? op.inNamespace(r.getMetadata().getNamespace()) : op)
        .resource(r)
        .create();
  }

  static String route(String namespace, String name, String pathType) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: %s, namespace: %s}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: %s, value: /}}]
            backendRefs: [{name: web, port: 80}]
        """
        .formatted(name, namespace, pathType);
  }

  static String key(String kind, String name) {
    return "gateway.networking.k8s.io/" + kind + "/" + NS + "/" + name;
  }

  static double count(SimpleMeterRegistry meters, String name, String... tags) {
    var search = meters.find(name).tags(tags);
    return search.counters().stream().mapToDouble(c -> c.count()).sum();
  }

  @Test
  void clusterObjectsReachTheBusAndTheWatcherSurvivesAnUnreadableOne() throws Exception {
    byte[] keyBytes = new byte[32];
    new java.security.SecureRandom().nextBytes(keyBytes);
    SecretBox box = new SecretBox("test", keyBytes);
    String r1 = key("HTTPRoute", "r1");
    String bad = key("HTTPRoute", "bad");
    String gateway = key("Gateway", "eg");
    String gatewayClass = "gateway.networking.k8s.io/GatewayClass//" + NS;

    // A key published before this watcher started, whose object no longer exists.
    String stale = key("HTTPRoute", "stale");
    producer
        .send(
            new ProducerRecord<>(
                Topics.RESOURCES,
                stale,
                Envelope.wrap("resource", "watcher", Json.MAPPER.readTree("{\"kind\":\"x\"}"))))
        .get();

    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: %s}
        spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
        """
            .formatted(NS));
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: eg, namespace: %s}
        spec:
          gatewayClassName: %s
          listeners:
          - name: https
            port: 443
            protocol: HTTPS
            tls: {certificateRefs: [{name: tls}]}
        """
            .formatted(NS, NS));
    create(route(NS, "r1", "PathPrefix"));
    client
        .secrets()
        .inNamespace(NS)
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
        .inNamespace(NS)
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
        .inNamespace(NS)
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
    // This class's namespace only: the cluster is shared with other test classes.
    KubernetesResourceSource source =
        new KubernetesResourceSource(
            client,
            new KubernetesResourceSource.Settings(List.of(NS), null, null, null, null, null),
            meters,
            new StatusPublisher(producer));
    try {
      source.start(publisher);

      topics.awaitTrue(t -> t.live(Topics.RESOURCES).containsKey(r1), WAIT, "r1 published");
      // Start-up reconciliation: the vanished key gets a tombstone.
      topics.awaitTrue(
          t -> !t.live(Topics.RESOURCES).containsKey(stale), WAIT, "tombstone of the stale key");
      Map<String, Envelope> live = topics.live(Topics.RESOURCES);
      assertThat(live)
          .containsKeys(gatewayClass, gateway, "/Secret/" + NS + "/tls", "/Namespace//" + NS)
          .doesNotContainKeys(
              "/Secret/" + NS + "/unrelated",
              "/ConfigMap/" + NS + "/unrelated",
              // The controller manager's CA bundle, in every namespace, is referenced by nothing.
              "/ConfigMap/" + NS + "/kube-root-ca.crt",
              stale);
      // Start-up reconciliation: the vanished key got a tombstone.
      assertThat(topics.latest(Topics.RESOURCES).get(stale).tombstone()).isTrue();
      // The referenced Secret is sealed, and opens to the object.
      Envelope secret = live.get("/Secret/" + NS + "/tls");
      assertThat(secret.encrypted()).isTrue();
      assertThat(secret.payload().toString()).doesNotContain("a2V5");
      assertThat(box.open(secret.payload()).at("/data/tls.key").asText()).isEqualTo("a2V5");
      // Bookkeeping fields the API server adds are not published; the fields it defaults are.
      JsonNode gw = live.get(gateway).payload();
      assertThat(gw.at("/metadata/resourceVersion").isMissingNode()).isTrue();
      assertThat(gw.at("/metadata/managedFields").isMissingNode()).isTrue();
      assertThat(gw.at("/metadata/uid").asText()).isNotEmpty();
      assertThat(gw.at("/status").isMissingNode()).isTrue();
      assertThat(gw.at("/spec/gatewayClassName").asText()).isEqualTo(NS);
      assertThat(gw.at("/spec/listeners/0/tls/mode").asText()).isEqualTo("Terminate");

      // The API server itself refuses an object its schema rejects: it never reaches the watcher.
      var routes = client.genericKubernetesResources(context("HTTPRoute")).inNamespace(NS);
      assertThatThrownBy(() -> create(route(NS, "rejected", "NotAPathType")))
          .isInstanceOfSatisfying(
              KubernetesClientException.class,
              e -> {
                assertThat(e.getCode()).isEqualTo(422);
                assertThat(e.getMessage()).contains("NotAPathType");
              });
      assertThat(routes.withName("rejected").get()).isNull();

      // An object the server admits but the model cannot read (a CORS max age beyond the int32
      // the API declares; the server does not check an integer's format): no record, a status
      // that says why, and the stream goes on.
      create(
          """
          apiVersion: gateway.networking.k8s.io/v1
          kind: HTTPRoute
          metadata: {name: bad, namespace: %s}
          spec:
            parentRefs: [{name: eg}]
            rules:
            - filters:
              - type: CORS
                cors: {allowOrigins: ["https://example.com"], maxAge: 3000000000}
              backendRefs: [{name: web, port: 80}]
          """
              .formatted(NS));
      create(route(NS, "r2", "Exact"));
      topics.awaitTrue(
          t -> t.live(Topics.RESOURCES).containsKey(key("HTTPRoute", "r2")),
          WAIT,
          "r2 published after the bad route");
      assertThat(topics.live(Topics.RESOURCES)).doesNotContainKey(bad);
      topics.awaitTrue(
          t -> t.live(Topics.STATUS).containsKey(bad), WAIT, "status of the bad route");
      JsonNode status = topics.live(Topics.STATUS).get(bad).payload();
      JsonNode accepted = status.at("/status/parents/0/conditions/0");
      assertThat(accepted.path("status").asText()).isEqualTo("False");
      assertThat(accepted.path("reason").asText()).isEqualTo("UnsupportedValue");
      assertThat(accepted.path("message").asText())
          .contains("spec.rules[0].filters[0].cors.maxAge")
          .contains("3000000000");
      // The generation the API server gave the object.
      assertThat(accepted.path("observedGeneration").asLong()).isEqualTo(1);
      assertThat(count(meters, "eg4j.watcher.invalid.objects", "kind", "HTTPRoute")).isEqualTo(1);

      // Reported once per generation, which the API server bumps on spec changes only: a new
      // label is not reported again, a new spec that is still unreadable is.
      double routeUpdates =
          count(meters, "eg4j.watcher.informer.events", "kind", "HTTPRoute", "type", "update");
      routes
          .withName("bad")
          .edit(
              r -> {
                r.getMetadata().setLabels(Map.of("touched", "yes"));
                return r;
              });
      Awaitility.await()
          .atMost(WAIT)
          .until(
              () ->
                  count(
                          meters,
                          "eg4j.watcher.informer.events",
                          "kind",
                          "HTTPRoute",
                          "type",
                          "update")
                      > routeUpdates);
      source.deliveredKeys(); // the events thread has handled the update
      assertThat(routes.withName("bad").get().getMetadata().getGeneration()).isEqualTo(1);
      assertThat(count(meters, "eg4j.watcher.invalid.objects", "kind", "HTTPRoute")).isEqualTo(1);
      routes
          .withName("bad")
          .edit(
              r -> {
                @SuppressWarnings("unchecked")
                var spec = (Map<String, Object>) r.getAdditionalProperties().get("spec");
                spec.put(
                    "rules",
                    List.of(
                        Map.of(
                            "filters",
                            List.of(
                                Map.of("type", "CORS", "cors", Map.of("maxAge", 3000000001L))))));
                return r;
              });
      topics.awaitTrue(
          t ->
              t.live(Topics.STATUS).containsKey(bad)
                  && t.live(Topics.STATUS)
                          .get(bad)
                          .payload()
                          .at("/status/parents/0/conditions/0/observedGeneration")
                          .asLong()
                      == 2,
          WAIT,
          "the status of the bad route's second generation");
      assertThat(
              topics
                  .live(Topics.STATUS)
                  .get(bad)
                  .payload()
                  .at("/status/parents/0/conditions/0/message")
                  .asText())
          .contains("3000000001");
      assertThat(count(meters, "eg4j.watcher.invalid.objects", "kind", "HTTPRoute")).isEqualTo(2);

      // Deleting the unreadable object removes the status published for it.
      routes.withName("bad").delete();
      topics.awaitTrue(
          t -> !t.live(Topics.STATUS).containsKey(bad),
          WAIT,
          "the bad route's status tombstoned after its deletion");

      // A status written to the Gateway through its status subresource (as the status-writer
      // does) is not a change: the informer sees an update, yet no new record, and the Gateway
      // stays on the bus.
      var gateways = client.genericKubernetesResources(context("Gateway")).inNamespace(NS);
      int gatewayRecords = topics.of(Topics.RESOURCES, gateway).size();
      double gatewayUpdates =
          count(meters, "eg4j.watcher.informer.events", "kind", "Gateway", "type", "update");
      String before = gateways.withName("eg").get().getMetadata().getResourceVersion();
      GenericKubernetesResource written =
          gateways
              .withName("eg")
              .editStatus(
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
                                    "observedGeneration", 1,
                                    "lastTransitionTime", "2026-11-26T12:00:00Z"))));
                    return g;
                  });
      assertThat(written.getMetadata().getResourceVersion()).isNotEqualTo(before);
      Awaitility.await()
          .atMost(WAIT)
          .until(
              () ->
                  count(meters, "eg4j.watcher.informer.events", "kind", "Gateway", "type", "update")
                      > gatewayUpdates);
      create(route(NS, "r3", "PathPrefix"));
      topics.awaitTrue(
          t -> t.live(Topics.RESOURCES).containsKey(key("HTTPRoute", "r3")),
          WAIT,
          "r3 published after the Gateway status write");
      assertThat(topics.live(Topics.RESOURCES)).containsKey(gateway);
      assertThat(topics.of(Topics.RESOURCES, gateway)).hasSize(gatewayRecords);

      // A Secret that stops being referenced leaves the bus; a deletion becomes a tombstone.
      gateways.withName("eg").delete();
      routes.withName("r1").delete();
      topics.awaitTrue(
          t ->
              !t.live(Topics.RESOURCES).containsKey(r1)
                  && !t.live(Topics.RESOURCES).containsKey("/Secret/" + NS + "/tls")
                  && !t.live(Topics.RESOURCES).containsKey(gateway),
          WAIT,
          "tombstones for r1, the Gateway and its no longer referenced Secret");
      assertThat(meters.get("eg4j.watcher.informer.events").counters()).isNotEmpty();
    } finally {
      source.close();
    }
  }

  static ResourceDefinitionContext context(String kind) {
    return WatchedKind.find(WatchedKind.GATEWAY_API, kind).orElseThrow().context();
  }

  @Test
  void objectsOutsideTheSelectedNamespacesAreIgnored() throws Exception {
    // A label of this class's own, so namespaces of other test classes never match.
    String label = "source-it.eg4j.io/tenant";
    String nsA = NS + "-team-a";
    String nsB = NS + "-team-b";
    for (String ns : List.of(nsA, nsB)) {
      client
          .namespaces()
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(ns)
                  .addToLabels(label, ns.equals(nsA) ? "gold" : "none")
                  .endMetadata()
                  .build())
          .create();
      create(route(ns, "x", "PathPrefix"));
    }
    String a = "gateway.networking.k8s.io/HTTPRoute/" + nsA + "/x";
    String b = "gateway.networking.k8s.io/HTTPRoute/" + nsB + "/x";

    // A namespace list.
    KubernetesResourceSource byList =
        new KubernetesResourceSource(
            client,
            new KubernetesResourceSource.Settings(List.of(nsA), null, null, null, null, null),
            new SimpleMeterRegistry(),
            null);
    RecordingSink listSink = new RecordingSink();
    try {
      byList.start(listSink);
      assertThat(listSink.keys()).contains(a, "/Namespace//" + nsA).doesNotContain(b);
      assertThat(listSink.keys()).noneMatch(k -> k.contains("/" + nsB));
    } finally {
      byList.close();
    }

    // A label selector, which follows label changes.
    KubernetesResourceSource bySelector =
        new KubernetesResourceSource(
            client,
            new KubernetesResourceSource.Settings(
                null, label + " in (gold)", null, null, null, null),
            new SimpleMeterRegistry(),
            null);
    RecordingSink sink = new RecordingSink();
    try {
      bySelector.start(sink);
      assertThat(sink.keys()).contains(a, "/Namespace//" + nsA).doesNotContain(b);
      // Namespaces without the label (default, kube-system, other classes') stay out.
      assertThat(sink.keys()).doesNotContain("/Namespace//default", "/Namespace//kube-system");

      client
          .namespaces()
          .withName(nsB)
          .edit(
              n -> {
                n.getMetadata().getLabels().put(label, "gold");
                return n;
              });
      sink.await(k -> k.contains(b), WAIT);
      client
          .namespaces()
          .withName(nsA)
          .edit(
              n -> {
                n.getMetadata().getLabels().put(label, "none");
                return n;
              });
      sink.await(k -> !k.contains(a) && k.contains(b), WAIT);
    } finally {
      bySelector.close();
    }
  }

  /**
   * The controller's own Secrets (the proxies' certificate, the OIDC cookie key) are published
   * although nothing refers to them and their namespace is not watched, with only the chart's grant
   * for them (list and watch by name); the controller namespace's other Secrets stay out.
   */
  @Test
  void theControllersOwnSecretsArePublishedUnreferenced(KubeApiServer kube) throws Exception {
    String team = NS + "-ctl-team";
    String controller = NS + "-ctl-system";
    kube.ensureNamespace(team);
    kube.ensureNamespace(controller);
    List<WatchedKind> kinds =
        List.of(
            WatchedKind.find("", "Namespace").orElseThrow(),
            WatchedKind.find("", "Secret").orElseThrow());
    String token = watcherToken(team);
    // Secrets in the watched namespace (the chart's Role there) ...
    client
        .rbac()
        .roles()
        .inNamespace(team)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("watch-secrets")
                .endMetadata()
                .addNewRule()
                .withApiGroups("")
                .withResources("secrets")
                .withVerbs("list", "watch")
                .endRule()
                .build())
        .create();
    bind(team, team, "watch-secrets");
    // ... and only the two names in the controller namespace (the chart's release Role).
    client
        .rbac()
        .roles()
        .inNamespace(controller)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("controller-secrets")
                .endMetadata()
                .addNewRule()
                .withApiGroups("")
                .withResources("secrets")
                .withResourceNames("envoy", "envoy-oidc-hmac")
                .withVerbs("list", "watch")
                .endRule()
                .build())
        .create();
    bind(controller, team, "controller-secrets");
    for (String name : List.of("envoy-oidc-hmac", "unrelated")) {
      client
          .secrets()
          .inNamespace(controller)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .endMetadata()
                  .addToData("hmac-secret", "c2VjcmV0")
                  .build())
          .create();
    }
    client
        .secrets()
        .inNamespace(team)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("unreferenced")
                .endMetadata()
                .addToData("k", "dg==")
                .build())
        .create();
    String hmac = "/Secret/" + controller + "/envoy-oidc-hmac";
    String proxy = "/Secret/" + controller + "/envoy";

    try (KubernetesClient restricted = kube.clientWithToken(token)) {
      KubernetesResourceSource source =
          new KubernetesResourceSource(
              restricted,
              new KubernetesResourceSource.Settings(
                  List.of(team), null, null, null, null, kinds, null, controller),
              new SimpleMeterRegistry(),
              null);
      RecordingSink sink = new RecordingSink();
      try {
        source.start(sink);
        sink.await(k -> k.contains(hmac), WAIT);
        assertThat(sink.keys())
            .doesNotContain(
                "/Secret/" + controller + "/unrelated", "/Secret/" + team + "/unreferenced");
        // Created later: published; deleted: withdrawn.
        client
            .secrets()
            .inNamespace(controller)
            .resource(
                new SecretBuilder()
                    .withNewMetadata()
                    .withName("envoy")
                    .endMetadata()
                    .addToData("tls.crt", "Y2VydA==")
                    .build())
            .create();
        sink.await(k -> k.contains(proxy), WAIT);
        client.secrets().inNamespace(controller).withName("envoy-oidc-hmac").delete();
        sink.await(k -> !k.contains(hmac) && k.contains(proxy), WAIT);
      } finally {
        source.close();
      }
    }
  }

  static void bind(String ns, String saNs, String role) {
    client
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName(role)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", role)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("watcher")
                .withNamespace(saNs)
                .endSubject()
                .build())
        .create();
  }

  @Test
  void aKindWhoseCrdIsInstalledLaterIsWatchedWithoutARestart() throws Exception {
    // A kind of this test's own: at start-up the cluster really does not serve it (404), and its
    // CRD is installed while the source runs.
    String group = "late.source-it.eg4j.io";
    WatchedKind widget = new WatchedKind(group, "v1", "Widget", "widgets", true, null, true, false);
    assertThat(
            client
                .apiextensions()
                .v1()
                .customResourceDefinitions()
                .withName("widgets." + group)
                .get())
        .isNull();
    KubernetesResourceSource source =
        new KubernetesResourceSource(
            client,
            new KubernetesResourceSource.Settings(
                List.of(NS), null, null, null, null, List.of(widget), Duration.ofMillis(300)),
            new SimpleMeterRegistry(),
            null);
    RecordingSink sink = new RecordingSink();
    try {
      source.start(sink);
      assertThat(source.unservedKinds()).containsExactly(widget);

      // The CRD appears, and an object of it.
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .resource(
              new CustomResourceDefinitionBuilder()
                  .withNewMetadata()
                  .withName("widgets." + group)
                  .endMetadata()
                  .withNewSpec()
                  .withGroup(group)
                  .withScope("Namespaced")
                  .withNewNames()
                  .withKind("Widget")
                  .withPlural("widgets")
                  .withSingular("widget")
                  .withListKind("WidgetList")
                  .endNames()
                  .addNewVersion()
                  .withName("v1")
                  .withServed(true)
                  .withStorage(true)
                  .withNewSchema()
                  .withNewOpenAPIV3Schema()
                  .withType("object")
                  .withXKubernetesPreserveUnknownFields(true)
                  .endOpenAPIV3Schema()
                  .endSchema()
                  .endVersion()
                  .endSpec()
                  .build())
          .create();
      ResourceDefinitionContext widgets = widget.context();
      GenericKubernetesResource late =
          new GenericKubernetesResourceBuilder()
              .withApiVersion(group + "/v1")
              .withKind("Widget")
              .withNewMetadata()
              .withNamespace(NS)
              .withName("late")
              .endMetadata()
              .withAdditionalProperties(Map.of("spec", Map.of("size", 3)))
              .build();
      // The CRD is served a moment after it is created.
      Awaitility.await()
          .atMost(WAIT)
          .ignoreExceptions()
          .until(
              () ->
                  client.genericKubernetesResources(widgets).inNamespace(NS).resource(late).create()
                      != null);
      sink.await(k -> k.contains(group + "/Widget/" + NS + "/late"), WAIT);
      assertThat(source.unservedKinds()).isEmpty();
    } finally {
      source.close();
    }
  }

  /**
   * The real API server enforces RBAC, which the mock never did: a kind the watcher may not list
   * yet (a RoleBinding that lands after the pod starts, a chart that lacks a grant) is retried
   * until it may, and only then is the state complete, so the publisher tombstones and readiness
   * follow.
   */
  @Test
  void aKindForbiddenAtStartUpIsWatchedOnceAllowedAndOnlyThenIsTheStateComplete(KubeApiServer kube)
      throws Exception {
    String ns = NS + "-rbac";
    kube.ensureNamespace(ns);
    List<WatchedKind> kinds =
        List.of(
            WatchedKind.find("", "Namespace").orElseThrow(),
            WatchedKind.find(WatchedKind.GATEWAY_API, "Gateway").orElseThrow(),
            WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow());
    // Namespaces cluster-wide and Gateways in the namespace; no HTTPRoutes yet.
    String token = watcherToken(ns);
    grant(ns, ns, "gateways");
    create(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: eg, namespace: %s}
        spec:
          gatewayClassName: eg
          listeners: [{name: http, port: 80, protocol: HTTP}]
        """
            .formatted(ns));
    create(route(ns, "r", "PathPrefix"));
    String gateway = "gateway.networking.k8s.io/Gateway/" + ns + "/eg";
    String route = "gateway.networking.k8s.io/HTTPRoute/" + ns + "/r";

    // A key of this namespace on the bus from before, whose object no longer exists.
    String stale = "gateway.networking.k8s.io/HTTPRoute/" + ns + "/stale";
    producer
        .send(
            new ProducerRecord<>(
                Topics.RESOURCES,
                stale,
                Envelope.wrap("resource", "watcher", Json.MAPPER.readTree("{\"kind\":\"x\"}"))))
        .get();

    try (KubernetesClient restricted = kube.clientWithToken(token)) {
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      ResourcePublisher publisher =
          new ResourcePublisher(producer, Optional.empty(), new SealedHash(new byte[32]), meters);
      publisher.startFrom(
          CompactedTopicReader.read(
              Map.of("bootstrap.servers", KAFKA.bootstrapServers()), Topics.RESOURCES, WAIT));
      KubernetesResourceSource source =
          new KubernetesResourceSource(
              restricted,
              new KubernetesResourceSource.Settings(
                  List.of(ns), null, null, null, null, kinds, Duration.ofMillis(300)),
              meters,
              null);
      try {
        source.start(publisher);
        // What may be listed is published; without the routes the state is incomplete, so
        // nothing is tombstoned (the stale key may be a route) and the watcher is not ready.
        topics.awaitTrue(
            t -> t.live(Topics.RESOURCES).containsKey(gateway),
            WAIT,
            "the Gateway, which may be listed");
        assertThat(source.deliveredKeys().stream().map(Object::toString))
            .contains(gateway, "/Namespace//" + ns)
            .doesNotContain(route);
        assertThat(publisher.synced()).isFalse();
        assertThat(topics.live(Topics.RESOURCES)).containsKey(stale);

        grant(ns, ns, "httproutes");
        topics.awaitTrue(
            t -> t.live(Topics.RESOURCES).containsKey(route), WAIT, "the route, once allowed");
        topics.awaitTrue(
            t -> !t.live(Topics.RESOURCES).containsKey(stale),
            WAIT,
            "the stale key tombstoned by the complete state");
        Awaitility.await().atMost(WAIT).until(publisher::synced);
        assertThat(topics.live(Topics.RESOURCES)).containsKeys(gateway, route, "/Namespace//" + ns);
      } finally {
        source.close();
      }
    }
  }

  /**
   * An informer of a namespace the watcher may not list yet cannot finish its initial list:
   * start-up goes on after its timeout with an incomplete state, and the state is whole once the
   * informer lists (before, never).
   */
  @Test
  void anInformerThatCannotListInTimeCompletesTheStateOnceItCan(KubeApiServer kube)
      throws Exception {
    String nsA = NS + "-slow-a";
    String nsB = NS + "-slow-b";
    kube.ensureNamespace(nsA);
    kube.ensureNamespace(nsB);
    String token = watcherToken(nsA);
    // The probe (in the first namespace) succeeds; the second namespace's list is forbidden.
    grant(nsA, nsA, "httproutes");
    create(route(nsA, "r", "PathPrefix"));
    create(route(nsB, "r", "PathPrefix"));
    String routeA = "gateway.networking.k8s.io/HTTPRoute/" + nsA + "/r";
    String routeB = "gateway.networking.k8s.io/HTTPRoute/" + nsB + "/r";
    try (KubernetesClient restricted = kube.clientWithToken(token)) {
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      ResourcePublisher publisher =
          new ResourcePublisher(producer, Optional.empty(), new SealedHash(new byte[32]), meters);
      publisher.startFrom(
          CompactedTopicReader.read(
              Map.of("bootstrap.servers", KAFKA.bootstrapServers()), Topics.RESOURCES, WAIT));
      KubernetesResourceSource source =
          new KubernetesResourceSource(
              restricted,
              new KubernetesResourceSource.Settings(
                  List.of(nsA, nsB),
                  null,
                  null,
                  Duration.ofSeconds(3),
                  null,
                  List.of(
                      WatchedKind.find("", "Namespace").orElseThrow(),
                      WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow()),
                  Duration.ofMillis(300)),
              meters,
              null);
      try {
        source.start(publisher);
        assertThat(source.deliveredKeys().stream().map(Object::toString))
            .contains(routeA)
            .doesNotContain(routeB);
        assertThat(publisher.synced()).isFalse();

        grant(nsB, nsA, "httproutes");
        topics.awaitTrue(
            t -> t.live(Topics.RESOURCES).containsKey(routeB),
            WAIT,
            "the route of the namespace listed late");
        Awaitility.await().atMost(WAIT).until(publisher::synced);
        assertThat(topics.live(Topics.RESOURCES)).containsKeys(routeA, routeB);
      } finally {
        source.close();
      }
    }
  }

  /**
   * A token of a new ServiceAccount {@code watcher} in {@code ns}, which may list and watch
   * Namespaces (cluster-wide) and nothing else yet.
   */
  static String watcherToken(String ns) {
    client
        .serviceAccounts()
        .inNamespace(ns)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("watcher").endMetadata().build())
        .create();
    client
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(ns + "-namespaces")
                .endMetadata()
                .addNewRule()
                .withApiGroups("")
                .withResources("namespaces")
                .withVerbs("list", "watch")
                .endRule()
                .build())
        .create();
    client
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(ns + "-namespaces")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", ns + "-namespaces")
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("watcher")
                .withNamespace(ns)
                .endSubject()
                .build())
        .create();
    return client
        .serviceAccounts()
        .inNamespace(ns)
        .withName("watcher")
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  /**
   * Lets the ServiceAccount {@code watcher} of {@code saNs} list and watch the Gateway API's {@code
   * resource} in {@code ns}.
   */
  static void grant(String ns, String saNs, String resource) {
    client
        .rbac()
        .roles()
        .inNamespace(ns)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("watch-" + resource)
                .endMetadata()
                .addNewRule()
                .withApiGroups(WatchedKind.GATEWAY_API)
                .withResources(resource)
                .withVerbs("list", "watch")
                .endRule()
                .build())
        .create();
    client
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("watch-" + resource)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "watch-" + resource)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("watcher")
                .withNamespace(saNs)
                .endSubject()
                .build())
        .create();
  }
}
