package io.eg4j.translator.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.CompactedTopicReader;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.translator.core.TranslateResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a translation to the output topics, sending only what changed since what the topics
 * hold (DESIGN.md invariant 3) and a tombstone for each key that disappeared. It learns what the
 * topics hold by reading them ({@link #load}) when its replica becomes the active one, so a restart
 * or a failover publishes nothing that is already there.
 *
 * <p>Order: infra IR and xDS IR before statuses, so a status never announces a config the data
 * plane cannot get yet.
 */
public final class OutputPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(OutputPublisher.class);

  /** The producer name written in every envelope. */
  public static final String PRODUCER = "translator";

  /** The output topics, in publishing order. */
  static final List<String> OUTPUTS = List.of(Topics.INFRA_IR, Topics.XDS_IR, Topics.STATUS);

  private final Producer<String, Envelope> producer;
  private final MeterRegistry meters;
  private final Map<String, Map<String, String>> published = new HashMap<>();
  // Per topic, key to the value (IR record or ResourceStatus) whose fingerprint `published` holds:
  // an equal value next time is known unchanged without serializing it.
  private final Map<String, Map<String, Object>> lastValues = new HashMap<>();
  private final Map<String, Map<String, Object>> pendingValues = new HashMap<>();
  private final java.util.Optional<io.eg4j.model.bus.SecretBox> secrets;
  // The canonical JSON of each xDS IR key's last write, by route: an unchanged route is copied.
  private final XdsIrJson xdsIrJson = new XdsIrJson();

  /**
   * A publisher.
   *
   * @param producer the envelope producer
   * @param meters where {@code eg4j.translator.publishes} (tag topic) is counted
   */
  public OutputPublisher(Producer<String, Envelope> producer, MeterRegistry meters) {
    this(producer, meters, java.util.Optional.empty());
  }

  /**
   * A publisher that seals xDS IR with the bus key: the IR carries listener certificates' private
   * keys, which never cross the bus in plaintext (DESIGN.md invariant 6).
   *
   * @param producer the envelope producer
   * @param meters where {@code eg4j.translator.publishes} (tag topic) is counted
   * @param secrets the bus key; empty publishes the IR in plaintext (only for a bus no one else
   *     reads, such as a test)
   */
  public OutputPublisher(
      Producer<String, Envelope> producer,
      MeterRegistry meters,
      java.util.Optional<io.eg4j.model.bus.SecretBox> secrets) {
    this.producer = producer;
    this.meters = meters;
    this.secrets = secrets;
    OUTPUTS.forEach(
        t -> {
          published.put(t, new HashMap<>());
          lastValues.put(t, new HashMap<>());
          pendingValues.put(t, new HashMap<>());
        });
  }

  /**
   * Reads what the output topics hold now. Keys another producer wrote (the watcher's status for an
   * object it could not read) are left out: they are not this translation's to tombstone.
   */
  public void load(Map<String, Object> consumerProps, Duration timeout) {
    for (String topic : OUTPUTS) {
      Map<String, String> hashes = new HashMap<>();
      CompactedTopicReader.read(consumerProps, topic, timeout).entrySet().stream()
          .filter(e -> PRODUCER.equals(e.getValue().producer()))
          .forEach(
              e ->
                  hashes.put(
                      e.getKey(),
                      // A sealed payload's ciphertext differs on every write; its envelope carries
                      // the fingerprint of the plaintext.
                      e.getValue().encrypted()
                          ? e.getValue().contentHash()
                          : fingerprint(topic, e.getValue().payload())));
      published.put(topic, hashes);
      lastValues.get(topic).clear();
      LOG.info("{} holds {} keys", topic, hashes.size());
    }
  }

  /**
   * The content hash of an xDS IR as published on {@code eg4j.xds-ir} (its envelope's {@code
   * contentHash}, which the xds-servers tie their EnvoyPatchPolicy outcomes to): the hash on the
   * topic when the IR is the one last published there, else computed.
   */
  public String xdsIrHash(String key, io.eg4j.model.ir.XdsIr ir) {
    Object last = lastValues.get(Topics.XDS_IR).get(key);
    String onTopic = published.get(Topics.XDS_IR).get(key);
    if (onTopic != null && last != null && sameContent(ir, last)) {
      return onTopic;
    }
    return ContentHash.ofValue(ir);
  }

  /**
   * One record to send: the fingerprint that decides whether it changed, and its envelope, built
   * only when it did.
   */
  private record Out(String hash, java.util.function.Supplier<Envelope> envelope) {}

  /**
   * Publishes what changed.
   *
   * @param result a translation
   * @return the number of records sent
   */
  public int publish(TranslateResult result) {
    // A value equal to the one last published under its key is not serialized or hashed again:
    // at thousands of routes, turning every status and the whole IR into JSON trees and hashing
    // them on every change cost more than the translation itself.
    // Each topic's values are compared right before that topic is sent, not all up front: the xDS
    // IR, which Envoy waits for, goes out before the statuses of every route are compared (issue
    // #16: at a thousand routes, comparing them took ~0.8 ms of each change's path to Envoy).
    int sent = 0;
    for (String topic : OUTPUTS) {
      Map<String, Out> desired = new LinkedHashMap<>();
      java.util.Set<String> same = new java.util.HashSet<>();
      switch (topic) {
        case Topics.INFRA_IR ->
            result.infraIr().forEach((k, v) -> offer(topic, k, v, desired, same));
        case Topics.XDS_IR -> {
          result.xdsIr().forEach((k, v) -> offer(topic, k, v, desired, same));
          // An IR key that is gone keeps nothing.
          xdsIrJson.retain(result.xdsIr().keySet());
        }
        default -> {
          for (ResourceStatus s : result.statuses()) {
            offer(topic, s.key().toString(), s, desired, same);
          }
        }
      }
      sent += publishTopic(topic, desired, same);
    }
    return sent;
  }

  private void offer(
      String topic,
      String key,
      Object value,
      Map<String, Out> desired,
      java.util.Set<String> same) {
    Object last = lastValues.get(topic).get(key);
    if (last != null && published.get(topic).containsKey(key) && sameContent(value, last)) {
      same.add(key);
      // The newest equal value is kept, the one the translator holds as its last result, so the
      // two share one copy instead of this map holding an older one (issue #16).
      lastValues.get(topic).put(key, value);
      return;
    }
    desired.put(key, out(topic, key, value));
    pendingValues.get(topic).put(key, value);
  }

  /**
   * The record for a value. A sealed xDS IR is hashed and written to bytes straight from the value,
   * never as a tree (issue #16: at a thousand routes, the tree, its untyped copy for hashing and
   * its serialization for sealing were most of a change's cost in the translator); its hash is the
   * one {@link #fingerprint} gives for its tree ({@link ContentHash#ofValue}), so what {@link
   * #load} reads back compares equal.
   */
  private Out out(String topic, String key, Object value) {
    if (Topics.XDS_IR.equals(topic) && secrets.isPresent()) {
      // The canonical JSON is hashed, and, when it holds no Secret material, also compressed and
      // sealed as the payload. One that holds some is written a second time with each secret value
      // sealed on its own, and that is compressed (SecretBox: no secret in a compressed stream).
      // The routes that did not change since the key's last IR are copied from its JSON.
      SecretBox box = secrets.get();
      io.eg4j.model.ir.XdsIr ir = (io.eg4j.model.ir.XdsIr) value;
      byte[] plain = xdsIrJson.write(key, ir);
      String hash = ContentHash.sha256(plain);
      return new Out(
          hash,
          () ->
              new Envelope(
                  Envelope.CURRENT_SCHEMA,
                  typeOf(topic),
                  hash,
                  PRODUCER,
                  true,
                  box.sealCompressed(xdsIrJson.compressible(key, ir, plain, box))));
    }
    JsonNode payload = Json.MAPPER.valueToTree(value);
    String hash = fingerprint(topic, payload);
    if (Topics.STATUS.equals(topic)) {
      // The envelope of a status carries the hash of the whole payload, transition times included.
      return new Out(hash, () -> Envelope.wrap(typeOf(topic), PRODUCER, payload));
    }
    return new Out(
        hash,
        () -> new Envelope(Envelope.CURRENT_SCHEMA, typeOf(topic), hash, PRODUCER, false, payload));
  }

  /**
   * Whether two values published under one key have the same content as far as {@link #fingerprint}
   * is concerned: equal IR records, or statuses equal but for their conditions' {@code
   * lastTransitionTime}. False when unsure (the value is then hashed as before).
   */
  static boolean sameContent(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a instanceof ResourceStatus x && b instanceof ResourceStatus y) {
      return x.key().equals(y.key())
          && java.util.Objects.equals(x.apiVersion(), y.apiVersion())
          && x.observedGeneration() == y.observedGeneration()
          && sameButTransitionTimes(x.status(), y.status());
    }
    return a.getClass() == b.getClass() && a.equals(b);
  }

  private static boolean sameButTransitionTimes(JsonNode a, JsonNode b) {
    if (a instanceof ObjectNode x && b instanceof ObjectNode y) {
      int n = 0;
      for (var it = x.fields(); it.hasNext(); ) {
        var e = it.next();
        if (e.getKey().equals("lastTransitionTime")) {
          continue;
        }
        n++;
        JsonNode other = y.get(e.getKey());
        if (other == null || !sameButTransitionTimes(e.getValue(), other)) {
          return false;
        }
      }
      return n == y.size() - (y.has("lastTransitionTime") ? 1 : 0);
    }
    if (a instanceof ArrayNode x && b instanceof ArrayNode y) {
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!sameButTransitionTimes(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }

  private int publishTopic(
      String topic, Map<String, Out> desired, java.util.Set<String> unchanged) {
    Map<String, String> onTopic = published.get(topic);
    Map<String, Object> last = lastValues.get(topic);
    Map<String, Object> pending = pendingValues.get(topic);
    List<String> keys = new ArrayList<>();
    List<String> hashes = new ArrayList<>();
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (var e : desired.entrySet()) {
      String hash = e.getValue().hash();
      if (hash.equals(onTopic.get(e.getKey()))) {
        last.put(e.getKey(), pending.get(e.getKey()));
        continue;
      }
      Envelope env = e.getValue().envelope().get();
      keys.add(e.getKey());
      hashes.add(hash);
      acks.add(producer.send(new ProducerRecord<>(topic, e.getKey(), env)));
    }
    for (String k : onTopic.keySet()) {
      if (!desired.containsKey(k) && !unchanged.contains(k)) {
        keys.add(k);
        hashes.add(null);
        acks.add(producer.send(new ProducerRecord<>(topic, k, null)));
      }
    }
    if (acks.isEmpty()) {
      pending.clear();
      return 0;
    }
    producer.flush();
    int ok = 0;
    for (int i = 0; i < acks.size(); i++) {
      try {
        acks.get(i).get(30, TimeUnit.SECONDS);
        if (hashes.get(i) == null) {
          onTopic.remove(keys.get(i));
          last.remove(keys.get(i));
        } else {
          onTopic.put(keys.get(i), hashes.get(i));
          last.put(keys.get(i), pending.get(keys.get(i)));
        }
        ok++;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        // Not recorded as published, so the next translation sends it again.
        last.remove(keys.get(i));
        LOG.error("could not publish {} to {}: {}", keys.get(i), topic, e.toString());
      }
    }
    pending.clear();
    Counter.builder("eg4j.translator.publishes")
        .description("Records the translator published (changes and tombstones)")
        .tag("topic", topic)
        .register(meters)
        .increment(ok);
    LOG.info("published {} records to {}", ok, topic);
    return ok;
  }

  /** The value last published, or known unchanged, under a key of a topic (for tests). */
  Object lastValue(String topic, String key) {
    return lastValues.get(topic).get(key);
  }

  /** The envelope type of an output topic. */
  static String typeOf(String topic) {
    return switch (topic) {
      case Topics.XDS_IR -> "xds-ir";
      case Topics.INFRA_IR -> "infra-ir";
      case Topics.STATUS -> "status";
      default -> throw new IllegalArgumentException(topic);
    };
  }

  /**
   * What decides whether a payload changed. For statuses, {@code lastTransitionTime} is left out:
   * the core stamps every condition with the translation time, and a condition that did not change
   * must neither be republished nor get a new transition time.
   */
  static String fingerprint(String topic, JsonNode payload) {
    if (!Topics.STATUS.equals(topic)) {
      return ContentHash.of(payload);
    }
    JsonNode copy = payload.deepCopy();
    stripTransitionTimes(copy);
    return ContentHash.of(copy);
  }

  private static void stripTransitionTimes(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.remove("lastTransitionTime");
      o.forEach(OutputPublisher::stripTransitionTimes);
    } else if (node instanceof ArrayNode a) {
      a.forEach(OutputPublisher::stripTransitionTimes);
    }
  }
}
