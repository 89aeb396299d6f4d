package io.eg4j.watcher.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.TopicCreator;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.statuswriter.k8s.KubernetesStatusSink;
import io.eg4j.statuswriter.k8s.KubernetesStatusWriter;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.translator.kafka.OutputPublisher;
import io.eg4j.watcher.kafka.ResourcePublisher;
import io.eg4j.watcher.kafka.SealedHash;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Benchmark harness, not a test of speed: applies {@code gen-scale.py --routes N} (default 1,000
 * HTTPRoutes on one Gateway) to fabric8's mock API server and measures the time until every route's
 * status is correct on the server, and how many status writes that took. The path is mock server →
 * Kubernetes source → watcher publisher → Kafka {@code eg4j.resources} → translator core → Kafka
 * {@code eg4j.status} → Kubernetes status sink → mock server.
 *
 * <p>The translator and status-writer services' own Kafka loops are replaced by a small loop here
 * (read resources, translate the snapshot after each burst, publish changed statuses; read
 * statuses, hand them to the sink), so this measures the Kubernetes parts and the translator core,
 * not those loops. Run it alone:
 *
 * <pre>
 * ./mvnw -o -pl services/watcher test -Dtest=StatusPipelineBenchmark -Dbench.routes=1000
 * </pre>
 *
 * It is not picked up by the normal build (its name ends in Benchmark).
 */
@EnableKubernetesMockClient(crud = true)
class StatusPipelineBenchmark {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();

  static KubernetesMockServer server;
  static KubernetesClient client;

