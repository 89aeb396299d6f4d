package io.eg4j.watcher.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.watcher.core.ResourceSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the watcher's objects to {@code eg4j.resources}: each object's full state under its
 * {@link ResourceKey}, only when its content hash changed (DESIGN.md invariant 3), and a tombstone
 * for each key that disappeared. It starts from the keys the topic holds (set with {@link
 * #startFrom}), so the first complete resync also tombstones keys deleted while the watcher was
 * down (invariant 2). Secret objects are sealed with {@link SecretBox} (invariant 6).
 *
 * <p>Called from one source thread at a time ({@code synchronized}).
 */
public final class ResourcePublisher implements ResourceSink {
  private static final Logger LOG = LoggerFactory.getLogger(ResourcePublisher.class);

  /** The producer name written in every envelope. */
  public static final String PRODUCER = "watcher";

  private final Producer<String, Envelope> producer;
  private final Optional<SecretBox> secrets;
  private final SealedHash sealedHash;
  private final MeterRegistry meters;
  private final Map<String, String> published = new HashMap<>();
  private final java.util.Set<ResourceKey> refusedSecrets = new java.util.HashSet<>();
  // Keys whose last send failed: a resync with a change hint looks at them again.
  private final java.util.Set<String> failed = new java.util.HashSet<>();
  private volatile boolean synced;

  /**
   * A publisher.
   *
   * @param producer the envelope producer (bus overrides applied)
   * @param secrets the box sealing Secret data; when empty, Secrets are not published
   * @param sealedHash the keyed hash used as content hash of sealed payloads
   * @param meters where {@code eg4j.watcher.events} and {@code eg4j.watcher.publish.latency} go
   */
  public ResourcePublisher(
      Producer<String, Envelope> producer,
      Optional<SecretBox> secrets,
      SealedHash sealedHash,
      MeterRegistry meters) {
    this.producer = producer;
    this.secrets = secrets;
    this.sealedHash = sealedHash;
    this.meters = meters;
  }

  /** Seeds what is on the topic now: key to content hash (from a start-up read). */
  public synchronized void startFrom(Map<String, Envelope> onTopic) {
    published.clear();
    onTopic.forEach((k, v) -> published.put(k, v.contentHash()));
  }

  /** Whether a complete resync has been published (readiness). */
  public boolean synced() {
    return synced;
  }

  @Override
  public synchronized void resync(Map<ResourceKey, ObjectNode> objects, boolean complete) {
    resync(objects, complete, java.util.Set.of());
  }

  @Override
  public synchronized void resync(
      Map<ResourceKey, ObjectNode> objects,
      boolean complete,
      java.util.Set<ResourceKey> certainlyDeleted) {
    resync(objects, complete, certainlyDeleted, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A key outside {@code changedKeys} (when given) that is already on the topic is not hashed
   * again: one changed file in a directory of thousands costs one envelope, not thousands. Keys
   * whose last send failed are always looked at again.
   */
  @Override
  public synchronized void resync(
      Map<ResourceKey, ObjectNode> objects,
      boolean complete,
      java.util.Set<ResourceKey> certainlyDeleted,
      java.util.Set<ResourceKey> changedKeys) {
    long start = System.nanoTime();
    List<Pending> sends = new ArrayList<>();
    Map<String, ResourceKey> present = new HashMap<>();
    for (var e : objects.entrySet()) {
      ResourceKey key = e.getKey();
      String k = key.toString();
      present.put(k, key);
      if (changedKeys != null
          && !changedKeys.contains(key)
          && published.containsKey(k)
          && !failed.contains(k)) {
        continue;
      }
      Envelope env = changedEnvelope(key, e.getValue());
      if (env == null) {
        continue;
      }
      sends.add(new Pending(k, key.kind(), env));
    }
    if (complete) {
      for (String k : published.keySet()) {
        if (!present.containsKey(k)) {
          sends.add(new Pending(k, kindOf(k), null));
        }
      }
    } else {
      // Part of the source is unreadable: only deletions seen in the readable part go out.
      int held = 0;
      for (String k : published.keySet()) {
        if (present.containsKey(k)) {
          continue;
        }
        if (certainlyDeleted.contains(ResourceKey.parse(k))) {
          sends.add(new Pending(k, kindOf(k), null));
        } else {
          held++;
        }
      }
      if (held > 0 && !synced) {
        // Either source: manifests that do not parse yet, or Kubernetes kinds not listed yet.
        LOG.warn(
            "the source's state is incomplete (a manifest that does not parse, a kind that cannot"
                + " be listed yet); {} object(s) not in the readable part are kept until it is"
                + " complete (they may be in the unreadable part)",
            held);
      }
    }
    if (sends.isEmpty()) {
      synced |= complete;
      return;
    }
    int failures = send(sends);
    recordLatency(start);
    synced |= complete && failures == 0;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Once a complete state is published and no send is waiting for a retry: from then on every
   * key on the topic is one the source delivered, so a change names all that is to be sent.
   */
  @Override
  public synchronized boolean takesChanges() {
    return synced && failed.isEmpty();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Costs what changed: each object given is hashed and sent if its hash is not the one on the
   * topic, each deleted key on the topic is tombstoned, in one batch.
   */
  @Override
  public synchronized void changes(
      Map<ResourceKey, ObjectNode> objects, java.util.Set<ResourceKey> deleted, boolean complete) {
    long start = System.nanoTime();
    List<Pending> sends = new ArrayList<>();
    for (var e : objects.entrySet()) {
      Envelope env = changedEnvelope(e.getKey(), e.getValue());
      if (env != null) {
        sends.add(new Pending(e.getKey().toString(), e.getKey().kind(), env));
      }
    }
    for (ResourceKey key : deleted) {
      String k = key.toString();
      if (published.containsKey(k)) {
        sends.add(new Pending(k, key.kind(), null));
      }
    }
    if (sends.isEmpty()) {
      return;
    }
    send(sends);
    recordLatency(start);
  }

  @Override
  public synchronized void upsert(ResourceKey key, ObjectNode object) {
    long start = System.nanoTime();
    Envelope env = changedEnvelope(key, object);
    if (env == null) {
      return;
    }
    send(List.of(new Pending(key.toString(), key.kind(), env)));
    recordLatency(start);
  }

  @Override
  public synchronized void delete(ResourceKey key) {
    if (published.containsKey(key.toString())) {
      send(List.of(new Pending(key.toString(), key.kind(), null)));
    }
  }

  private void recordLatency(long start) {
    Timer.builder("eg4j.watcher.publish.latency")
        .description("From seeing a change to the broker's ack of its records")
        .register(meters)
        .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
  }

  /** Sends and waits for the acks; returns how many failed (they are retried on the next round). */
  private int send(List<Pending> sends) {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (Pending p : sends) {
      acks.add(producer.send(new ProducerRecord<>(Topics.RESOURCES, p.key(), p.envelope())));
    }
    producer.flush();
    int failures = 0;
    for (int i = 0; i < sends.size(); i++) {
      Pending p = sends.get(i);
      try {
        acks.get(i).get(30, TimeUnit.SECONDS);
        failed.remove(p.key());
        if (p.envelope() == null) {
          published.remove(p.key());
        } else {
          published.put(p.key(), p.envelope().contentHash());
        }
        Counter.builder("eg4j.watcher.events")
            .description("Objects published to eg4j.resources (changes and deletions)")
            .tag("kind", p.kind())
            .register(meters)
            .increment();
        LOG.info("{} {}", p.envelope() == null ? "deleted" : "published", p.key());
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        for (int j = i; j < sends.size(); j++) {
          failed.add(sends.get(j).key());
        }
        return failures + sends.size() - i;
      } catch (Exception ex) {
        // Left out of `published`, so the next resync sends it again.
        failed.add(p.key());
        failures++;
        LOG.error("could not publish {}: {}", p.key(), ex.toString());
      }
    }
    return failures;
  }

  /** The envelope to publish, or null when the topic already has this content (or never may). */
  private Envelope changedEnvelope(ResourceKey key, ObjectNode object) {
    String onTopic = published.get(key.toString());
    if (!isSecret(key)) {
      Envelope env = Envelope.wrap("resource", PRODUCER, object);
      return env.contentHash().equals(onTopic) ? null : env;
    }
    if (secrets.isEmpty()) {
      if (!refusedSecrets.add(key)) {
        return null;
      }
      LOG.error(
          "Secret {} not published: no eg4j.bus.secret-key-file is set, and Secret data never"
              + " crosses the bus in plaintext",
          key);
      return null;
    }
    String hash = sealedHash.of(ContentHash.of(object));
    if (hash.equals(onTopic)) {
      return null;
    }
    return new Envelope(
        Envelope.CURRENT_SCHEMA, "resource", hash, PRODUCER, true, secrets.get().seal(object));
  }

  /** Secrets are the kind whose data is sealed on the bus. */
  static boolean isSecret(ResourceKey key) {
    return key.group().isEmpty() && "Secret".equals(key.kind());
  }

  private static String kindOf(String key) {
    try {
      return ResourceKey.parse(key).kind();
    } catch (IllegalArgumentException e) {
      return "unknown";
    }
  }

  private record Pending(String key, String kind, Envelope envelope) {}
}
