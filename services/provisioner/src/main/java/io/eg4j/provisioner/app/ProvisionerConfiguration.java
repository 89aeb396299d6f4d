package io.eg4j.provisioner.app;

import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.provisioner.core.FleetSink;
import io.eg4j.provisioner.core.HostProxyPlanner;
import io.eg4j.provisioner.core.RestartBackoff;
import io.eg4j.provisioner.host.EnvoyBinary;
import io.eg4j.provisioner.host.HostEnvoyProvisioner;
import io.eg4j.provisioner.kafka.FleetStatusPublisher;
import io.eg4j.provisioner.kafka.InfraIrListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;

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

  /** Where records that are not infra IR go ({@code eg4j.infra-ir.dlt}, reason in the headers). */
  @Bean(destroyMethod = "close")
  DeadLetterPublisher provisionerDeadLetters(KafkaProperties kafka, MeterRegistry registry) {
    // Registered at zero so dashboards and alerts see the series before the first dead letter.
    Counter.builder("eg4j.bus.dead.letters").tag("topic", Topics.INFRA_IR).register(registry);
    Map<String, Object> producer = new HashMap<>(kafka.buildProducerProperties());
    producer.putAll(BusSettings.producerOverrides());
    producer.put(ProducerConfig.CLIENT_ID_CONFIG, "eg4j-provisioner-dlt");
    return new DeadLetterPublisher(
        producer,
        "provisioner",
        topic -> {
          log.error("dead-lettered a record of {}", topic);
          Counter.builder("eg4j.bus.dead.letters")
              .tag("topic", topic)
              .register(registry)
              .increment();
        });
  }

  /**
   * The consumer of {@code eg4j.infra-ir}. No consumer group: every replica reads every partition
   * (the Lease, not a group, picks the replica that writes), from the beginning at start, and hands
   * the latest state of every fleet to the sink once it has caught up ({@link InfraIrListener}).
   */
  @Bean(initMethod = "start", destroyMethod = "close")
  BusConsumerLoop infraIrLoop(
      KafkaProperties kafka,
      InfraIrListener infraIrListener,
      DeadLetterPublisher provisionerDeadLetters) {
    Map<String, Object> consumer = new HashMap<>(kafka.buildConsumerProperties());
    consumer.putAll(BusSettings.consumerOverrides());
    consumer.put(
        ConsumerConfig.CLIENT_ID_CONFIG,
        "eg4j-provisioner-infra-ir-" + System.getenv().getOrDefault("POD_NAME", "local"));
    return new BusConsumerLoop(
        consumer,
        new BusConsumerLoop.Options(
            "provisioner-infra-ir", List.of(Topics.INFRA_IR), null, true, null),
        infraIrListener,
        new CatchUpTracker(),
        provisionerDeadLetters);
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
    NewTopic fleetStatus =
        TopicBuilder.name(FleetStatusPublisher.TOPIC)
            .partitions(bus.getPartitions())
            .replicas(bus.getReplicationFactor())
            .configs(compacted)
            .build();
    return new KafkaAdmin.NewTopics(infra, infraDlt, fleetStatus);
  }
}
