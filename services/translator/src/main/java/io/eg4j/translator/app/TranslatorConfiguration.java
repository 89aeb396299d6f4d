package io.eg4j.translator.app;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.model.bus.spring.BusClients;
import io.eg4j.model.bus.spring.BusConfiguration;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.translator.core.Translator;
import io.eg4j.translator.kafka.OutputPublisher;
import io.eg4j.translator.kafka.ResourceStateHandler;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * The translator's beans: one consumer of {@code eg4j.resources} in the translator group (one
 * partition, so one active replica: DESIGN.md invariant 8), the pure core, and the publisher of the
 * output topics.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(TranslatorProperties.class)
@Import(BusConfiguration.class)
public class TranslatorConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(TranslatorConfiguration.class);

  /** The EnvoyGateway configuration: the file when set, Envoy Gateway's defaults otherwise. */
  @Bean
  public EnvoyGatewayConfig translatorEnvoyGatewayConfig(TranslatorProperties props)
      throws IOException {
    if (props.getConfigFile() == null) {
      return EnvoyGatewayConfig.defaults();
    }
    if (!Files.exists(props.getConfigFile())) {
      LOG.warn("{} does not exist; using Envoy Gateway's defaults", props.getConfigFile());
      return EnvoyGatewayConfig.defaults();
    }
    return EnvoyGatewayConfig.load(props.getConfigFile());
  }

  /** The pure core. */
  @Bean
  public Translator translatorCore(EnvoyGatewayConfig translatorEnvoyGatewayConfig) {
    return new Translator(translatorEnvoyGatewayConfig);
  }

  /** The producer of the output topics. */
  @Bean(destroyMethod = "close")
  public Producer<String, Envelope> translatorProducer(BusClients clients) {
    return clients.envelopeProducer("outputs");
  }

  /** The publisher of the output topics. */
  @Bean
  public OutputPublisher translatorOutputPublisher(
      Producer<String, Envelope> translatorProducer, MeterRegistry meters, BusClients clients) {
    return new OutputPublisher(translatorProducer, meters, clients.secretBox());
  }

  /** Where records that are not envelopes go. */
  @Bean(destroyMethod = "close")
  public DeadLetterPublisher translatorDeadLetters(BusClients clients, MeterRegistry meters) {
    // Registered at zero so dashboards and alerts see the series before the first dead letter.
    io.micrometer.core.instrument.Counter.builder("eg4j.bus.dead.letters")
        .description("Records sent to a dead-letter topic")
        .tag("topic", io.eg4j.model.bus.Topics.RESOURCES)
        .register(meters);
    return clients.deadLetterPublisher();
  }

  /** The snapshot keeper and translation trigger. */
  @Bean
  public ResourceStateHandler translatorResourceHandler(
      Translator translatorCore,
      OutputPublisher publisher,
      BusClients clients,
      TranslatorProperties props,
      MeterRegistry meters) {
    return new ResourceStateHandler(
        translatorCore,
        publisher,
        () ->
            publisher.load(
                clients.consumerProps("outputs-read"), clients.bus().getStartupTimeout()),
        clients.secretBox(),
        new ResourceStateHandler.Debounce(props.getDebounce(), props.getMaxDelay()),
        meters);
  }

  /**
   * The consumer of eg4j.resources; started with the context, closed (leaving the group) with it.
   */
  @Bean(initMethod = "start", destroyMethod = "close")
  public BusConsumerLoop translatorResourcesLoop(
      BusClients clients,
      TranslatorProperties props,
      ResourceStateHandler handler,
      CatchUpTracker tracker,
      DeadLetterPublisher translatorDeadLetters) {
    Map<String, Object> consumer = clients.consumerProps("resources");
    consumer.put("session.timeout.ms", (int) props.getSessionTimeout().toMillis());
    consumer.put(
        "heartbeat.interval.ms", (int) Math.max(500, props.getSessionTimeout().toMillis() / 3));
    return clients.instrumented(
        new BusConsumerLoop(
            consumer,
            new BusConsumerLoop.Options(
                "translator-resources",
                List.of(Topics.RESOURCES),
                props.getGroupId(),
                true,
                clients.bus().getPollTimeout()),
            handler,
            tracker,
            translatorDeadLetters));
  }
}
