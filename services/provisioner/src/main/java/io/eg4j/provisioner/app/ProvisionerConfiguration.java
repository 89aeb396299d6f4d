package io.eg4j.provisioner.app;

import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Topics;
import io.eg4j.provisioner.core.FleetSink;
import io.eg4j.provisioner.core.HostProxyPlanner;
import io.eg4j.provisioner.core.RestartBackoff;
import io.eg4j.provisioner.host.EnvoyBinary;
import io.eg4j.provisioner.host.HostEnvoyProvisioner;
import io.eg4j.provisioner.kafka.InfraIrListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.serializer.DelegatingByTypeSerializer;
import org.springframework.kafka.support.serializer.ErrorHandlingDeserializer;
import org.springframework.util.backoff.FixedBackOff;

/**
 * Wiring of the provisioner. The {@code eg4j.provisioner.mode} property picks the {@link
 * FleetSink}: host mode runs local Envoy processes; Kubernetes mode applies rendered objects.
 */
@Configuration(proxyBeanMethods = false)
public class ProvisionerConfiguration {
  private static final Logger log = LoggerFactory.getLogger(ProvisionerConfiguration.class);

  /** Host mode: one local Envoy per fleet. */
  @Bean
  @ConditionalOnProperty(prefix = "eg4j.provisioner", name = "mode", havingValue = "host")
  HostEnvoyProvisioner hostEnvoyProvisioner(ProvisionerProperties props, MeterRegistry registry) {
    ProvisionerProperties.XdsTls t = props.getXdsTls();
    EnvoyBootstrapSpec.XdsTls tls =
        t.configured()
            ? new EnvoyBootstrapSpec.XdsTls(
                t.getCertFile(), t.getKeyFile(), t.getCaFile(), t.getServerName())
            : null;
    HostProxyPlanner planner =
        new HostProxyPlanner(
            new HostProxyPlanner.Settings(
                props.getXdsAddress(),
                props.getXdsPort(),
                tls,
                "host-" + ProcessHandle.current().pid()));
    String binary = props.getEnvoyBinary();
    // Host mode has one provisioner, always the active one; its results start at zero so the
    // dashboards and the apply-failure alert have their series before the first apply.
    Gauge.builder("eg4j.leader", () -> 1)
        .description("1 while this replica is the active one")
        .tag("service", "provisioner")
        .register(registry);
    for (String result : List.of("created", "updated", "unchanged", "deleted", "failed")) {
      Counter.builder("eg4j.provisioner.applies")
          .description("Fleet changes applied by the provisioner")
          .tag("kind", "envoy-process")
          .tag("result", result)
          .register(registry);
    }
    return new HostEnvoyProvisioner(
        planner,
        props.getWorkDir(),
        () -> EnvoyBinary.resolve(binary, System.getenv("PATH")),
        RestartBackoff.DEFAULT,
        registry);
  }

  // Kubernetes mode's FleetSink is in ProvisionerKubernetesConfiguration.

  @Bean
  InfraIrListener infraIrListener(FleetSink sink) {
    return new InfraIrListener(sink);
  }

  /**
   * The container factory for {@code eg4j.infra-ir}: envelopes in, and any record that cannot be
   * read or applied goes straight to {@code eg4j.infra-ir.dlt} with the reason in its headers.
   */
  @Bean
  ConcurrentKafkaListenerContainerFactory<String, Envelope> infraIrContainerFactory(
      KafkaProperties kafka, MeterRegistry registry) {
    Counter.builder("eg4j.bus.dead.letters").tag("topic", Topics.INFRA_IR).register(registry);
    Map<String, Object> consumer = new HashMap<>(kafka.buildConsumerProperties());
    consumer.putAll(BusSettings.consumerOverrides());
    consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    DefaultKafkaConsumerFactory<String, Envelope> cf =
        new DefaultKafkaConsumerFactory<>(
            consumer,
            new StringDeserializer(),
            new ErrorHandlingDeserializer<>(new EnvelopeSerde.EnvelopeDeserializer()));

    Map<String, Object> producer = new HashMap<>(kafka.buildProducerProperties());
    producer.putAll(BusSettings.producerOverrides());
    Map<Class<?>, Serializer<?>> byType = new LinkedHashMap<>();
    byType.put(byte[].class, new ByteArraySerializer());
    byType.put(String.class, new StringSerializer());
    byType.put(Envelope.class, new EnvelopeSerde.EnvelopeSerializer());
    KafkaTemplate<Object, Object> dlt =
        new KafkaTemplate<>(
            new DefaultKafkaProducerFactory<>(
                producer,
                new DelegatingByTypeSerializer(byType),
                new DelegatingByTypeSerializer(byType)));
    DeadLetterPublishingRecoverer recoverer =
        new DeadLetterPublishingRecoverer(
            dlt, (rec, ex) -> new TopicPartition(Topics.deadLetter(rec.topic()), -1));
    DefaultErrorHandler errors =
        new DefaultErrorHandler(
            (rec, ex) -> {
              Throwable cause = ex;
              while (cause.getCause() != null) {
                cause = cause.getCause(); // the container wraps the real reason
              }
              log.error(
                  "dead-lettering {} offset {} key {}: {}",
                  rec.topic(),
                  rec.offset(),
                  rec.key(),
                  cause.getMessage());
              Counter.builder("eg4j.bus.dead.letters")
                  .tag("topic", rec.topic())
                  .register(registry)
                  .increment();
              recoverer.accept(rec, ex);
            },
            new FixedBackOff(0L, 0L));

    ConcurrentKafkaListenerContainerFactory<String, Envelope> f =
        new ConcurrentKafkaListenerContainerFactory<>();
    f.setConsumerFactory(cf);
    f.setCommonErrorHandler(errors);
    return f;
  }

  /** Creates the topics the provisioner uses when they are missing ({@code eg4j.bus.*}). */
  @Bean
  @ConditionalOnProperty(
      prefix = "eg4j.bus",
      name = "create-topics",
      havingValue = "true",
      matchIfMissing = true)
  KafkaAdmin.NewTopics provisionerTopics(BusProperties bus) {
    Map<String, String> compacted = new HashMap<>(Topics.compactedTopicConfig());
    compacted.put("min.insync.replicas", String.valueOf(bus.getMinInsyncReplicas()));
    Map<String, String> dead = new HashMap<>(Topics.deadLetterTopicConfig());
    dead.put("min.insync.replicas", String.valueOf(bus.getMinInsyncReplicas()));
    NewTopic infra =
        TopicBuilder.name(Topics.INFRA_IR)
            .partitions(bus.getPartitions())
            .replicas(bus.getReplicationFactor())
            .configs(compacted)
            .build();
    NewTopic infraDlt =
        TopicBuilder.name(Topics.deadLetter(Topics.INFRA_IR))
            .partitions(bus.getPartitions())
            .replicas(bus.getReplicationFactor())
            .configs(dead)
            .build();
    return new KafkaAdmin.NewTopics(infra, infraDlt);
  }
}
