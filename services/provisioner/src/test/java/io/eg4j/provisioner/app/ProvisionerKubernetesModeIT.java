package io.eg4j.provisioner.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.eg4j.provisioner.kafka.InfraIrListener;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The provisioner in Kubernetes mode: an infra IR on {@code eg4j.infra-ir} (a real broker) becomes
 * an Envoy Deployment, Service and bootstrap ConfigMap on fabric8's mock API server, and its
 * tombstone removes them.
 */
@EnableKubernetesMockClient(crud = true)
class ProvisionerKubernetesModeIT {
  static final String NS = "eg-system";
  static final String[] CLIENT_PROPERTIES = {
    "kubernetes.master",
    "kubernetes.trust.certificates",
    "kubernetes.auth.tryKubeConfig",
    "kubernetes.auth.tryServiceAccount",
    "kubernetes.namespace"
  };

  static KubernetesMockServer server;
  static KubernetesClient client;
  static EmbeddedKafkaKraftBroker kafka;
  static ConfigurableApplicationContext ctx;

  @BeforeAll
  static void start() {
    kafka = new EmbeddedKafkaKraftBroker(1, 1, Topics.INFRA_IR, Topics.deadLetter(Topics.INFRA_IR));
    kafka.afterPropertiesSet();
    System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
    System.setProperty("kubernetes.trust.certificates", "true");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", NS);
    ctx =
        new SpringApplicationBuilder(ProvisionerApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
                "--spring.main.banner-mode=off",
                "--spring.grpc.server.enabled=false",
                "--server.port=0",
                "--eg4j.provisioner.mode=kubernetes",
                "--eg4j.provisioner.xds-address=eg4j-xds-server." + NS + ".svc",
                "--eg4j.provisioner.kubernetes.identity=it-replica");
  }

  @AfterAll
  static void stop() {
    if (ctx != null) {
      ctx.close();
    }
    if (kafka != null) {
      kafka.destroy();
    }
    for (String p : CLIENT_PROPERTIES) {
      System.clearProperty(p);
    }
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  static byte[] envelope(InfraIr ir) {
    Envelope env = Envelope.wrap(InfraIrListener.TYPE, "test", Json.MAPPER.valueToTree(ir));
    return new EnvelopeSerde.EnvelopeSerializer().serialize(Topics.INFRA_IR, env);
  }

  @Test
  void anInfraIrBecomesAFleetAndItsTombstoneRemovesIt() throws Exception {
    InfraIr ir =
        new InfraIr(
            "default/eg",
            NS,
            "default",
            "eg",
            List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80)),
            Map.of(),
            Map.of(),
            null);
    String name = new ProxyResourceRenderer(RenderSettings.of(NS, "x", 18000)).resourceName(ir);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.getBrokersAsString()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, ir.name(), envelope(ir))).get();
      await(
          "the fleet's Deployment",
          () -> client.apps().deployments().inNamespace(NS).withName(name).get() != null);
      assertThat(client.services().inNamespace(NS).withName(name).get()).isNotNull();
      ConfigMap cm = client.configMaps().inNamespace(NS).withName(name).get();
      assertThat(cm.getData().get(ProxyResourceRenderer.BOOTSTRAP_KEY))
          .contains("eg4j-xds-server." + NS + ".svc", "cluster: default/eg");

      producer.send(new ProducerRecord<>(Topics.INFRA_IR, ir.name(), null)).get();
      await(
          "the fleet to be removed",
          () ->
              client.apps().deployments().inNamespace(NS).withName(name).get() == null
                  && client.services().inNamespace(NS).withName(name).get() == null
                  && client.configMaps().inNamespace(NS).withName(name).get() == null);
    }
  }
}
