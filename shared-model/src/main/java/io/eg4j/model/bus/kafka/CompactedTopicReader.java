package io.eg4j.model.bus.kafka;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a compacted topic from the beginning up to the end offsets it has now, and returns the
 * latest envelope of every live key (tombstones remove keys). Producers use it at start-up to learn
 * what they last published: the watcher to tombstone vanished keys (DESIGN.md invariant 2), the
 * translator to publish only what changed (invariant 3).
 *
 * <p>No consumer group: the read is a one-off over every partition.
 */
public final class CompactedTopicReader {
  private static final Logger LOG = LoggerFactory.getLogger(CompactedTopicReader.class);

  private CompactedTopicReader() {}

  /**
   * Reads the live keys of a topic.
   *
   * @param consumerProps base consumer properties (bootstrap servers, security)
   * @param topic the topic
   * @param timeout the longest the read may take
   * @return key to latest envelope, in first-seen order; records that are not envelopes are skipped
   *     (their key is treated as absent)
   * @throws IllegalStateException when the topic cannot be read to its end within {@code timeout}
   */
  public static Map<String, Envelope> read(
      Map<String, Object> consumerProps, String topic, Duration timeout) {
    Map<String, Object> props = new HashMap<>(consumerProps);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "eg4j-reader-" + topic);
    EnvelopeSerde.EnvelopeDeserializer envelopes = new EnvelopeSerde.EnvelopeDeserializer();
    Map<String, Envelope> out = new LinkedHashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return out;
      }
      List<TopicPartition> parts =
          infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read " + topic + " to its end within " + timeout);
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.key() == null) {
            continue;
          }
          if (r.value() == null) {
            out.remove(r.key());
            continue;
          }
          try {
            out.put(r.key(), envelopes.deserialize(topic, r.value()));
          } catch (SerializationException e) {
            LOG.warn("skipping non-envelope {}-{}@{}", topic, r.partition(), r.offset());
            out.remove(r.key());
          }
        }
      }
    }
    return out;
  }

  private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    for (var e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
