package io.eg4j.standalone;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a compacted topic to its end and reports the latest value of each key. */
final class TopicState {
  private TopicState() {}

  /** Key to latest value (an empty Optional for a tombstone), read from the beginning. */
  static Map<String, Optional<byte[]>> latest(String bootstrap, String topic) {
    Map<String, Optional<byte[]>> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline
          && parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.put(r.key(), Optional.ofNullable(r.value()));
        }
      }
    }
    return out;
  }

  /** True when the latest record of {@code key} is a tombstone. */
  static boolean isTombstoned(String bootstrap, String topic, String key) {
    Optional<byte[]> v = latest(bootstrap, topic).get(key);
    return v != null && v.isEmpty();
  }
}
