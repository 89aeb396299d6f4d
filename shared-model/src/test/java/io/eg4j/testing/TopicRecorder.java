package io.eg4j.testing;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Records every record of some topics from the beginning, on a background thread, for tests to
 * assert on what a service published. Values are kept raw and decoded on demand, so a test can see
 * tombstones and records that are not envelopes.
 */
public final class TopicRecorder implements AutoCloseable {
  /** One record as read. */
  public record Rec(String topic, int partition, long offset, String key, byte[] value) {
    /** The decoded envelope, or null for a tombstone. */
    public Envelope envelope() {
      return value == null ? null : new EnvelopeSerde().deserializer().deserialize(topic, value);
    }

    /** Whether this is a tombstone. */
    public boolean tombstone() {
      return value == null;
    }
  }

  private final List<Rec> records = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  /** Starts recording {@code topics} (which must exist) from their beginning. */
  public TopicRecorder(String bootstrapServers, String... topics) {
    Map<String, Object> props =
        Map.of(
            "bootstrap.servers",
            bootstrapServers,
            "max.partition.fetch.bytes",
            16 * 1024 * 1024 + 1024);
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    for (String t : topics) {
      consumer
          .partitionsFor(t, Duration.ofSeconds(30))
          .forEach(p -> parts.add(new TopicPartition(t, p.partition())));
    }
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    thread =
        new Thread(
            () -> {
              try (consumer) {
                while (running) {
                  consumer
                      .poll(Duration.ofMillis(50))
                      .forEach(
                          r ->
                              records.add(
                                  new Rec(
                                      r.topic(), r.partition(), r.offset(), r.key(), r.value())));
                }
              }
            },
            "topic-recorder");
    thread.setDaemon(true);
    thread.start();
  }

  /** Everything recorded so far, in arrival order. */
  public List<Rec> all() {
    return List.copyOf(records);
  }

  /** Records of one topic. */
  public List<Rec> of(String topic) {
    return records.stream().filter(r -> r.topic().equals(topic)).toList();
  }

  /** Records of one topic and key. */
  public List<Rec> of(String topic, String key) {
    return records.stream().filter(r -> r.topic().equals(topic) && key.equals(r.key())).toList();
  }

  /** The latest record per key of a topic (tombstones included), like a compacted view. */
  public Map<String, Rec> latest(String topic) {
    Map<String, Rec> out = new LinkedHashMap<>();
    for (Rec r : of(topic)) {
      out.put(r.key(), r);
    }
    return out;
  }

  /** The live keys of a topic with their envelopes (tombstoned keys left out). */
  public Map<String, Envelope> live(String topic) {
    Map<String, Envelope> out = new LinkedHashMap<>();
    latest(topic)
        .forEach(
            (k, r) -> {
              if (!r.tombstone()) {
                out.put(k, r.envelope());
              }
            });
    return out;
  }

  /**
   * Waits until a record matching {@code match} has arrived.
   *
   * @return the first such record
   * @throws AssertionError after {@code timeout}
   */
  public Rec await(Predicate<Rec> match, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Rec r : records) {
        if (match.test(r)) {
          return r;
        }
      }
      sleep(20);
    }
    throw new AssertionError("no record within " + timeout + ": " + what + "; saw " + summary());
  }

  /** Waits until {@code condition} holds over the records. */
  public void awaitTrue(Predicate<TopicRecorder> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(this)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what + "; saw " + summary());
      }
      sleep(20);
    }
  }

  /** A short text of what was recorded, for failure messages. */
  public String summary() {
    StringBuilder b = new StringBuilder();
    for (Rec r : records) {
      b.append("\n  ")
          .append(r.topic())
          .append('@')
          .append(r.offset())
          .append(' ')
          .append(r.key())
          .append(r.tombstone() ? " <tombstone>" : "");
    }
    return b.toString();
  }

  private static void sleep(long ms) {
    try {
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
