package io.eg4j.xds.app;

import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.spring.BusProperties;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.core.XdsSnapshots;
import io.eg4j.xds.kafka.NackPublisher;
import io.eg4j.xds.kafka.XdsIrConsumer;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.BindableService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the snapshot component, the ADS gRPC service, the IR consumer, metrics and NACKs. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({XdsServerProperties.class, BusProperties.class})
public class XdsServerConfiguration {
  private static final Logger log = LoggerFactory.getLogger(XdsServerConfiguration.class);

  @Bean(destroyMethod = "")
  Producer<String, byte[]> xdsProducer(KafkaProperties kafka) {
    Map<String, Object> cfg = new HashMap<>(kafka.buildProducerProperties());
    cfg.put("compression.type", "zstd");
    cfg.put("max.request.size", io.eg4j.model.bus.BusSettings.MAX_MESSAGE_BYTES);
    // Dead letters and NACKs are sent from the consumer and gRPC threads: never block them for
    // long when the broker is away.
    cfg.putIfAbsent("max.block.ms", 10_000);
    cfg.putIfAbsent("delivery.timeout.ms", 30_000);
    cfg.putIfAbsent("request.timeout.ms", 10_000);
    return new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer());
  }

  @Bean
  org.springframework.beans.factory.DisposableBean xdsProducerCloser(
      Producer<String, byte[]> xdsProducer) {
    return () -> xdsProducer.close(java.time.Duration.ofSeconds(5));
  }

  @Bean
  NackPublisher nackPublisher(Producer<String, byte[]> xdsProducer) {
    return new NackPublisher(xdsProducer);
  }

  @Bean
  XdsEvents xdsEvents(MeterRegistry registry, NackPublisher nacks) {
    AtomicInteger connected = new AtomicInteger();
    Gauge.builder("eg4j.xds.connected.envoys", connected, AtomicInteger::get)
        .description("Open ADS streams")
        .register(registry);
    return new XdsEvents() {
      @Override
      public void pushed(String irKey, String version) {
        Counter.builder("eg4j.xds.snapshot.pushes")
            .description("Snapshots set (each make-before-break step counts)")
            .tag("ir_key", irKey)
            .register(registry)
            .increment();
        // The Gateway's NACK counters at zero, so "NACKs per Gateway" has a series before the
        // first rejection (registering an existing meter only looks it up).
        for (String typeUrl :
            List.of(
                io.envoyproxy.controlplane.cache.Resources.V3.LISTENER_TYPE_URL,
                io.envoyproxy.controlplane.cache.Resources.V3.ROUTE_TYPE_URL,
                io.envoyproxy.controlplane.cache.Resources.V3.CLUSTER_TYPE_URL,
                io.envoyproxy.controlplane.cache.Resources.V3.ENDPOINT_TYPE_URL,
                io.envoyproxy.controlplane.cache.Resources.V3.SECRET_TYPE_URL)) {
          Counter.builder("eg4j.xds.nacks")
              .description("Envoy NACKs")
              .tag("ir_key", irKey)
              .tag("type_url", typeUrl)
              .register(registry);
        }
      }

      @Override
      public void nack(String irKey, String typeUrl, String version, String error, String node) {
        String key = irKey == null ? "" : irKey;
        log.warn("Envoy {} rejected {} version {} of {}: {}", node, typeUrl, version, key, error);
        Counter.builder("eg4j.xds.nacks")
            .description("Envoy NACKs")
            .tag("ir_key", key)
            .tag("type_url", typeUrl)
            .register(registry)
            .increment();
        nacks.publish(key, typeUrl, version, error, node);
      }

      @Override
      public void recovered(String irKey, String typeUrl, String version, String node) {
        log.info(
            "Envoy {} accepted {} version {} of {} after a rejection",
            node,
            typeUrl,
            version,
            irKey);
        nacks.publishRecovered(irKey, typeUrl, version, node);
      }

      @Override
      public void patchOutcomes(String irKey, io.eg4j.model.status.EnvoyPatchOutcomes outcomes) {
        nacks.publishPatchOutcomes(irKey, outcomes);
      }

      @Override
      public void connected(int streams) {
        connected.set(streams);
      }
    };
  }

  @Bean(destroyMethod = "close")
  XdsSnapshots xdsSnapshots(
      XdsEvents events,
      XdsServerProperties props,
      org.springframework.beans.factory.ObjectProvider<io.eg4j.xds.core.WasmModuleCache> wasm) {
    XdsSnapshots snapshots =
        new XdsSnapshots(events, props.getStepTimeout(), props.isExclusiveListenerPorts());
    wasm.ifAvailable(cache -> snapshots.rewriteIrWith(cache::rewrite));
    return snapshots;
  }

  /** The Wasm module cache, when {@code eg4j.xds.wasm-cache.enabled} is true. */
  @Bean(destroyMethod = "close")
  @org.springframework.boot.autoconfigure.condition.ConditionalOnProperty(
      name = "eg4j.xds.wasm-cache.enabled",
      havingValue = "true")
  io.eg4j.xds.core.WasmModuleCache wasmModuleCache(XdsServerProperties props) throws IOException {
    XdsServerProperties.WasmCache c = props.getWasmCache();
    java.nio.file.Path dir =
        c.getDir() == null || c.getDir().isEmpty()
            ? java.nio.file.Files.createTempDirectory("eg4j-wasm-cache")
            : java.nio.file.Path.of(c.getDir());
    return io.eg4j.xds.core.WasmModuleCache.start(
        dir, c.getBindAddress(), c.getPort(), c.getAdvertisedHost());
  }

  @Bean
  V3DiscoveryServer discoveryServer(XdsSnapshots snapshots) {
    return XdsSnapshots.discoveryServer(snapshots);
  }

  /** ADS, state-of-the-world and delta: the one service eg4j's Envoy bootstrap uses. */
  @Bean
  BindableService aggregatedDiscoveryService(V3DiscoveryServer server) {
    return server.getAggregatedDiscoveryServiceImpl();
  }

  @Bean
  XdsIrConsumer xdsIrConsumer(
      KafkaProperties kafka,
      Producer<String, byte[]> xdsProducer,
      XdsSnapshots snapshots,
      BusProperties bus,
      MeterRegistry registry,
      XdsServerProperties props)
      throws IOException {
    Optional<SecretBox> box =
        bus.getSecretKeyFile() == null
            ? Optional.empty()
            : Optional.of(SecretBox.fromFile(bus.getSecretKeyFile(), bus.isCreateSecretKey()));
    Counter.builder("eg4j.bus.dead.letters").tag("topic", Topics.XDS_IR).register(registry);
    XdsIrConsumer consumer =
        new XdsIrConsumer(
            kafka.buildConsumerProperties(),
            xdsProducer,
            snapshots,
            box,
            topic ->
                Counter.builder("eg4j.bus.dead.letters")
                    .tag("topic", topic)
                    .register(registry)
                    .increment());
    if (props.getRateLimitConfigDir() != null && !props.getRateLimitConfigDir().isEmpty()) {
      // A rate limit service on this host reads its configuration from these files.
      var writer =
          new io.eg4j.xds.core.filters.RateLimitConfigWriter(
              java.nio.file.Path.of(props.getRateLimitConfigDir()));
      consumer.onIr(writer::apply);
    }
    return consumer;
  }

  @Bean
  SmartLifecycle xdsIrConsumerLifecycle(XdsIrConsumer consumer) {
    return new SmartLifecycle() {
      private Thread thread;

      @Override
      public void start() {
        thread = new Thread(consumer, "eg4j-xds-ir-consumer");
        thread.setDaemon(true);
        thread.start();
      }

      @Override
      public void stop() {
        consumer.stop();
        if (thread != null) {
          try {
            thread.join(10_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        thread = null;
      }

      @Override
      public boolean isRunning() {
        return thread != null;
      }
    };
  }

  /** In the readiness group: DOWN until the IR topic has been read up to its start-up end. */
  @Bean
  HealthIndicator xdsCatchUp(XdsIrConsumer consumer) {
    return () ->
        consumer.caughtUp()
            ? Health.up().build()
            : Health.outOfService().withDetail("reason", "reading " + Topics.XDS_IR).build();
  }

  @Bean
  Topics0 xdsTopics(BusProperties bus) {
    return new Topics0(bus);
  }

  @Bean
  NewTopic xdsIrTopic(Topics0 t) {
    return t.compacted(Topics.XDS_IR);
  }

  @Bean
  NewTopic xdsIrDeadLetterTopic(Topics0 t) {
    return t.deadLetter(Topics.deadLetter(Topics.XDS_IR));
  }

  @Bean
  NewTopic xdsNackTopic(Topics0 t) {
    return t.compacted(Topics.XDS_NACKS);
  }

  /** Topic definitions from the bus settings. */
  static final class Topics0 {
    private final BusProperties bus;

    Topics0(BusProperties bus) {
      this.bus = bus;
    }

    NewTopic compacted(String name) {
      Map<String, String> cfg = new HashMap<>(Topics.compactedTopicConfig());
      cfg.put("min.insync.replicas", String.valueOf(bus.getMinInsyncReplicas()));
      return new NewTopic(name, bus.getPartitions(), bus.getReplicationFactor()).configs(cfg);
    }

    NewTopic deadLetter(String name) {
      Map<String, String> cfg = new HashMap<>(Topics.deadLetterTopicConfig());
      cfg.put("min.insync.replicas", String.valueOf(bus.getMinInsyncReplicas()));
      return new NewTopic(name, bus.getPartitions(), bus.getReplicationFactor()).configs(cfg);
    }
  }
}
