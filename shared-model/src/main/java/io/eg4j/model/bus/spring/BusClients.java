package io.eg4j.model.bus.spring;

import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.model.bus.kafka.TopicCreator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

/**
 * Builds the Kafka clients of one service from Spring Boot's {@code spring.kafka.*} settings
 * (bootstrap servers, TLS, SASL) plus the eg4j bus overrides ({@link BusSettings}), so every
 * service talks to the bus the same way.
 */
public final class BusClients {
  private final KafkaProperties kafka;
  private final BusProperties bus;
  private final String service;
  private final MeterRegistry meters;

  /**
   * Clients for one service.
   *
   * @param kafka Boot's Kafka properties
   * @param bus the eg4j bus properties
   * @param service the service name, used in client ids
   * @param meters where {@code eg4j.bus.dead.letters} is counted
   */
  public BusClients(
      KafkaProperties kafka, BusProperties bus, String service, MeterRegistry meters) {
    this.kafka = kafka;
    this.bus = bus;
    this.service = service;
    this.meters = meters;
  }

  /** The service name. */
  public String service() {
    return service;
  }

  /** The bus properties. */
  public BusProperties bus() {
    return bus;
  }

  /** Consumer properties with the bus overrides and a client id {@code eg4j-<service>-<name>}. */
  public Map<String, Object> consumerProps(String name) {
    Map<String, Object> p = new HashMap<>(kafka.buildConsumerProperties());
    p.putAll(BusSettings.consumerOverrides());
    p.put("client.id", "eg4j-" + service + "-" + name);
    return p;
  }

  /** Producer properties with the bus overrides (zstd, 16 MiB records, idempotence). */
  public Map<String, Object> producerProps(String name) {
    Map<String, Object> p = new HashMap<>(kafka.buildProducerProperties());
    p.putAll(BusSettings.producerOverrides());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "eg4j-" + service + "-" + name);
    return p;
  }

  /** A producer of envelopes keyed by string. */
  public Producer<String, Envelope> envelopeProducer(String name) {
    Map<String, Object> p = producerProps(name);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, EnvelopeSerde.EnvelopeSerializer.class);
    return new KafkaProducer<>(p);
  }

  /** An admin client. */
  public Admin admin() {
    Map<String, Object> p = new HashMap<>(kafka.buildAdminProperties());
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "eg4j-" + service + "-admin");
    return Admin.create(p);
  }

  /** A dead-letter publisher counting {@code eg4j.bus.dead.letters} (tag {@code topic}). */
  public DeadLetterPublisher deadLetterPublisher() {
    return new DeadLetterPublisher(
        producerProps("dlt"),
        service,
        topic ->
            Counter.builder("eg4j.bus.dead.letters")
                .description("Records sent to a dead-letter topic")
                .tag("topic", topic)
                .register(meters)
                .increment());
  }

  /**
   * Binds Micrometer's Kafka client metrics (among them {@code
   * kafka_consumer_fetch_manager_records_lag_max}, the consumer lag the dashboards show) to a
   * consumer loop of this service.
   *
   * @return the loop
   */
  public io.eg4j.model.bus.kafka.BusConsumerLoop instrumented(
      io.eg4j.model.bus.kafka.BusConsumerLoop loop) {
    return loop.instrumentWith(
        consumer -> {
          io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics binder =
              new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer);
          binder.bindTo(meters);
          return binder::close;
        });
  }

  /** Creates the eg4j topics when {@code eg4j.bus.create-topics} is on. */
  public void ensureTopics() {
    if (!bus.isCreateTopics()) {
      return;
    }
    try (Admin admin = admin()) {
      TopicCreator.ensureTopics(
          admin,
          bus.getPartitions(),
          bus.getReplicationFactor(),
          bus.getMinInsyncReplicas(),
          bus.getStartupTimeout());
    }
  }

  /**
   * The box that seals Secret data, when {@code eg4j.bus.secret-key-file} is set.
   *
   * @return the box, or empty when no key file is configured
   * @throws UncheckedIOException when the file is configured but cannot be read (or created)
   */
  public Optional<SecretBox> secretBox() {
    if (bus.getSecretKeyFile() == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(SecretBox.fromFile(bus.getSecretKeyFile(), bus.isCreateSecretKey()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
