package io.eg4j.provisioner.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.app.ProvisionerApplication;
import io.eg4j.provisioner.core.FleetSink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The provisioner's consumer on a real broker: values apply fleets, tombstones remove them, a
 * record that is not an envelope goes to the dead-letter topic and the next one still applies.
 */
class InfraIrListenerIT {
  static EmbeddedKafkaKraftBroker kafka;
  static ConfigurableApplicationContext ctx;
  static final List<String> calls = new CopyOnWriteArrayList<>();

  @Configuration(proxyBeanMethods = false)
  static class RecordingSink {
    @Bean
    @org.springframework.context.annotation.Primary
    FleetSink recordingSink() {
      return new FleetSink() {
        @Override
        public void apply(InfraIr ir) {
          calls.add("apply " + ir.name() + " " + ir.listeners().size());
        }

        @Override
        public void remove(String fleet) {
          calls.add("remove " + fleet);
        }

        @Override
        public void reconcile(Map<String, InfraIr> fleets) {
          calls.add(
              "reconcile "
                  + new java.util.TreeMap<>(fleets)
                      .values().stream()
                          .map(ir -> ir.name() + " " + ir.listeners().size())
                          .toList());
        }
      };
    }
  }

  @BeforeAll
  static void start() throws Exception {
    kafka = new EmbeddedKafkaKraftBroker(1, 1, Topics.INFRA_IR, Topics.deadLetter(Topics.INFRA_IR));
    kafka.afterPropertiesSet();
    // History from before the start: a fleet that came and went, and one that changed.
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(Topics.INFRA_IR, "default/old", envelope(ir("default/old", 1))))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  Topics.INFRA_IR, "default/live", envelope(ir("default/live", 1))))
          .get();
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, "default/old", (byte[]) null)).get();
      producer
          .send(
              new ProducerRecord<>(
                  Topics.INFRA_IR, "default/live", envelope(ir("default/live", 2))))
          .get();
    }
    ctx =
        new SpringApplicationBuilder(ProvisionerApplication.class, RecordingSink.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
                "--spring.main.banner-mode=off",
                "--spring.grpc.server.enabled=false",
                "--server.port=0");
  }

  @AfterAll
  static void stop() {
    if (ctx != null) {
      ctx.close();
    }
    if (kafka != null) {
      kafka.destroy();
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what + "; calls: " + calls);
  }

  static byte[] envelope(InfraIr ir) {
    Envelope env = Envelope.wrap(InfraIrListener.TYPE, "test", Json.MAPPER.valueToTree(ir));
    return new EnvelopeSerde.EnvelopeSerializer().serialize(Topics.INFRA_IR, env);
  }

  static InfraIr ir(String name, int listeners) {
    List<InfraIr.ProxyListenerIr> l = new java.util.ArrayList<>();
    for (int i = 0; i < listeners; i++) {
      l.add(new InfraIr.ProxyListenerIr("l" + i, "HTTP", 8000 + i, 8000 + i));
    }
    return new InfraIr(
        name,
        "default",
        "default",
        name.substring(name.indexOf('/') + 1),
        l,
        Map.of(),
        Map.of(),
        null);
  }

  @Test
  void appliesRemovesAndDeadLetters() throws Exception {
    // At start the history was read to its end and handed over once, never replayed record by
    // record: the fleet that came and went was never applied.
    await(
        "the start-up reconcile",
        () -> ctx.getBean(InfraIrListener.class).isCaughtUp() && !calls.isEmpty());
    assertThat(calls).containsExactly("reconcile [default/live 2]");
    calls.clear();

    InfraIr ir =
        new InfraIr(
            "default/eg",
            "default",
            "default",
            "eg",
            List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 8888, 8888)),
            Map.of(),
            Map.of(),
            null);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, "default/eg", envelope(ir))).get();
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, "broken", "not json".getBytes())).get();
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, "default/eg", (byte[]) null)).get();
    }
    await("apply and remove", () -> calls.contains("remove default/eg"));
    assertThat(calls).containsExactly("apply default/eg 1", "remove default/eg");

    try (KafkaConsumer<String, byte[]> dlt =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.getBrokersAsString(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "dlt-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      dlt.subscribe(List.of(Topics.deadLetter(Topics.INFRA_IR)));
      List<ConsumerRecord<String, byte[]>> seen = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        dlt.poll(Duration.ofMillis(500)).forEach(seen::add);
      }
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0).key()).isEqualTo("broken");
      assertThat(new String(seen.get(0).value())).isEqualTo("not json");
    }
    var deadLetters =
        ctx.getBean(io.micrometer.core.instrument.MeterRegistry.class)
            .find("eg4j.bus.dead.letters")
            .tag("topic", Topics.INFRA_IR)
            .counter();
    assertThat(deadLetters).isNotNull();
    assertThat(deadLetters.count()).isEqualTo(1);
  }
}
