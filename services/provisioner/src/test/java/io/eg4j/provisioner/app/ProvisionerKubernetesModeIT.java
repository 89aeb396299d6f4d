package io.eg4j.provisioner.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.eg4j.provisioner.k8s.KubernetesProvisioning;
import io.eg4j.provisioner.kafka.FleetStatusPublisher;
import io.eg4j.provisioner.kafka.InfraIrListener;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The provisioner service in Kubernetes mode against a real kube-apiserver and a real broker: an
 * infra IR on {@code eg4j.infra-ir} becomes an Envoy fleet in the namespace the service is
 * configured with ({@code eg4j.controller-namespace}, whatever the IR says), its tombstone removes
 * it, and a restart reconciles the latest state instead of replaying the history.
 */
@RealKubernetes
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProvisionerKubernetesModeIT {
  static final String NS = "prov-mode-it";
  static final String[] CLIENT_PROPERTIES = {
    "kubeconfig",
    "kubernetes.auth.tryKubeConfig",
    "kubernetes.auth.tryServiceAccount",
    "kubernetes.namespace"
  };

  static KubeApiServer kube;
  static KubernetesClient client;
  static EmbeddedKafkaKraftBroker kafka;
  static ConfigurableApplicationContext ctx;

  @BeforeAll
  static void start(KubeApiServer server) throws Exception {
    kube = server;
    kube.ensureNamespace(NS);
    client = kube.client();
    kafka = new EmbeddedKafkaKraftBroker(1, 1, Topics.INFRA_IR, Topics.deadLetter(Topics.INFRA_IR));
    kafka.afterPropertiesSet();
    System.setProperty("kubeconfig", kube.kubeconfigFile().toString());
    System.setProperty("kubernetes.auth.tryKubeConfig", "true");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    // The client's own namespace is not the control plane's: the property must win.
    System.setProperty("kubernetes.namespace", "default");
    ctx = startProvisioner();
  }

  static ConfigurableApplicationContext startProvisioner() throws InterruptedException {
    ConfigurableApplicationContext c =
        new SpringApplicationBuilder(ProvisionerApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
                "--spring.main.banner-mode=off",
                "--spring.grpc.server.enabled=false",
                "--server.port=0",
                "--eg4j.provisioner.mode=kubernetes",
                "--eg4j.controller-namespace=" + NS,
                "--eg4j.provisioner.xds-address=eg4j-xds-server." + NS + ".svc",
                "--eg4j.provisioner.kubernetes.identity=it-replica");
    await(
        "the provisioner to lead and read eg4j.infra-ir",
        () ->
            c.getBean(KubernetesProvisioning.class).isLeader()
                && c.getBean(InfraIrListener.class).isCaughtUp());
    return c;
  }

  @AfterAll
  static void stop() {
    if (ctx != null) {
      ctx.close();
    }
    if (kafka != null) {
      kafka.destroy();
    }
    if (client != null) {
      client.close();
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

  /** An IR as the translator wrote it before the fix: naming envoy-gateway-system. */
  static InfraIr ir(String gw) {
    return new InfraIr(
        "tenant/" + gw,
        "envoy-gateway-system",
        "tenant",
        gw,
        List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80)),
        Map.of(),
        Map.of(),
        null);
  }

  static String resourceName(InfraIr ir) {
    return new ProxyResourceRenderer(RenderSettings.of(NS, "x", 18000)).resourceName(ir);
  }

  static KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(
        Map.of("bootstrap.servers", kafka.getBrokersAsString()),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  static List<String> audit() {
    try {
      return kube.auditLines();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> since(int mark) {
    List<String> all = audit();
    return all.subList(Math.min(mark, all.size()), all.size());
  }

  /** Audited creates and deletes of fleet objects in {@link #NS} among {@code lines}. */
  static List<String> createsAndDeletes(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      var e = Json.MAPPER.valueToTree(parse(line));
      var ref = e.path("objectRef");
      if (!NS.equals(ref.path("namespace").asText())
          || ref.path("name").asText().startsWith("eg4j-")
          || !ref.path("subresource").asText("").isEmpty()
          || !"ResponseComplete".equals(e.path("stage").asText())
          || e.path("requestURI").asText().contains("dryRun")
          // Only the objects a fleet is made of: Pods and ReplicaSets are the controllers' own
          // (the garbage collector may still be deleting the Pods of fleets removed before the
          // restart), Leases are leader election.
          || !io.eg4j.provisioner.k8s.FleetAudit.FLEET_RESOURCES.contains(
              ref.path("resource").asText())) {
        continue;
      }
      String verb = e.path("verb").asText();
      int code = e.path("responseStatus").path("code").asInt();
      if (verb.equals("create") || verb.equals("delete") || (verb.equals("patch") && code == 201)) {
        out.add(verb + " " + ref.path("resource").asText() + "/" + ref.path("name").asText());
      }
    }
    return out;
  }

  private static Object parse(String line) {
    try {
      return Json.MAPPER.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  @Order(1)
  void anInfraIrBecomesAFleetInTheConfiguredNamespaceAndItsTombstoneRemovesIt() throws Exception {
    InfraIr ir = ir("eg");
    String name = resourceName(ir);
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, ir.name(), envelope(ir))).get();
      await(
          "the fleet's Deployment",
          () -> client.apps().deployments().inNamespace(NS).withName(name).get() != null);
      assertThat(client.services().inNamespace(NS).withName(name).get()).isNotNull();
      ConfigMap cm = client.configMaps().inNamespace(NS).withName(name).get();
      assertThat(cm.getData().get(ProxyResourceRenderer.BOOTSTRAP_KEY))
          .contains("eg4j-xds-server." + NS + ".svc", "cluster: tenant/eg");
      // Nothing went where the IR said.
      assertThat(client.namespaces().withName("envoy-gateway-system").get()).isNull();

      producer.send(new ProducerRecord<>(Topics.INFRA_IR, ir.name(), null)).get();
      await(
          "the fleet to be removed",
          () ->
              client.apps().deployments().inNamespace(NS).withName(name).get() == null
                  && client.services().inNamespace(NS).withName(name).get() == null
                  && client.configMaps().inNamespace(NS).withName(name).get() == null);
    }
  }

  /**
   * The acceptance measurement: 20 Gateways created and deleted, then a restart. The restarted
   * provisioner reads the compacted history to its end and reconciles the result (one live fleet,
   * no orphans): the API server's audit log shows no create and no delete of a fleet object.
   */
  @Test
  @Order(2)
  void aRestartAfterTwentyGatewaysCameAndWentCreatesAndDeletesNothing() throws Exception {
    InfraIr keeper = ir("keeper");
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, keeper.name(), envelope(keeper))).get();
      for (int i = 0; i < 20; i++) {
        InfraIr ir = ir("gw-" + i);
        producer.send(new ProducerRecord<>(Topics.INFRA_IR, ir.name(), envelope(ir))).get();
      }
      await(
          "20 fleets and the keeper",
          () -> client.apps().deployments().inNamespace(NS).list().getItems().size() == 21);
      for (int i = 0; i < 20; i++) {
        producer.send(new ProducerRecord<>(Topics.INFRA_IR, ir("gw-" + i).name(), null)).get();
      }
      await(
          "the 20 fleets to be deleted",
          () -> client.apps().deployments().inNamespace(NS).list().getItems().size() == 1);
    }
    assertThat(createsAndDeletes(audit()))
        .as("the history did create and delete")
        .hasSizeGreaterThan(80);

    ctx.close();
    int mark = audit().size();
    ctx = startProvisioner();
    // The restarted leader has reconciled once its keeper fleet was applied again (a patch).
    String keeperDeployment = resourceName(keeper);
    await(
        "the keeper to be reconciled",
        () ->
            since(mark).stream()
                .anyMatch(
                    l ->
                        l.contains("\"verb\":\"patch\"")
                            && l.contains("\"name\":\"" + keeperDeployment + "\"")
                            && l.contains("\"resource\":\"deployments\"")
                            && !l.contains("dryRun")));
    Thread.sleep(1_000); // anything the restart would still do comes right after
    List<String> afterRestart = createsAndDeletes(since(mark));
    System.out.println("creates and deletes after the restart: " + afterRestart.size());
    assertThat(afterRestart).isEmpty();
    assertThat(client.apps().deployments().inNamespace(NS).withName(keeperDeployment).get())
        .isNotNull();
  }

  /**
   * A fleet that cannot be applied (its Gateway has no valid listener) is reported on
   * eg4j.fleet-status with the cause, for the Gateway's status; once it applies, the report is
   * withdrawn (a tombstone).
   */
  @Test
  @Order(3)
  void whyAFleetFailsIsPublishedForTheGatewaysStatus() throws Exception {
    InfraIr broken =
        new InfraIr(
            "tenant/broken",
            "envoy-gateway-system",
            "tenant",
            "broken",
            List.of(),
            Map.of(),
            Map.of(),
            null);
    try (KafkaProducer<String, byte[]> producer = producer();
        KafkaConsumer<String, byte[]> status =
            new KafkaConsumer<>(
                Map.of("bootstrap.servers", kafka.getBrokersAsString()),
                new StringDeserializer(),
                new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(FleetStatusPublisher.TOPIC, 0);
      status.assign(List.of(tp));
      status.seekToBeginning(List.of(tp));
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, broken.name(), envelope(broken))).get();
      List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (seen.stream().noneMatch(r -> broken.name().equals(r.key()) && r.value() != null)
          && System.nanoTime() < deadline) {
        status.poll(Duration.ofMillis(200)).forEach(seen::add);
      }
      ConsumerRecord<String, byte[]> failure =
          seen.stream()
              .filter(r -> broken.name().equals(r.key()) && r.value() != null)
              .findFirst()
              .orElseThrow(() -> new AssertionError("no fleet status for " + broken.name()));
      Envelope env =
          new EnvelopeSerde.EnvelopeDeserializer()
              .deserialize(FleetStatusPublisher.TOPIC, failure.value());
      assertThat(env.type()).isEqualTo(FleetStatusPublisher.TYPE);
      assertThat(env.payload().path("gatewayNamespace").asText()).isEqualTo("tenant");
      assertThat(env.payload().path("gatewayName").asText()).isEqualTo("broken");
      assertThat(env.payload().path("cause").asText()).contains("no valid listener");
      assertThat(env.payload().path("retryInMillis").isNull()).isTrue();
      assertThat(client.apps().deployments().inNamespace(NS).withName(resourceName(broken)).get())
          .isNull();

      InfraIr fixed = ir("broken");
      producer.send(new ProducerRecord<>(Topics.INFRA_IR, fixed.name(), envelope(fixed))).get();
      seen.clear();
      deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (seen.stream().noneMatch(r -> fixed.name().equals(r.key()) && r.value() == null)
          && System.nanoTime() < deadline) {
        status.poll(Duration.ofMillis(200)).forEach(seen::add);
      }
      assertThat(seen).anyMatch(r -> fixed.name().equals(r.key()) && r.value() == null);
      assertThat(client.apps().deployments().inNamespace(NS).withName(resourceName(fixed)).get())
          .isNotNull();
    }
  }
}
