package io.eg4j.model.bus.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.testing.KafkaTestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared bus plumbing against a real broker. */
class BusPlumbingIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();

  static Map<String, Object> base() {
    return Map.of("bootstrap.servers", KAFKA.bootstrapServers());
  }

  @BeforeAll
  static void topics() {
    try (Admin admin = Admin.create(base())) {
      TopicCreator.ensureTopics(admin, 2, (short) 1, 1, Duration.ofSeconds(30));
    }
  }

  @Test
  void topicCreationIsIdempotentAndConfigured() throws Exception {
    try (Admin admin = Admin.create(base())) {
      assertThat(TopicCreator.ensureTopics(admin, 2, (short) 1, 1, Duration.ofSeconds(30)))
          .isEmpty();
      var descriptions =
          admin.describeTopics(List.of(Topics.RESOURCES, Topics.STATUS)).allTopicNames().get();
      assertThat(descriptions.get(Topics.RESOURCES).partitions()).hasSize(1);
      assertThat(descriptions.get(Topics.STATUS).partitions()).hasSize(2);
      ConfigResource status = new ConfigResource(ConfigResource.Type.TOPIC, Topics.STATUS);
      ConfigResource dlt =
          new ConfigResource(ConfigResource.Type.TOPIC, Topics.deadLetter(Topics.RESOURCES));
      Map<ConfigResource, Config> configs =
          admin.describeConfigs(List.of(status, dlt)).all().get(30, TimeUnit.SECONDS);
      assertThat(configs.get(status).get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(configs.get(status).get("max.message.bytes").value())
          .isEqualTo(String.valueOf(BusSettings.MAX_MESSAGE_BYTES));
      assertThat(configs.get(dlt).get("cleanup.policy").value()).isEqualTo("delete");
      assertThat(admin.listTopics().names().get())
          .containsAll(Topics.COMPACTED)
          .contains(Topics.deadLetter(Topics.XDS_IR), Topics.deadLetter(Topics.STATUS));
    }
  }

  @Test
  void loopCatchesUpDeadLettersPoisonAndMovesOn() throws Exception {
    String topic = Topics.RESOURCES;
    send(topic, "a", envelope("1"));
    send(topic, "poison", "this is not json".getBytes(StandardCharsets.UTF_8));
    send(topic, "b", envelope("2"));
    List<String> seen = new CopyOnWriteArrayList<>();
    List<Integer> seenWhenCaughtUp = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger assigned = new AtomicInteger();
    CatchUpTracker tracker = new CatchUpTracker();
    BusConsumerLoop.Handler handler =
        new BusConsumerLoop.Handler() {
          @Override
          public void onAssigned(java.util.Collection<TopicPartition> partitions) {
            assigned.incrementAndGet();
          }

          @Override
          public void onRecord(ConsumerRecord<String, byte[]> record, Envelope envelope) {
            if ("explode".equals(record.key())) {
              throw new IllegalArgumentException("handler refused it");
            }
            seen.add(record.key());
          }

          @Override
          public void onCaughtUp() {
            seenWhenCaughtUp.add(seen.size());
          }
        };
    Map<String, Object> props = new HashMap<>(base());
    props.putAll(BusSettings.consumerOverrides());
    try (DeadLetterPublisher dlt = new DeadLetterPublisher(base(), "test", t -> {});
        BusConsumerLoop loop =
            new BusConsumerLoop(
                props,
                new BusConsumerLoop.Options(
                    "test-infra", List.of(topic), "test-group", true, Duration.ofMillis(50)),
                handler,
                tracker,
                dlt)) {
      loop.start();
      await(tracker::isCaughtUp);
      // Caught up exactly when the two good records of the start-up end offsets were handled.
      assertThat(seenWhenCaughtUp).containsExactly(2);
      assertThat(seen).containsExactly("a", "b");
      send(topic, "explode", envelope("3"));
      send(topic, "c", envelope("4"));
      await(() -> seen.contains("c"));
      assertThat(seen).containsExactly("a", "b", "c");
    }
    List<ConsumerRecord<byte[], byte[]>> dead = readAll(Topics.deadLetter(topic), 2);
    assertThat(dead).hasSize(2);
    assertThat(header(dead.get(0), DeadLetterPublisher.REASON)).contains("not an eg4j envelope");
    assertThat(header(dead.get(0), DeadLetterPublisher.ORIGINAL_OFFSET)).isEqualTo("1");
    assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8))
        .isEqualTo("this is not json");
    assertThat(header(dead.get(1), DeadLetterPublisher.REASON)).contains("handler refused it");
  }

  @Test
  void loopWithoutAGroupWaitsForItsTopicToExist() throws Exception {
    String topic = "eg4j.test.created-later";
    List<String> seen = new CopyOnWriteArrayList<>();
    CatchUpTracker tracker = new CatchUpTracker();
    BusConsumerLoop.Handler handler =
        new BusConsumerLoop.Handler() {
          @Override
          public void onRecord(ConsumerRecord<String, byte[]> record, Envelope envelope) {
            seen.add(record.key());
          }
        };
    Map<String, Object> props = new HashMap<>(base());
    props.putAll(BusSettings.consumerOverrides());
    try (DeadLetterPublisher dlt = new DeadLetterPublisher(base(), "test", t -> {});
        BusConsumerLoop loop =
            new BusConsumerLoop(
                props,
                new BusConsumerLoop.Options(
                    "test-late", List.of(topic), null, true, Duration.ofMillis(50)),
                handler,
                tracker,
                dlt)) {
      loop.start();
      Thread.sleep(1_500);
      // No topic, no assignment: never "caught up" on nothing.
      assertThat(tracker.isCaughtUp()).isFalse();
      try (Admin admin = Admin.create(base())) {
        admin
            .createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1)))
            .all()
            .get(30, TimeUnit.SECONDS);
      }
      send(topic, "first", envelope("1"));
      await(() -> seen.contains("first"));
      await(tracker::isCaughtUp);
      assertThat(loop.isRunning()).isTrue();
    }
  }

  @Test
  void emptyAssignmentIsCaughtUpAtOnce() {
    CatchUpTracker tracker = new CatchUpTracker();
    assertThat(tracker.assigned(Map.of(new TopicPartition("t", 0), 0L))).isTrue();
    assertThat(tracker.isCaughtUp()).isTrue();
    assertThat(tracker.assigned(Map.of())).isFalse();
    assertThat(tracker.state()).isEqualTo(CatchUpTracker.State.STANDBY);
  }

  @Test
  void readerReturnsLiveKeys() {
    String topic = Topics.XDS_NACKS;
    send(topic, "k1", envelope("1"));
    send(topic, "k2", envelope("2"));
    send(topic, "k1", null);
    send(topic, "k3", "garbage".getBytes(StandardCharsets.UTF_8));
    Map<String, Envelope> live = CompactedTopicReader.read(base(), topic, Duration.ofSeconds(30));
    assertThat(live.keySet()).containsExactly("k2");
    assertThat(live.get("k2").payload().path("v").asText()).isEqualTo("2");
    assertThat(CompactedTopicReader.read(base(), Topics.XDS_IR, Duration.ofSeconds(30))).isEmpty();
  }

  static byte[] envelope(String v) {
    Envelope e = Envelope.wrap("test", "test", Json.MAPPER.createObjectNode().put("v", v));
    return new EnvelopeSerde().serializer().serialize("t", e);
  }

  static void send(String topic, String key, byte[] value) {
    try (var p = new KafkaProducer<>(base(), new StringSerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
    try (var c =
        new KafkaConsumer<>(base(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(Set.of(tp));
      c.seekToBeginning(Set.of(tp));
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
      return out;
    }
  }

  static String header(ConsumerRecord<?, ?> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 30 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
