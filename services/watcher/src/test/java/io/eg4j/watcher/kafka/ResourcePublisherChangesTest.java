package io.eg4j.watcher.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/** {@link ResourcePublisher#changes}: what a change sends, and when a source may send changes. */
class ResourcePublisherChangesTest {
  private static final ResourceKey A = new ResourceKey("", "Service", "default", "a");
  private static final ResourceKey B = new ResourceKey("", "Service", "default", "b");
  private static final ResourceKey GONE = new ResourceKey("", "Service", "default", "gone");

  /**
   * A producer whose sends fail while {@code failing} is set (the future fails, as on a broker
   * error).
   */
  static final class Producer extends MockProducer<String, Envelope> {
    volatile boolean failing;

    Producer() {
      super(true, null, (Serializer<String>) (t, s) -> s.getBytes(), (t, e) -> new byte[0]);
    }

    @Override
    public synchronized Future<RecordMetadata> send(ProducerRecord<String, Envelope> record) {
      if (failing) {
        return CompletableFuture.failedFuture(new IllegalStateException("broker down"));
      }
      return super.send(record);
    }

    List<String> sent() {
      return history().stream().map(r -> (r.value() == null ? "-" : "+") + r.key()).toList();
    }
  }

  private static ObjectNode service(String name, int port) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("apiVersion", "v1");
    o.put("kind", "Service");
    o.putObject("metadata").put("name", name).put("namespace", "default");
    o.putObject("spec").putArray("ports").addObject().put("port", port);
    return o;
  }

  private static Map<ResourceKey, ObjectNode> objects(Object... kv) {
    Map<ResourceKey, ObjectNode> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((ResourceKey) kv[i], (ObjectNode) kv[i + 1]);
    }
    return m;
  }

  private static ResourcePublisher publisher(Producer producer) {
    return new ResourcePublisher(
        producer, Optional.empty(), new SealedHash(new byte[32]), new SimpleMeterRegistry());
  }

  @Test
  void aChangeSendsWhatDiffersFromTheTopicAndTombstonesOnlyKeysOnIt() {
    Producer producer = new Producer();
    ResourcePublisher publisher = publisher(producer);
    publisher.startFrom(Map.of());
    publisher.resync(objects(A, service("a", 80), B, service("b", 80)), true);
    assertThat(publisher.takesChanges()).isTrue();
    producer.clear();

    // A unchanged, B changed: only B is sent; a deleted key never published is not tombstoned.
    publisher.changes(objects(A, service("a", 80), B, service("b", 81)), Set.of(GONE), true);
    assertThat(producer.sent()).containsExactly("+" + B);

    publisher.changes(Map.of(), Set.of(A), true);
    assertThat(producer.sent()).containsExactly("+" + B, "-" + A);
    // What the topic holds now is what the publisher compares with: A again is sent again.
    publisher.changes(objects(A, service("a", 80)), Set.of(), true);
    assertThat(producer.sent()).containsExactly("+" + B, "-" + A, "+" + A);
  }

  @Test
  void changesAreTakenOnlyOnceACompleteStateIsOutAndNoSendAwaitsARetry() {
    Producer producer = new Producer();
    ResourcePublisher publisher = publisher(producer);
    publisher.startFrom(Map.of());
    assertThat(publisher.takesChanges()).isFalse();
    // Incomplete: keys on the topic that the source may still hold are kept; no changes yet.
    publisher.resync(objects(A, service("a", 80)), false);
    assertThat(publisher.takesChanges()).isFalse();
    publisher.resync(objects(A, service("a", 80)), true);
    assertThat(publisher.takesChanges()).isTrue();

    producer.failing = true;
    publisher.changes(objects(B, service("b", 80)), Set.of(), true);
    assertThat(publisher.takesChanges()).isFalse();

    // The full state retries it.
    producer.failing = false;
    producer.clear();
    publisher.resync(objects(A, service("a", 80), B, service("b", 80)), true, Set.of(), Set.of());
    assertThat(producer.sent()).containsExactly("+" + B);
    assertThat(publisher.takesChanges()).isTrue();
  }
}
