package io.eg4j.standalone.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process KRaft broker: formats once, creates the eg4j topics, keeps data across runs. */
class EmbeddedKraftBrokerIT {
  @TempDir Path dir;

  @Test
  void keepsItsDataAcrossRestartsInTheSameDirectory() throws Exception {
    try (EmbeddedKraftBroker broker = EmbeddedKraftBroker.start(dir, Ports.free(), Ports.free())) {
      assertThat(broker.bootstrapServers()).startsWith("127.0.0.1:");
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        assertThat(admin.listTopics().names().get())
            .contains(Topics.RESOURCES, Topics.XDS_IR, Topics.INFRA_IR, Topics.STATUS)
            .contains(Topics.deadLetter(Topics.RESOURCES));
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, Topics.XDS_IR);
        Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
        assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
      }
      try (KafkaProducer<String, String> p =
          new KafkaProducer<>(
              Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
              new StringSerializer(),
              new StringSerializer())) {
        p.send(new ProducerRecord<>(Topics.RESOURCES, "k", "kept")).get();
      }
    }
    assertThat(dir.resolve("meta.properties")).exists();

    // Same directory, new ports: the record is still there.
    try (EmbeddedKraftBroker broker = EmbeddedKraftBroker.start(dir, Ports.free(), Ports.free())) {
      try (KafkaConsumer<String, String> c =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  broker.bootstrapServers(),
                  ConsumerConfig.GROUP_ID_CONFIG,
                  "t",
                  ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                  "earliest"),
              new StringDeserializer(),
              new StringDeserializer())) {
        c.subscribe(List.of(Topics.RESOURCES));
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (got.isEmpty() && System.nanoTime() < deadline) {
          c.poll(Duration.ofMillis(500)).forEach(got::add);
        }
        assertThat(got).extracting(ConsumerRecord::value).containsExactly("kept");
      }
    }
  }

  @Test
  void takesARecordAsLargeAsTheBusAllowsEvenIncompressible() throws Exception {
    // 12 MiB of random bytes: zstd cannot shrink them, so the batch the broker gets is bigger than
    // 8 MiB and smaller than the bus's limit, as a very large xDS IR record can be.
    byte[] value = new byte[12 * 1024 * 1024];
    new java.util.Random(7).nextBytes(value);
    try (EmbeddedKraftBroker broker = EmbeddedKraftBroker.start(dir, Ports.free(), Ports.free())) {
      Map<String, Object> producer = new java.util.HashMap<>(BusSettings.producerOverrides());
      producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
      try (KafkaProducer<String, byte[]> p =
          new KafkaProducer<>(producer, new StringSerializer(), new ByteArraySerializer())) {
        p.send(new ProducerRecord<>(Topics.XDS_IR, "big", value)).get();
      }
      Map<String, Object> consumer = new java.util.HashMap<>(BusSettings.consumerOverrides());
      consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
      consumer.put(ConsumerConfig.GROUP_ID_CONFIG, "big");
      consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      try (KafkaConsumer<String, byte[]> c =
          new KafkaConsumer<>(consumer, new StringDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(Topics.XDS_IR));
        List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (got.isEmpty() && System.nanoTime() < deadline) {
          c.poll(Duration.ofMillis(500)).forEach(got::add);
        }
        assertThat(got).hasSize(1);
        assertThat(got.get(0).value()).isEqualTo(value);
      }
    }
  }
}
