package io.eg4j.testing;

import org.testcontainers.kafka.KafkaContainer;

/**
 * The Testcontainers path of {@link KafkaTestBroker}: an Apache Kafka container (KRaft) of the
 * release the build uses. Needs a Docker engine; selected with {@code -Deg4j.test.kafka=
 * testcontainers}. A module that uses it must have {@code org.testcontainers:testcontainers-kafka}
 * on its test class path.
 */
final class TestcontainersKafka {
  /** The image; its Kafka release matches the kafka-clients release of the build. */
  static final String IMAGE = "apache/kafka:4.2.1";

  private TestcontainersKafka() {}

  static KafkaTestBroker.Broker start() {
    KafkaContainer container =
        new KafkaContainer(IMAGE)
            .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .withEnv("KAFKA_MESSAGE_MAX_BYTES", String.valueOf(16 * 1024 * 1024 + 1024));
    container.start();
    return new KafkaTestBroker.Broker() {
      @Override
      public String bootstrapServers() {
        return container.getBootstrapServers();
      }

      @Override
      public void stop() {
        container.stop();
      }
    };
  }
}
