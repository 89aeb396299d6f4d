package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.provisioner.kafka.RateLimitConfigListener;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.Translator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The provisioner's consumer of {@code eg4j.xds-ir} on a real broker, fed with the IR the real
 * translator makes of a BackendTrafficPolicy with a global limit, sealed with the bus key as the
 * translator publishes it: once the topic is read, the rate limit service's files are exactly those
 * of the IR; a changed limit changes them; a tombstone empties them.
 */
class RateLimitConfigListenerIT {
  static EmbeddedKafkaKraftBroker kafka;
  static final SecretBox BOX = new SecretBox("k1", new byte[32]);
  static final List<Map<String, String>> received = new CopyOnWriteArrayList<>();
  static BusConsumerLoop loop;
  static KafkaProducer<String, byte[]> producer;

  @BeforeAll
  static void start() throws Exception {
    kafka = new EmbeddedKafkaKraftBroker(1, 1, Topics.XDS_IR, Topics.deadLetter(Topics.XDS_IR));
    kafka.afterPropertiesSet();
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.getBrokersAsString(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                org.apache.kafka.common.serialization.ByteArraySerializer.class));
    // History before the start: a first limit of 3, then 5. Only the latest may count.
    publish(ir(3));
    publish(ir(5));
    Map<String, Object> props =
        Map.of("bootstrap.servers", kafka.getBrokersAsString(), "client.id", "rl-it");
    loop =
        new BusConsumerLoop(
            props,
            new BusConsumerLoop.Options("rl-it", List.of(Topics.XDS_IR), null, true, null),
            new RateLimitConfigListener(received::add, Optional.of(BOX)),
            new CatchUpTracker(),
            new DeadLetterPublisher(
                Map.of("bootstrap.servers", kafka.getBrokersAsString()), "rl-it", t -> {}));
    loop.start();
  }

  @AfterAll
  static void stop() {
    if (loop != null) {
      loop.close();
    }
    if (producer != null) {
      producer.close();
    }
    if (kafka != null) {
      kafka.destroy();
    }
  }

  /** The IR the translator makes of a route with a global limit of {@code n} a minute. */
  static XdsIr ir(int n) throws Exception {
    String yaml =
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: v1
        kind: Service
        metadata: {namespace: default, name: echo}
        spec:
          ports: [{name: http, port: 8080, protocol: TCP}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          namespace: default
          name: echo-1
          labels: {kubernetes.io/service-name: echo}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints: [{addresses: [127.0.0.1]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {namespace: default, name: eg}
        spec:
          gatewayClassName: eg
          listeners: [{name: http, protocol: HTTP, port: 80}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: limited}
        spec:
          parentRefs: [{name: eg}]
          rules: [{backendRefs: [{name: echo, port: 8080}]}]
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: global}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: limited}]
          rateLimit:
            type: Global
            global:
              rules:
              - clientSelectors: [{headers: [{name: x-user, type: Distinct}]}]
                limit: {requests: %d, unit: Minute}
        """
            .formatted(n);
    List<ObjectNode> docs =
        ManifestReader.read(
            "t.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    EnvoyGatewayConfig config =
        EnvoyGatewayConfig.from(
            Json.YAML.readTree("rateLimit: {backend: {type: Redis, redis: {url: 'r:6379'}}}"));
    XdsIr ir =
        new Translator(config)
            .translate(ResourceSnapshot.of(new ArrayList<>(docs)))
            .xdsIr()
            .get("default/eg");
    assertThat(ir).isNotNull();
    assertThat(Json.MAPPER.writeValueAsString(ir))
        .as("the translated IR carries the global limit")
        .contains("globalRateLimit");
    return ir;
  }

  static void publish(XdsIr ir) throws Exception {
    JsonNode sealed = BOX.seal(Json.MAPPER.valueToTree(ir));
    Envelope env =
        new Envelope(
            Envelope.CURRENT_SCHEMA, "xds-ir", ContentHash.of(sealed), "test", true, sealed);
    producer
        .send(
            new ProducerRecord<>(
                Topics.XDS_IR,
                ir.key(),
                new EnvelopeSerde.EnvelopeSerializer().serialize(Topics.XDS_IR, env)))
        .get();
  }

  static Map<String, String> awaitFiles(int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && received.size() < count) {
      Thread.sleep(100);
    }
    assertThat(received).as("configurations received").hasSizeGreaterThanOrEqualTo(count);
    return received.get(count - 1);
  }

  @Test
  void theFilesFollowTheIr() throws Exception {
    // At start: one configuration, the latest IR's, never the history.
    Map<String, String> first = awaitFiles(1);
    assertThat(first).hasSize(1);
    String doc = first.values().iterator().next();
    assertThat(doc).contains("requests_per_unit: 5").contains("unit: minute");
    assertThat(Json.YAML.readTree(doc).path("domain").asText()).isEqualTo("default/eg/http");

    // The same IR again changes nothing; a new limit is one new configuration.
    publish(ir(5));
    publish(ir(7));
    Map<String, String> second = awaitFiles(2);
    assertThat(second.values().iterator().next()).contains("requests_per_unit: 7");

    // The Gateway is gone: no domain is left.
    producer.send(new ProducerRecord<>(Topics.XDS_IR, "default/eg", null)).get();
    assertThat(awaitFiles(3)).isEmpty();
    Thread.sleep(500);
    assertThat(received).hasSize(3);
  }
}
