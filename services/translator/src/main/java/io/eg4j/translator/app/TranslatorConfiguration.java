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
import io.eg4j.translator.kafka.XdsNackHandler;
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
import org.springframework.core.env.Environment;

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

  /**
   * The EnvoyGateway configuration: the file when set, Envoy Gateway's defaults otherwise, with the
   * control plane's namespace from this service's own configuration ({@link #controllerNamespace}).
   */
  @Bean
  public EnvoyGatewayConfig translatorEnvoyGatewayConfig(
      TranslatorProperties props, Environment env) throws IOException {
    EnvoyGatewayConfig file;
    if (props.getConfigFile() == null) {
      file = EnvoyGatewayConfig.defaults();
    } else if (!Files.exists(props.getConfigFile())) {
      LOG.warn("{} does not exist; using Envoy Gateway's defaults", props.getConfigFile());
      file = EnvoyGatewayConfig.defaults();
    } else {
      file = EnvoyGatewayConfig.load(props.getConfigFile());
    }
    String ns =
        controllerNamespace(
            env.getProperty(CONTROLLER_NAMESPACE),
            env.getProperty("POD_NAMESPACE"),
            testOverride(file));
    LOG.info("controller namespace: {}", ns);
    return withControllerNamespace(file, ns);
  }

  /** The property that names the control plane's namespace, for every service. */
  public static final String CONTROLLER_NAMESPACE = "eg4j.controller-namespace";

  /**
   * The control plane's namespace, as Envoy Gateway takes it from its own environment: {@value
   * #CONTROLLER_NAMESPACE}, else {@code POD_NAMESPACE} (the chart sets it from the downward API),
   * else the config file's {@code x-eg4j-test.controllerNamespace} (an override meant for the CLI's
   * corpus runs; no deployment relies on it), else {@code envoy-gateway-system}.
   */
  static String controllerNamespace(String... candidates) {
    for (String c : candidates) {
      if (c != null && !c.isBlank()) {
        return c.trim();
      }
    }
    return EnvoyGatewayConfig.DEFAULT_NAMESPACE;
  }

  /** The file's explicit {@code x-eg4j-test.controllerNamespace}, or null. */
  private static String testOverride(EnvoyGatewayConfig file) {
    var n = file.raw().path("x-eg4j-test").path("controllerNamespace");
    return n.isTextual() ? n.asText() : null;
  }

  static EnvoyGatewayConfig withControllerNamespace(EnvoyGatewayConfig c, String ns) {
    return new EnvoyGatewayConfig(
        c.controllerName(),
        c.raw(),
        c.provider(),
        c.rateLimit(),
        c.extensionApis(),
        c.runtimeFlags(),
        c.envoyProxy(),
        ns,
        c.wasmCache());
  }

  /** The pure core. */
  @Bean
  public Translator translatorCore(
      EnvoyGatewayConfig translatorEnvoyGatewayConfig, TranslatorProperties props)
      throws IOException {
    return new Translator(
        translatorEnvoyGatewayConfig, java.time.Clock.systemUTC(), proxyClientTls(props));
  }

  /** The proxies' certificate for the control plane's services from the configured files. */
  static io.eg4j.translator.core.ProxyClientTls proxyClientTls(TranslatorProperties props)
      throws IOException {
    String crt = null;
    String key = null;
    if (props.getProxyClientCertFile() != null && props.getProxyClientKeyFile() != null) {
      crt = Files.readString(props.getProxyClientCertFile());
      key = Files.readString(props.getProxyClientKeyFile());
      LOG.info(
          "proxies present {} to the control plane's services when the controller namespace has"
              + " no envoy Secret",
          props.getProxyClientCertFile());
    }
    return new io.eg4j.translator.core.ProxyClientTls(crt, key, props.getProxyCaFile());
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
    ResourceStateHandler handler =
        new ResourceStateHandler(
            translatorCore,
            publisher,
            () ->
                publisher.load(
                    clients.consumerProps("outputs-read"), clients.bus().getStartupTimeout()),
            clients.secretBox(),
            new ResourceStateHandler.Debounce(props.getDebounce(), props.getMaxDelay()),
            meters);
    handler.patchOutcomesLoader(
        () ->
            io.eg4j.model.bus.kafka.CompactedTopicReader.read(
                    clients.consumerProps("xds-nacks-read"),
                    Topics.XDS_NACKS,
                    clients.bus().getStartupTimeout())
                .values()
                .stream()
                .map(XdsNackHandler::patchOutcomes)
                .filter(java.util.Objects::nonNull)
                .toList());
    handler.withholdingSettings(
        new io.eg4j.translator.core.nack.Withholding.Settings(
            props.getNackRetryFirst(),
            props.getNackRetryMax(),
            io.eg4j.translator.core.nack.Withholding.Settings.defaults().maxEntries()));
    return handler;
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

  /**
   * The reader of eg4j.xds-nacks: Envoy's rejections, from the end of the topic, on every replica
   * (no group); the resource handler acts on them while its replica is the active one.
   */
  @Bean(initMethod = "start", destroyMethod = "close")
  public BusConsumerLoop translatorNacksLoop(
      BusClients clients, ResourceStateHandler handler, DeadLetterPublisher translatorDeadLetters) {
    Map<String, Object> consumer = clients.consumerProps("xds-nacks");
    consumer.put("auto.offset.reset", "latest");
    return new BusConsumerLoop(
        consumer,
        new BusConsumerLoop.Options(
            "translator-xds-nacks",
            List.of(Topics.XDS_NACKS),
            null,
            false,
            clients.bus().getPollTimeout()),
        new XdsNackHandler(handler::offerNack, handler::offerPatchOutcomes),
        new CatchUpTracker(),
        translatorDeadLetters);
  }
}
