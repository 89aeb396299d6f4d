package io.eg4j.testing;

import java.util.Locale;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real Kafka broker for integration tests, one per test class, behind one switch:
 *
 * <ul>
 *   <li>default: spring-kafka-test's in-process KRaft broker ({@link EmbeddedKafkaKraftBroker}),
 *       which runs everywhere, CI included;
 *   <li>{@code -Deg4j.test.kafka=testcontainers} (or env {@code EG4J_TEST_KAFKA=testcontainers}):
 *       an {@code apache/kafka} container through Testcontainers, which needs a Docker engine.
 * </ul>
 *
 * <p>Use it as a static extension and read {@link #bootstrapServers()} (which starts the broker on
 * first use, so it is safe to call from a {@code @DynamicPropertySource}):
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
 * }</pre>
 */
public final class KafkaTestBroker implements BeforeAllCallback, AfterAllCallback {
  /** The system property that picks the broker kind. */
  public static final String SWITCH = "eg4j.test.kafka";

  private Broker broker;

  /** A running broker's address and its stop hook. */
  interface Broker {
    String bootstrapServers();

    void stop();
  }

  /** Which broker kind the switch selects: {@code embedded} (default) or {@code testcontainers}. */
  public static String kind() {
    String v = System.getProperty(SWITCH);
    if (v == null || v.isBlank()) {
      v = System.getenv("EG4J_TEST_KAFKA");
    }
    return v == null || v.isBlank() ? "embedded" : v.trim().toLowerCase(Locale.ROOT);
  }

  /** The broker's bootstrap servers, starting it if needed. */
  public synchronized String bootstrapServers() {
    if (broker == null) {
      broker = start();
    }
    return broker.bootstrapServers();
  }

  private static Broker start() {
    String kind = kind();
    return switch (kind) {
      case "embedded" -> embedded();
      // Loaded only on this path, so the default never touches Testcontainers or Docker.
      case "testcontainers" -> TestcontainersKafka.start();
      default ->
          throw new IllegalArgumentException(
              SWITCH + " must be embedded or testcontainers, not " + kind);
    };
  }

  private static Broker embedded() {
    EmbeddedKafkaKraftBroker kraft = new EmbeddedKafkaKraftBroker(1, 1);
    // Tests join consumer groups; the default 3 s delay before the first rebalance would only
    // slow them down.
    kraft.brokerProperty("group.initial.rebalance.delay.ms", "0");
    kraft.brokerProperty("auto.create.topics.enable", "false");
    kraft.brokerProperty("message.max.bytes", String.valueOf(16 * 1024 * 1024 + 1024));
    kraft.afterPropertiesSet();
    String servers = kraft.getBrokersAsString();
    return new Broker() {
      @Override
      public String bootstrapServers() {
        return servers;
      }

      @Override
      public void stop() {
        kraft.destroy();
      }
    };
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    bootstrapServers();
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    if (broker != null) {
      broker.stop();
      broker = null;
    }
  }
}
