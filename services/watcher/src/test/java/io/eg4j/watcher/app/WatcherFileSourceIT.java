package io.eg4j.watcher.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.TopicRecorder;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The watcher's file source against a real broker: files to {@code eg4j.resources}, changes,
 * deletions, a malformed file, start-up reconciliation and sealed Secrets. The app is started the
 * way the standalone launcher starts it.
 */
@ExtendWith(OutputCaptureExtension.class)
class WatcherFileSourceIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path tmp;
  static Path manifests;
  static Path keyFile;
  static ConfigurableApplicationContext app;
  static TopicRecorder topic;

  static ConfigurableApplicationContext start() {
    return new SpringApplicationBuilder(WatcherApplication.class)
        .run(
            "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
            "--server.port=0",
            "--eg4j.watcher.directory=" + manifests,
            "--eg4j.watcher.debounce=50ms",
            "--eg4j.watcher.rescan-interval=1s",
            "--eg4j.bus.secret-key-file=" + keyFile,
            "--eg4j.bus.create-secret-key=true",
            "--spring.cloud.kubernetes.enabled=false");
  }

  @BeforeAll
  static void startWatcher() throws Exception {
    manifests = Files.createDirectories(tmp.resolve("manifests"));
    keyFile = tmp.resolve("data/bus.key");
    app = start();
    topic = new TopicRecorder(KAFKA.bootstrapServers(), Topics.RESOURCES);
  }

  @AfterAll
  static void stop() {
    if (topic != null) {
      topic.close();
    }
    if (app != null) {
      app.close();
    }
  }

  static final String GATEWAY =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: eg
      spec:
        gatewayClassName: eg
        listeners:
        - name: http
          protocol: HTTP
          port: %d
      """;

  @Test
  void fileAppearsChangesAndIsDeleted() throws Exception {
    Path sub = Files.createDirectories(manifests.resolve("team-a"));
    Path file = sub.resolve("gateway.yaml");
    Files.writeString(file, GATEWAY.formatted(80));
    String key = "gateway.networking.k8s.io/Gateway/default/eg";
    TopicRecorder.Rec first =
        topic.await(r -> key.equals(r.key()) && !r.tombstone(), WAIT, "Gateway published");
    Envelope env = first.envelope();
    assertThat(env.type()).isEqualTo("resource");
    assertThat(env.encrypted()).isFalse();
    assertThat(env.payload().path("metadata").path("namespace").asText()).isEqualTo("default");
    assertThat(env.payload().at("/spec/listeners/0/port").asInt()).isEqualTo(80);

    Files.writeString(file, GATEWAY.formatted(8080));
    topic.await(
        r ->
            key.equals(r.key())
                && !r.tombstone()
                && r.envelope().payload().at("/spec/listeners/0/port").asInt() == 8080,
        WAIT,
        "Gateway change published");
    // Rewriting the same content (and the periodic rescans) publishes nothing new.
    int before = topic.of(Topics.RESOURCES, key).size();
    Files.writeString(file, GATEWAY.formatted(8080));
    Thread.sleep(1500);
    assertThat(topic.of(Topics.RESOURCES, key)).hasSize(before);

    Files.delete(file);
    topic.await(r -> key.equals(r.key()) && r.tombstone(), WAIT, "Gateway tombstone");
    // Counted right after the broker's ack, which may come a moment after the record is visible.
    MeterRegistry meters = app.getBean(MeterRegistry.class);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (meters.counter("eg4j.watcher.events", "kind", "Gateway").count() < 3.0
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(meters.counter("eg4j.watcher.events", "kind", "Gateway").count())
        .isGreaterThanOrEqualTo(3.0);
  }

  @Test
  void documentRemovedFromFileIsTombstoned() {
    String two =
        """
        apiVersion: v1
        kind: Service
        metadata: {name: one, namespace: apps}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: two, namespace: apps}
        """;
    Path file = manifests.resolve("services.yml");
    write(file, two);
    topic.await(r -> "/Service/apps/two".equals(r.key()), WAIT, "Service two");
    write(file, two.substring(0, two.indexOf("---")));
    topic.await(
        r -> "/Service/apps/two".equals(r.key()) && r.tombstone(), WAIT, "Service two tombstone");
    assertThat(topic.live(Topics.RESOURCES)).containsKey("/Service/apps/one");
  }

  @Test
  void malformedFileIsReportedAndOthersFlow(CapturedOutput output) {
    Path broken = manifests.resolve("broken.yaml");
    String good =
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: kept, namespace: apps}
        data: {a: "1"}
        """;
    write(broken, good);
    topic.await(r -> "/ConfigMap/apps/kept".equals(r.key()), WAIT, "ConfigMap kept");
    write(broken, good + "---\nkind: [unclosed\n  apiVersion: v1\n");
    write(manifests.resolve("other.yaml"), good.replace("kept", "other"));
    topic.await(r -> "/ConfigMap/apps/other".equals(r.key()), WAIT, "other file still flows");
    awaitOutput(output, broken + ":");
    String line =
        output.getAll().lines().filter(l -> l.contains(broken + ":")).findFirst().orElseThrow();
    assertThat(line).containsPattern("broken\\.yaml:\\d+: invalid YAML");
    // The broken file's last good objects are not deleted while it is broken.
    assertThat(topic.latest(Topics.RESOURCES).get("/ConfigMap/apps/kept").tombstone()).isFalse();
    assertThat(app.getBean(MeterRegistry.class).counter("eg4j.watcher.file.errors").count())
        .isGreaterThanOrEqualTo(1.0);
    write(broken, "");
    topic.await(
        r -> "/ConfigMap/apps/kept".equals(r.key()) && r.tombstone(),
        WAIT,
        "emptied file deletes its objects");
  }

  @Test
  void deletionsAreNotLostBehindAFileThatNeverParsed() {
    Path route = manifests.resolve("route-to-delete.yaml");
    write(
        route,
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: deleted-behind-typo, namespace: apps}
        spec: {}
        """);
    String key = "gateway.networking.k8s.io/HTTPRoute/apps/deleted-behind-typo";
    topic.await(r -> key.equals(r.key()) && !r.tombstone(), WAIT, "route published");
    Path typo = manifests.resolve("new-with-typo.yaml");
    write(typo, "apiVersion: v1\nkind: [unclosed\n");
    try {
      delete(route);
      topic.await(
          r -> key.equals(r.key()) && r.tombstone(),
          WAIT,
          "the deletion goes out while another file has never parsed");
    } finally {
      delete(typo);
    }
  }

  @Test
  void namespacesObjectsUseAreImpliedAsInACluster() {
    Path file = manifests.resolve("implicit-namespace.yaml");
    write(
        file,
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: never-declared}
        spec: {}
        """);
    topic.await(
        r -> "/Namespace//never-declared".equals(r.key()) && !r.tombstone(),
        WAIT,
        "the route's namespace exists without a Namespace document");
    delete(file);
    topic.await(
        r -> "/Namespace//never-declared".equals(r.key()) && r.tombstone(),
        WAIT,
        "and goes with the last object in it");
  }

  @Test
  void secretsAreSealedOnTheTopic() throws Exception {
    write(
        manifests.resolve("secret.yaml"),
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: tls, namespace: apps}
        type: kubernetes.io/tls
        stringData: {tls.key: "super-secret-private-key"}
        """);
    TopicRecorder.Rec rec =
        topic.await(r -> "/Secret/apps/tls".equals(r.key()), WAIT, "Secret published");
    assertThat(new String(rec.value())).doesNotContain("super-secret-private-key");
    Envelope env = rec.envelope();
    assertThat(env.encrypted()).isTrue();
    assertThat(env.payload().isTextual()).isTrue();
    SecretBox box = SecretBox.fromFile(keyFile, false);
    assertThat(box.open(env.payload()).at("/stringData/tls.key").asText())
        .isEqualTo("super-secret-private-key");
  }

  @Test
  void eventDrivenUpsertAndDeleteArePublishedOnlyOnChange() throws Exception {
    // The seam an event-driven source (the Kubernetes one) uses.
    var publisher = app.getBean(io.eg4j.watcher.kafka.ResourcePublisher.class);
    var key = io.eg4j.model.bus.ResourceKey.parse("/ConfigMap/events/cm");
    var cm =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            io.eg4j.model.bus.Json.MAPPER.readTree(
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                    + "{\"name\":\"cm\",\"namespace\":\"events\"}}");
    publisher.upsert(key, cm);
    publisher.upsert(key, cm);
    topic.await(r -> key.toString().equals(r.key()), WAIT, "upsert published");
    publisher.delete(key);
    topic.await(r -> key.toString().equals(r.key()) && r.tombstone(), WAIT, "delete published");
    // The second, identical upsert sent nothing: values and tombstones alternate (a periodic file
    // rescan may also tombstone the key, which this file-less object is not part of).
    var recs = topic.of(Topics.RESOURCES, key.toString());
    for (int i = 1; i < recs.size(); i++) {
      assertThat(recs.get(i).tombstone()).isNotEqualTo(recs.get(i - 1).tombstone());
    }
  }

  @Test
  void readinessAndPrometheusAreServed() throws Exception {
    int port = ((WebServerApplicationContext) app).getWebServer().getPort();
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> ready =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("CAUGHT_UP");
    HttpResponse<String> prom =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(prom.statusCode()).isEqualTo(200);
    assertThat(prom.body()).contains("eg4j_watcher_publish_latency");
  }

  @Test
  void startUpReconciliationTombstonesVanishedKeys() {
    // A second watcher over its own directory, stopped, then a file removed while it is down.
    Path file = manifests.resolve("reconcile.yaml");
    write(
        file,
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: gone-while-down, namespace: apps}
        spec: {}
        """);
    String key = "gateway.networking.k8s.io/HTTPRoute/apps/gone-while-down";
    topic.await(r -> key.equals(r.key()), WAIT, "route published");
    app.close();
    try {
      delete(file);
      app = start();
      topic.await(r -> key.equals(r.key()) && r.tombstone(), WAIT, "tombstone at start-up");
    } finally {
      if (!app.isActive()) {
        app = start();
      }
    }
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void delete(Path file) {
    try {
      Files.delete(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void awaitOutput(CapturedOutput output, String text) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!output.getAll().contains(text)) {
      assertThat(System.nanoTime()).as("log line containing " + text).isLessThan(deadline);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
