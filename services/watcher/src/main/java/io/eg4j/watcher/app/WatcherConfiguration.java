package io.eg4j.watcher.app;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.spring.BusClients;
import io.eg4j.model.bus.spring.BusConfiguration;
import io.eg4j.watcher.core.FileSource;
import io.eg4j.watcher.core.ResourceSource;
import io.eg4j.watcher.kafka.ResourcePublisher;
import io.eg4j.watcher.kafka.SealedHash;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.Optional;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The watcher's beans. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(WatcherProperties.class)
@Import(BusConfiguration.class)
public class WatcherConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(WatcherConfiguration.class);

  /** The producer of eg4j.resources. */
  @Bean(destroyMethod = "close")
  public Producer<String, Envelope> watcherProducer(BusClients clients) {
    return clients.envelopeProducer("resources");
  }

  /** The publisher the source delivers to. */
  @Bean
  public ResourcePublisher watcherResourcePublisher(
      Producer<String, Envelope> watcherProducer, BusClients clients, MeterRegistry meters) {
    Optional<SecretBox> box = clients.secretBox();
    byte[] material;
    if (box.isPresent()) {
      try {
        material = Files.readAllBytes(clients.bus().getSecretKeyFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      material = new byte[32];
      new SecureRandom().nextBytes(material);
    }
    return new ResourcePublisher(watcherProducer, box, new SealedHash(material), meters);
  }

  /** The file source ({@code eg4j.watcher.source=file}). */
  @Bean(destroyMethod = "")
  @ConditionalOnProperty(name = "eg4j.watcher.source", havingValue = "file", matchIfMissing = true)
  public ResourceSource watcherFileSource(WatcherProperties props, MeterRegistry meters) {
    return new FileSource(
        props.getDirectory(),
        props.getDebounce(),
        props.getMaxDelay(),
        props.getRescanInterval(),
        e -> {
          // One line naming file and line; the file's earlier objects stay published.
          LOG.error("manifest error: {}", e.getMessage());
          Counter.builder("eg4j.watcher.file.errors")
              .description("Manifest files that changed and failed to parse")
              .register(meters)
              .increment();
        });
  }

  /** Starts reconciliation and the source. */
  @Bean
  public WatcherRunner watcherRunner(
      BusClients clients,
      ResourcePublisher publisher,
      ResourceSource source,
      CatchUpTracker tracker) {
    return new WatcherRunner(clients, publisher, source, tracker);
  }
}
