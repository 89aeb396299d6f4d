package io.eg4j.model.bus.kafka;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A consumer thread over eg4j topics, shared by the services so that each gets the same bus rules:
 *
 * <ul>
 *   <li>values are read as bytes and decoded with {@link EnvelopeSerde} here, so a record that is
 *       not an envelope, or that the handler cannot use, goes to {@code <topic>.dlt} with the
 *       reason and the loop moves on instead of failing on it forever (DESIGN.md invariant 7);
 *   <li>with {@link Options#fromBeginning()} every assignment is read from the beginning (a
 *       compacted topic is the state) and a {@link CatchUpTracker} says when the end offsets found
 *       at assignment have been reached (invariant 1);
 *   <li>with a group id the partitions are shared in a consumer group, so a single-partition topic
 *       has exactly one active consumer and the others stand by (invariant 8); without one the loop
 *       reads every partition of its topics.
 * </ul>
 *
 * <p>The handler runs on the loop's thread only, so it needs no locking of its own state.
 */
public final class BusConsumerLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BusConsumerLoop.class);

  /** What a service does with the records. All methods run on the loop thread. */
  public interface Handler {
    /**
     * Partitions were assigned. With {@code fromBeginning} they are about to be read again from the
     * start, so the handler should drop state it built from them.
     *
     * @param partitions the whole new assignment
     */
    default void onAssigned(Collection<TopicPartition> partitions) {}

    /**
     * Partitions were taken away (rebalance or shutdown); stop acting on them.
     *
     * @param partitions the partitions lost
     */
    default void onRevoked(Collection<TopicPartition> partitions) {}

    /**
     * One record. A thrown exception sends the record to the dead-letter topic.
     *
     * @param record the raw record
     * @param envelope its decoded value, or null for a tombstone
     * @throws Exception when the record cannot be used
     */
    void onRecord(ConsumerRecord<String, byte[]> record, Envelope envelope) throws Exception;

    /** The assignment has been read up to the end offsets found when it was assigned. */
    default void onCaughtUp() {}

    /**
     * Called after every poll, with or without records, e.g. to run debounced work.
     *
     * @param caughtUp whether the current assignment is caught up
     */
    default void afterPoll(boolean caughtUp) {}

    /**
     * The longest the next poll should wait, in milliseconds, so that debounced work runs when it
     * becomes due rather than a whole poll timeout later; negative for the loop's poll timeout.
     */
    default long pollWithinMillis() {
      return -1;
    }
  }

  /**
   * How the loop consumes.
   *
   * @param name thread and client-id suffix, e.g. {@code translator-resources}
   * @param topics the topics
   * @param groupId consumer group, or null to read every partition without a group
   * @param fromBeginning whether each assignment is read from the start, ignoring commits
   * @param pollTimeout the longest one poll waits; bounds the latency of {@link Handler#afterPoll}
   */
  public record Options(
      String name,
      List<String> topics,
      String groupId,
      boolean fromBeginning,
      Duration pollTimeout) {
    public Options {
      Objects.requireNonNull(name, "name");
      topics = List.copyOf(topics);
      pollTimeout = pollTimeout == null ? Duration.ofMillis(100) : pollTimeout;
    }
  }

  private final Map<String, Object> props;
  private final Options options;
  private final Handler handler;
  private final CatchUpTracker tracker;
  private final DeadLetterPublisher deadLetters;
  private final EnvelopeSerde.EnvelopeDeserializer envelopes =
      new EnvelopeSerde.EnvelopeDeserializer();
  private final Set<TopicPartition> assignment = new HashSet<>();
  private volatile boolean running;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;
  private volatile java.util.function.Function<KafkaConsumer<?, ?>, Instrumentation> instrument =
      c -> () -> {};

  /** A handle on what instruments a consumer; closed with the consumer. */
  @FunctionalInterface
  public interface Instrumentation extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * A loop; call {@link #start()} to run it.
   *
   * @param consumerProps base consumer properties (bootstrap servers, security, overrides)
   * @param options how to consume
   * @param handler what to do with records
   * @param tracker the catch-up tracker this loop drives
   * @param deadLetters where unusable records go
   */
  public BusConsumerLoop(
      Map<String, Object> consumerProps,
      Options options,
      Handler handler,
      CatchUpTracker tracker,
      DeadLetterPublisher deadLetters) {
    this.options = options;
    this.handler = handler;
    this.tracker = tracker;
    this.deadLetters = deadLetters;
    Map<String, Object> p = new HashMap<>(consumerProps);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "eg4j-" + options.name());
    if (options.groupId() != null) {
      p.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
      // Eager assignment: a rebalance revokes everything and assigns afresh, which is what
      // "read the state again from the beginning" needs.
      p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
    } else {
      p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    }
    if (options.fromBeginning() || options.groupId() == null) {
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    }
    this.props = p;
  }

  /**
   * Sets what instruments the consumer once it exists, for example Micrometer's Kafka client
   * metrics (records lag, fetch rates). The returned handle is closed when the consumer closes.
   *
   * @return this loop
   */
  public BusConsumerLoop instrumentWith(
      java.util.function.Function<KafkaConsumer<?, ?>, Instrumentation> instrument) {
    this.instrument = Objects.requireNonNull(instrument, "instrument");
    return this;
  }

  /** Starts the consumer thread. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "eg4j-" + options.name());
    thread.setDaemon(true);
    thread.start();
  }

  /** Whether the thread is running. */
  public boolean isRunning() {
    return running && thread != null && thread.isAlive();
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props);
        Instrumentation metrics = instrument.apply(c)) {
      consumer = c;
      if (options.groupId() != null) {
        c.subscribe(options.topics(), new Rebalance(c));
      } else {
        List<TopicPartition> parts = partitionsOnceTheTopicsExist(c);
        if (parts == null) {
          return;
        }
        c.assign(parts);
        onAssigned(c, parts);
      }
      while (running) {
        long within = handler.pollWithinMillis();
        var records =
            c.poll(
                within < 0 || within >= options.pollTimeout().toMillis()
                    ? options.pollTimeout()
                    : Duration.ofMillis(within));
        for (ConsumerRecord<String, byte[]> r : records) {
          handle(r);
        }
        checkCatchUp(c);
        handler.afterPoll(tracker.isCaughtUp());
      }
    } catch (WakeupException e) {
      // close() woke us: normal shutdown
    } catch (RuntimeException e) {
      LOG.error("consumer loop {} stopped", options.name(), e);
    } finally {
      tracker.revoked();
      running = false;
    }
  }

  /**
   * The partitions of every topic, waiting while a topic does not exist yet (topics created by
   * another service, {@code eg4j.bus.create-topics=false}): reading an empty assignment would
   * report caught up with nothing and never read the topic. Null when the loop was stopped
   * meanwhile.
   */
  private List<TopicPartition> partitionsOnceTheTopicsExist(KafkaConsumer<String, byte[]> c) {
    boolean logged = false;
    while (running) {
      List<TopicPartition> parts = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      for (String topic : options.topics()) {
        List<PartitionInfo> infos = c.partitionsFor(topic);
        if (infos == null || infos.isEmpty()) {
          missing.add(topic);
        } else {
          infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        }
      }
      if (missing.isEmpty()) {
        return parts;
      }
      if (!logged) {
        LOG.warn("{} waits for topics {} to exist; not ready until then", options.name(), missing);
        logged = true;
      }
      try {
        Thread.sleep(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  private void handle(ConsumerRecord<String, byte[]> r) {
    MDC.put("eg4j.key", String.valueOf(r.key()));
    MDC.put("eg4j.offset", r.topic() + "-" + r.partition() + "@" + r.offset());
    try {
      Envelope envelope;
      try {
        envelope = r.value() == null ? null : envelopes.deserialize(r.topic(), r.value());
      } catch (SerializationException e) {
        deadLetters.publish(r, e.getMessage(), e);
        return;
      }
      try {
        handler.onRecord(r, envelope);
      } catch (WakeupException e) {
        throw e;
      } catch (Exception e) {
        deadLetters.publish(r, "cannot process record: " + e.getMessage(), e);
      }
    } finally {
      MDC.remove("eg4j.key");
      MDC.remove("eg4j.offset");
    }
  }

  private void checkCatchUp(KafkaConsumer<String, byte[]> c) {
    if (tracker.state() != CatchUpTracker.State.CATCHING_UP) {
      return;
    }
    Map<TopicPartition, Long> positions = new HashMap<>();
    for (TopicPartition tp : assignment) {
      positions.put(tp, c.position(tp));
    }
    if (tracker.update(positions)) {
      LOG.info("{} caught up on {}", options.name(), assignment);
      handler.onCaughtUp();
    }
  }

  private void onAssigned(KafkaConsumer<String, byte[]> c, Collection<TopicPartition> parts) {
    assignment.clear();
    assignment.addAll(parts);
    if (options.fromBeginning()) {
      c.seekToBeginning(parts);
    }
    handler.onAssigned(List.copyOf(parts));
    if (tracker.assigned(parts.isEmpty() ? Map.of() : c.endOffsets(parts))) {
      LOG.info("{} caught up on {} (nothing to read)", options.name(), parts);
      handler.onCaughtUp();
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    private final KafkaConsumer<String, byte[]> c;

    Rebalance(KafkaConsumer<String, byte[]> c) {
      this.c = c;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      LOG.info("{} assigned {}", options.name(), partitions);
      onAssigned(c, partitions);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        LOG.info("{} revoked {}", options.name(), partitions);
      }
      assignment.removeAll(partitions);
      tracker.revoked();
      handler.onRevoked(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      onPartitionsRevoked(partitions);
    }
  }

  /** Stops the loop, leaving the group so a standby takes over at once, and waits for it. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      running = false;
      t = thread;
    }
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (t != null) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
