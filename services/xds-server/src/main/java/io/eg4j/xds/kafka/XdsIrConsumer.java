package io.eg4j.xds.kafka;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.XdsSnapshots;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reads {@code eg4j.xds-ir} from the beginning, on every partition (each replica serves every IR
 * key), and feeds the snapshot component.
 *
 * <p>Until it has read up to the end offsets it found at start-up it only remembers the latest IR
 * per key; then it applies them all at once and reports caught up, so Envoy is never served a
 * partial view (DESIGN.md invariant 1). A record that cannot be read goes to {@code
 * eg4j.xds-ir.dlt} with the reason, and the consumer moves on (invariant 7).
 */
public final class XdsIrConsumer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(XdsIrConsumer.class);

  private final Map<String, Object> consumerConfig;
  private final Producer<String, byte[]> producer;
  private final XdsSnapshots snapshots;
  private final Optional<SecretBox> secretBox;
  private final Consumer<String> deadLetterCounter;
  private final AtomicBoolean caughtUp = new AtomicBoolean();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private static final EnvelopeSerde.EnvelopeDeserializer ENVELOPES =
      new EnvelopeSerde.EnvelopeDeserializer();
  private volatile KafkaConsumer<String, byte[]> consumer;
  // The route IRs of each key's last record, reused for the same bytes (read on the poll thread).
  private final IrReuse reuse = new IrReuse();

  /**
   * @param consumerConfig Kafka consumer settings (bootstrap servers, security)
   * @param producer producer for dead letters
   * @param snapshots the snapshot component
   * @param secretBox opens encrypted IR, if a key is configured
   * @param deadLetterCounter counts a dead letter for a topic
   */
  public XdsIrConsumer(
      Map<String, Object> consumerConfig,
      Producer<String, byte[]> producer,
      XdsSnapshots snapshots,
      Optional<SecretBox> secretBox,
      Consumer<String> deadLetterCounter) {
    this.consumerConfig = new HashMap<>(consumerConfig);
    this.producer = producer;
    this.snapshots = snapshots;
    this.secretBox = secretBox;
    this.deadLetterCounter = deadLetterCounter;
  }

  /** True once the topic has been read up to its start-up end offsets and applied. */
  public boolean caughtUp() {
    return caughtUp.get();
  }

  /**
   * The IR keys whose last record's route IRs are kept for reuse (for tests): a tombstone drops its
   * key. Read it on the consumer's thread or once the consumer is caught up and idle.
   */
  public java.util.Set<String> reuseKeys() {
    return reuse.keys();
  }

  /** Stops the loop. */
  public void stop() {
    running.set(false);
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  @Override
  public void run() {
    Map<String, Object> cfg = new HashMap<>(consumerConfig);
    // No group: every replica reads every partition from the beginning and commits nothing.
    cfg.remove("group.id");
    cfg.put("enable.auto.commit", false);
    cfg.put("auto.offset.reset", "earliest");
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = c;
      List<TopicPartition> partitions = awaitPartitions(c);
      if (partitions.isEmpty()) {
        return;
      }
      c.assign(partitions);
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = c.endOffsets(partitions);
      Map<String, Read> pending = new LinkedHashMap<>();
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<String, byte[]> r : records) {
          handle(r, pending);
        }
        if (!caughtUp.get() && reached(c, end)) {
          pending.forEach(this::apply);
          pending.clear();
          caughtUp.set(true);
          log.info("caught up on {}: {} IR keys", Topics.XDS_IR, snapshots.keys().size());
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } finally {
      consumer = null;
    }
  }

  private List<TopicPartition> awaitPartitions(KafkaConsumer<String, byte[]> c) {
    while (running.get()) {
      try {
        List<PartitionInfo> infos = c.partitionsFor(Topics.XDS_IR, Duration.ofSeconds(5));
        if (infos != null && !infos.isEmpty()) {
          return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        }
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        log.info("waiting for topic {}", Topics.XDS_IR);
      }
    }
    return List.of();
  }

  private static boolean reached(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private void handle(ConsumerRecord<String, byte[]> r, Map<String, Read> pending) {
    MDC.put("irKey", String.valueOf(r.key()));
    MDC.put("offset", r.partition() + "@" + r.offset());
    try {
      if (r.key() == null) {
        deadLetter(r, "record without a key");
        return;
      }
      Read ir;
      if (r.value() == null) {
        ir = new Read(null, null); // tombstone: the Gateway is gone
        reuse.forget(r.key());
      } else {
        try {
          ir = read(r);
        } catch (RuntimeException e) {
          deadLetter(r, e.getMessage() == null ? e.toString() : e.getMessage());
          return;
        }
      }
      if (caughtUp.get()) {
        apply(r.key(), ir);
      } else {
        pending.put(r.key(), ir);
      }
    } finally {
      MDC.remove("irKey");
      MDC.remove("offset");
    }
  }

  /**
   * An IR read from the topic (null for a tombstone) and its envelope's content hash.
   *
   * @param ir the IR, or null for a tombstone
   * @param hash the envelope's content hash
   */
  public record Read(XdsIr ir, String hash) {}

  private Read read(ConsumerRecord<String, byte[]> r) {
    return read(r.topic(), r.key(), r.value(), secretBox, reuse);
  }

  /**
   * Reads one record value of {@code eg4j.xds-ir} as this consumer does (public for the record path
   * bench, {@code IrRecordPath}).
   *
   * @throws RuntimeException when the value is not an xDS IR for {@code key}; the consumer sends it
   *     to the dead-letter topic
   */
  public static Read read(String topic, String key, byte[] value, Optional<SecretBox> secretBox) {
    return read(topic, key, value, secretBox, null);
  }

  /**
   * {@link #read(String, String, byte[], Optional)} reusing the route IRs of the key's last record
   * read through {@code reuse} where their bytes are the same; {@code reuse} keeps this record's
   * only when it is read without error (null: bind everything).
   */
  public static Read read(
      String topic, String key, byte[] value, Optional<SecretBox> secretBox, IrReuse reuse) {
    // A sealed payload is decoded from Base64 as the envelope is read, and decrypted from those
    // bytes (issue #16: no String, char buffer or second copy of a record of several MB).
    Envelope env = ENVELOPES.deserializeSealed(topic, value);
    if (!"xds-ir".equals(env.type())) {
      throw new IllegalArgumentException("envelope type is " + env.type() + ", not xds-ir");
    }
    try {
      // A sealed IR is bound straight from its decrypted bytes, without a tree in between (issue
      // #16: at a thousand routes the tree and its walk were a third of a change's cost here).
      XdsIr ir;
      IrReuse.Bound bound = null;
      if (!env.encrypted()) {
        ir = Json.MAPPER.treeToValue(env.payload(), XdsIr.class);
      } else {
        io.eg4j.model.bus.SecretBox box =
            secretBox.orElseThrow(
                () -> new IllegalArgumentException("IR is encrypted and no bus key is set"));
        // Its secret values are sealed one by one inside it; the box opens them as they are bound.
        byte[] json = box.openJson(env.payload());
        if (reuse == null) {
          ir =
              Json.MAPPER
                  .readerFor(XdsIr.class)
                  .withAttribute(io.eg4j.model.bus.SecretBox.class, box)
                  .readValue(json);
        } else {
          bound = reuse.bind(key, json, box);
          ir = bound.ir();
        }
      }
      if (!key.equals(ir.key())) {
        throw new IllegalArgumentException(
            "record key " + key + " differs from IR key " + ir.key());
      }
      if (bound != null) {
        reuse.keep(key, bound);
      }
      return new Read(ir, env.contentHash());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not an xDS IR: " + e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not an xDS IR: " + e.getMessage(), e);
    }
  }

  /**
   * Also tells {@code listener} about every IR applied (null when removed), after the snapshots:
   * for instance the rate limit configuration files a host's rate limit service reads.
   */
  public void onIr(java.util.function.BiConsumer<String, XdsIr> listener) {
    this.irListener = listener;
  }

  private volatile java.util.function.BiConsumer<String, XdsIr> irListener;

  private void apply(String key, Read read) {
    XdsIr ir = read.ir();
    try {
      if (ir == null) {
        snapshots.remove(key);
        log.info("IR {} removed", key);
      } else if (snapshots.update(ir, read.hash())) {
        log.info("IR {} updated to {}", key, snapshots.desiredVersion(key));
      }
    } catch (RuntimeException e) {
      // An IR the translators cannot turn into resources must not stop the other keys.
      log.error("cannot translate IR {}", key, e);
      deadLetterCounter.accept(Topics.XDS_IR);
    }
    var listener = irListener;
    if (listener != null) {
      try {
        listener.accept(key, ir);
      } catch (RuntimeException e) {
        log.error("IR {}: {}", key, e.getMessage(), e);
      }
    }
  }

  private void deadLetter(ConsumerRecord<String, byte[]> r, String reason) {
    log.warn("dead letter from {} at {}@{}: {}", r.topic(), r.partition(), r.offset(), reason);
    deadLetterCounter.accept(r.topic());
    ProducerRecord<String, byte[]> out =
        new ProducerRecord<>(Topics.deadLetter(r.topic()), r.key(), r.value());
    // The shared dead-letter headers (DESIGN.md, docs/architecture.md), as every other service.
    r.headers().forEach(h -> out.headers().add(h));
    out.headers().add(DeadLetterPublisher.REASON, utf8(reason));
    out.headers().add(DeadLetterPublisher.EXCEPTION, utf8(""));
    out.headers().add(DeadLetterPublisher.ORIGINAL_TOPIC, utf8(r.topic()));
    out.headers().add(DeadLetterPublisher.ORIGINAL_PARTITION, utf8(String.valueOf(r.partition())));
    out.headers().add(DeadLetterPublisher.ORIGINAL_OFFSET, utf8(String.valueOf(r.offset())));
    out.headers().add(DeadLetterPublisher.CONSUMER, utf8("xds-server"));
    producer.send(
        out,
        (meta, err) -> {
          if (err != null) {
            log.error("cannot write dead letter for {}@{}", r.partition(), r.offset(), err);
          }
        });
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