  @Test
  void routesToCorrectStatuses() throws Exception {
    int routes = Integer.getInteger("bench.routes", 1000);
    // One log line per mock request would cost more than the request.
    java.util.logging.Logger.getLogger("io.fabric8.mockwebserver")
        .setLevel(java.util.logging.Level.WARNING);
    Path gen =
        Path.of(System.getProperty("eg4j.shared.dir", "../../../shared"), "perf", "gen-scale.py");
    Process p =
        new ProcessBuilder("python3", gen.toString(), "--routes", String.valueOf(routes))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String yaml = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).isZero();
    List<GenericKubernetesResource> manifests = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      if (!doc.isBlank()) {
        manifests.add(Serialization.unmarshal(doc, GenericKubernetesResource.class));
      }
    }

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
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
      TopicCreator.ensureTopics(admin, 1, (short) 1, 1, Duration.ofSeconds(30));
    }
    Map<String, Object> prodProps = new HashMap<>(BusSettings.producerOverrides());
    prodProps.put("bootstrap.servers", KAFKA.bootstrapServers());
    Producer<String, Envelope> producer =
        new KafkaProducer<>(
            prodProps, new StringSerializer(), new EnvelopeSerde.EnvelopeSerializer());

    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger translations = new AtomicInteger();
    AtomicInteger statusesPublished = new AtomicInteger();

    // The status-writer: one replica, which becomes the leader at once.
    KubernetesStatusSink sink =
        new KubernetesStatusSink(
            client,
            new KubernetesStatusSink.Settings(
                KubernetesStatusWriter.DEFAULT_CONTROLLER,
                "envoy-gateway-system",
                "eg4j-status-writer",
                "bench",
                LeaderElection.Timing.DEFAULT,
                Double.parseDouble(System.getProperty("bench.qps", "100")),
                Integer.getInteger("bench.burst", 200),
                5,
                false),
            meters);
    sink.start();
    Thread translator = translatorLoop(producer, running, translations, statusesPublished);
    Thread statusReader = statusLoop(sink, running);
    translator.start();
    statusReader.start();

    KubernetesResourceSource source =
        new KubernetesResourceSource(
            client, KubernetesResourceSource.Settings.defaults(), meters, null);
    ResourcePublisher publisher =
        new ResourcePublisher(producer, Optional.empty(), new SealedHash(new byte[32]), meters);
    source.start(publisher);

    long t0 = System.nanoTime();
    for (GenericKubernetesResource r : manifests) {
      WatchedKind k =
          WatchedKind.find(ResourceKey.groupOf(r.getApiVersion()), r.getKind()).orElseThrow();
      var op = client.genericKubernetesResources(k.context());
      (k.namespaced() ? op.inNamespace(r.getMetadata().getNamespace()) : op).resource(r).create();
    }
    long applied = System.nanoTime();

    WatchedKind httpRoute = WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow();
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    int correct = 0;
    while (System.nanoTime() < deadline) {
      correct = 0;
      for (GenericKubernetesResource r :
          client
              .genericKubernetesResources(httpRoute.context())
              .inAnyNamespace()
              .list()
              .getItems()) {
        if (routeCorrect(Json.MAPPER.valueToTree(r.getAdditionalProperties().get("status")))) {
          correct++;
        }
      }
      if (correct == routes && sink.queue().pending() == 0) {
        break;
      }
      Thread.sleep(200);
    }
    long done = System.nanoTime();
    running.set(false);
    source.close();
    sink.close();
    translator.join(5000);
    statusReader.join(5000);
    producer.close();

    System.out.printf(
        "%n=== StatusPipelineBenchmark: %d HTTPRoutes on one Gateway ===%n"
            + "objects applied        : %d in %.2f s%n"
            + "routes with correct status: %d/%d%n"
            + "time to all statuses correct: %.2f s (from the first apply), %.2f s after the last%n"
            + "status writes           : %.0f written, %.0f skipped, %.0f conflict, %.0f failed%n"
            + "translations            : %d (records the translator published: %d)%n",
        routes,
        manifests.size(),
        (applied - t0) / 1e9,
        correct,
        routes,
        (done - t0) / 1e9,
        (done - applied) / 1e9,
        count(meters, "written"),
        count(meters, "skipped"),
        count(meters, "conflict"),
        count(meters, "failed"),
        translations.get(),
        statusesPublished.get());
    assertThat(correct).isEqualTo(routes);
  }

  private static double count(SimpleMeterRegistry meters, String result) {
    var c = meters.find("eg4j.status.writes").tag("result", result).counter();
    return c == null ? 0 : c.count();
  }

  /** Accepted and ResolvedRefs True on our parent entry. */
  private static boolean routeCorrect(JsonNode status) {
    for (JsonNode parent : status.path("parents")) {
      if (!KubernetesStatusWriter.DEFAULT_CONTROLLER.equals(
          parent.path("controllerName").asText())) {
        continue;
      }
      int ok = 0;
      for (JsonNode c : parent.path("conditions")) {
        String type = c.path("type").asText();
        if ((type.equals("Accepted") || type.equals("ResolvedRefs"))
            && c.path("status").asText().equals("True")) {
          ok++;
        }
      }
      return ok == 2;
    }
    return false;
  }

  /**
   * The translator's part: the snapshot from {@code eg4j.resources}, translated after each burst of
   * records, and the statuses that changed published to {@code eg4j.status}.
   */
  private static Thread translatorLoop(
      Producer<String, Envelope> producer,
      AtomicBoolean running,
      AtomicInteger translations,
      AtomicInteger published) {
    return new Thread(
        () -> {
          Translator translator = new Translator(EnvoyGatewayConfig.defaults());
          // The translator service's own publisher: only changed outputs, statuses compared
          // without lastTransitionTime, tombstones for vanished keys.
          OutputPublisher outputs = new OutputPublisher(producer, new SimpleMeterRegistry());
          Map<ResourceKey, ObjectNode> objects = new HashMap<>();
          try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(Topics.RESOURCES, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            var envelopes = new EnvelopeSerde.EnvelopeDeserializer();
            boolean dirty = false;
            while (running.get()) {
              var records = consumer.poll(Duration.ofMillis(50));
              for (ConsumerRecord<String, byte[]> r : records) {
                ResourceKey key = ResourceKey.parse(r.key());
                if (r.value() == null) {
                  objects.remove(key);
                } else {
                  objects.put(
                      key, (ObjectNode) envelopes.deserialize(r.topic(), r.value()).payload());
                }
                dirty = true;
              }
              if (dirty && records.isEmpty()) {
                dirty = false;
                TranslateResult result = translator.translate(ResourceSnapshot.of(objects));
                translations.incrementAndGet();
                if (Boolean.getBoolean("bench.debug")) {
                  System.out.printf(
                      "translation: %d objects, %d statuses %s%n",
                      objects.size(),
                      result.statuses().size(),
                      objects.keySet().stream().map(ResourceKey::kind).distinct().toList());
                }
                published.addAndGet(outputs.publish(result));
              }
            }
          }
        },
        "bench-translator");
  }

  /** The status-writer's Kafka part: every status record to the sink. */
  private static Thread statusLoop(KubernetesStatusSink sink, AtomicBoolean running) {
    return new Thread(
        () -> {
          try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(Topics.STATUS, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            var envelopes = new EnvelopeSerde.EnvelopeDeserializer();
            while (running.get()) {
              for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                if (r.value() == null) {
                  sink.remove(ResourceKey.parse(r.key()));
                  continue;
                }
                try {
                  sink.accept(
                      Json.MAPPER.treeToValue(
                          envelopes.deserialize(r.topic(), r.value()).payload(),
                          ResourceStatus.class));
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }
            }
          }
        },
        "bench-status-reader");
  }

  private static KafkaConsumer<String, byte[]> consumer() {
    Map<String, Object> props = new HashMap<>(BusSettings.consumerOverrides());
    props.put("bootstrap.servers", KAFKA.bootstrapServers());
    return new KafkaConsumer<>(
        props,
        new StringDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
  }
}
