package io.eg4j.xds.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.XdsGoldenCases;
import io.eg4j.xds.kafka.XdsIrConsumer;
import io.eg4j.xds.testing.EnvoyProcess;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole service on a real in-process KRaft broker: IR published on {@code eg4j.xds-ir} before
 * the service starts is read to the end before readiness turns UP; a real gRPC ADS client over mTLS
 * then receives Listener, RouteConfiguration, Cluster and ClusterLoadAssignment (state of the world
 * and delta); a bad record lands on the dead-letter topic; a NACK is counted and published.
 */
@org.junit.jupiter.api.extension.ExtendWith(XdsServerKafkaIT.StopBrokerLast.class)
@org.springframework.test.annotation.DirtiesContext
@SpringBootTest(
    classes = XdsServerApplication.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class XdsServerKafkaIT {
  static EmbeddedKafkaKraftBroker broker;
  static Path certs;
  static Path busKey;
  static int grpcPort = EnvoyProcess.freePort();

  @Autowired XdsIrConsumer consumer;
  @Autowired MeterRegistry registry;
  @Autowired io.eg4j.xds.core.XdsSnapshots snapshots;
  @LocalServerPort int httpPort;

  @BeforeAll
  static void startBroker() throws Exception {
    broker =
        new EmbeddedKafkaKraftBroker(
            1, 1, Topics.XDS_IR, Topics.XDS_NACKS, Topics.deadLetter(Topics.XDS_IR));
    broker.afterPropertiesSet();
    certs = Files.createTempDirectory("eg4j-xds-it");
    CertGen.generate(List.of(), Duration.ofDays(1)).writeTo(certs);
    busKey = certs.resolve("bus.key");
    io.eg4j.model.bus.SecretBox box = io.eg4j.model.bus.SecretBox.fromFile(busKey, true);
    // Published before the service starts: it must read all of it before it is ready.
    publish("default/eg", envelope(XdsGoldenCases.read("http-features")));
    publish("default/eg", "not json at all".getBytes(StandardCharsets.UTF_8));
    // The IR served for default/eg is the last one: sealed with the bus key, as the translator
    // publishes it (DESIGN.md invariant 6).
    publish("default/eg", sealed(box, XdsGoldenCases.read("http-features")));
    // A sealed IR whose ciphertext was altered: it cannot be opened, so it is a dead letter.
    byte[] tampered =
        sealed(box, new XdsIr("default/tampered", List.of(), List.of(), List.of(), List.of()));
    tampered[tampered.length - 10] = (byte) (tampered[tampered.length - 10] == 'A' ? 'B' : 'A');
    publish("default/tampered", tampered);
    publish(
        "default/gone",
        envelope(new XdsIr("default/gone", List.of(), List.of(), List.of(), List.of())));
    // Sealed with routes, so the consumer keeps its route IRs for reuse; the tombstone drops them.
    XdsIr features = XdsGoldenCases.read("http-features");
    publish(
        "default/gone",
        sealed(
            box,
            new XdsIr(
                "default/gone",
                features.http(),
                features.tcp(),
                features.udp(),
                features.filterOrder())));
    publish("default/gone", null);
  }

  /**
   * Stops the broker after Spring has closed the service (this extension is registered before
   * Spring's, so its afterAll runs after Spring's): the consumer and producer close cleanly.
   */
  static final class StopBrokerLast implements org.junit.jupiter.api.extension.AfterAllCallback {
    @Override
    public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) {
      if (broker != null) {
        broker.destroy();
      }
    }
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("spring.kafka.bootstrap-servers", () -> broker.getBrokersAsString());
    r.add("spring.grpc.server.port", () -> grpcPort);
    r.add("spring.grpc.server.address", () -> "127.0.0.1");
    r.add("eg4j.xds.tls.enabled", () -> "true");
    r.add("eg4j.xds.tls.cert-file", () -> certs.resolve(CertGen.SERVER_CERT).toString());
    r.add("eg4j.xds.tls.key-file", () -> certs.resolve(CertGen.SERVER_KEY).toString());
    r.add("eg4j.xds.tls.ca-file", () -> certs.resolve(CertGen.CA_CERT).toString());
    r.add("eg4j.xds.step-timeout", () -> "1s");
    r.add("eg4j.bus.secret-key-file", () -> busKey.toString());
  }

  static byte[] envelope(XdsIr ir) {
    Envelope e = Envelope.wrap("xds-ir", "test", Json.MAPPER.valueToTree(ir));
    return new EnvelopeSerde.EnvelopeSerializer().serialize(Topics.XDS_IR, e);
  }

  /**
   * The record the translator publishes for an IR: hashed over its canonical JSON, each secret
   * value sealed on its own, compressed and sealed.
   */
  static byte[] sealed(io.eg4j.model.bus.SecretBox box, XdsIr ir) {
    byte[] plain = io.eg4j.model.bus.ContentHash.canonicalJson(ir);
    Envelope e =
        new Envelope(
            Envelope.CURRENT_SCHEMA,
            "xds-ir",
            io.eg4j.model.bus.ContentHash.sha256(plain),
            "test",
            true,
            box.sealCompressed(
                io.eg4j.model.bus.ContentHash.canonicalJson(
                    ir, io.eg4j.model.bus.SecretBox.class, box)));
    return new EnvelopeSerde.EnvelopeSerializer().serialize(Topics.XDS_IR, e);
  }

  static void publish(String key, byte[] value) throws Exception {
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", broker.getBrokersAsString()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(Topics.XDS_IR, key, value)).get(10, TimeUnit.SECONDS);
    }
  }

  static List<ConsumerRecord<String, byte[]>> read(String topic, int atLeast) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                broker.getBrokersAsString(),
                "group.id",
                "it-" + System.nanoTime(),
                "auto.offset.reset",
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(300)).forEach(out::add);
      }
    }
    return out;
  }

  ManagedChannel channel() throws Exception {
    return NettyChannelBuilder.forAddress("127.0.0.1", grpcPort)
        .overrideAuthority("localhost")
        .sslContext(
            GrpcSslContexts.forClient()
                .keyManager(
                    certs.resolve(CertGen.CLIENT_CERT).toFile(),
                    certs.resolve(CertGen.CLIENT_KEY).toFile())
                .trustManager(certs.resolve(CertGen.CA_CERT).toFile())
                .build())
        .maxInboundMessageSize(64 * 1024 * 1024)
        .build();
  }

  static final Node NODE =
      Node.newBuilder().setId("default/eg/it").setCluster("default/eg").build();

  void awaitReady() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!consumer.caughtUp() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(consumer.caughtUp()).isTrue();
  }

  @Test
  void readinessWaitsForCatchUpAndAdsServesAllTypesOverMtls() throws Exception {
    awaitReady();
    HttpResponse<String> health =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/actuator/health/readiness"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("UP");

    ManagedChannel ch = channel();
    try {
      BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
      StreamObserver<DiscoveryRequest> requests =
          AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(collect(responses));
      requests.onNext(req(Resources.V3.CLUSTER_TYPE_URL, List.of(), "", ""));
      DiscoveryResponse cds = take(responses);
      assertThat(cds.getTypeUrl()).isEqualTo(Resources.V3.CLUSTER_TYPE_URL);
      assertThat(cds.getResourcesCount()).isEqualTo(10);
      requests.onNext(
          req(Resources.V3.CLUSTER_TYPE_URL, List.of(), cds.getVersionInfo(), cds.getNonce()));
      requests.onNext(
          req(Resources.V3.ENDPOINT_TYPE_URL, List.of("httproute/default/exact/rule/0"), "", ""));
      DiscoveryResponse eds = take(responses);
      assertThat(eds.getTypeUrl()).isEqualTo(Resources.V3.ENDPOINT_TYPE_URL);
      assertThat(eds.getResources(0).getTypeUrl())
          .isEqualTo("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment");
      requests.onNext(req(Resources.V3.LISTENER_TYPE_URL, List.of(), "", ""));
      DiscoveryResponse lds = take(responses);
      assertThat(lds.getTypeUrl()).isEqualTo(Resources.V3.LISTENER_TYPE_URL);
      assertThat(lds.getResourcesCount()).isEqualTo(1);
      requests.onNext(req(Resources.V3.ROUTE_TYPE_URL, List.of("default/eg/http"), "", ""));
      DiscoveryResponse rds = take(responses);
      assertThat(rds.getTypeUrl()).isEqualTo(Resources.V3.ROUTE_TYPE_URL);
      assertThat(rds.getResourcesCount()).isEqualTo(1);

      // A NACK: logged, counted, published on eg4j.xds-nacks keyed by the IR key.
      requests.onNext(
          req(Resources.V3.ROUTE_TYPE_URL, List.of("default/eg/http"), "", rds.getNonce())
              .toBuilder()
              .setErrorDetail(
                  com.google.rpc.Status.newBuilder().setCode(3).setMessage("invalid regex: ["))
              .build());
      List<ConsumerRecord<String, byte[]>> nacks = read(Topics.XDS_NACKS, 1);
      assertThat(nacks).isNotEmpty();
      assertThat(nacks.get(0).key()).isEqualTo("default/eg");
      Envelope nack = Json.MAPPER.readValue(nacks.get(0).value(), Envelope.class);
      assertThat(nack.type()).isEqualTo("nack");
      assertThat(nack.payload().path("error_message").asText()).isEqualTo("invalid regex: [");
      assertThat(nack.payload().path("type_url").asText()).isEqualTo(Resources.V3.ROUTE_TYPE_URL);
      assertThat(nack.payload().path("node").asText()).isEqualTo("default/eg/it");
      assertThat(
              registry
                  .get("eg4j.xds.nacks")
                  .tag("ir_key", "default/eg")
                  .tag("type_url", Resources.V3.ROUTE_TYPE_URL)
                  .counter()
                  .count())
          .isEqualTo(1.0);

      // After a NACK, an acceptance of that type is published too (xds-recovered), once per
      // version: it tells the translator that a listener it retries is in place. The ACKs before
      // the NACK published nothing.
      requests.onNext(
          req(
              Resources.V3.ROUTE_TYPE_URL,
              List.of("default/eg/http"),
              rds.getVersionInfo(),
              rds.getNonce()));
      requests.onNext(
          req(
              Resources.V3.ROUTE_TYPE_URL,
              List.of("default/eg/http"),
              rds.getVersionInfo(),
              rds.getNonce()));
      List<ConsumerRecord<String, byte[]>> events = read(Topics.XDS_NACKS, 2);
      assertThat(events).as("the NACK and one acceptance for the one version").hasSize(2);
      Envelope recovered = Json.MAPPER.readValue(events.get(1).value(), Envelope.class);
      assertThat(events.get(1).key()).isEqualTo("default/eg");
      assertThat(recovered.type()).isEqualTo("xds-recovered");
      assertThat(recovered.payload().path("type_url").asText())
          .isEqualTo(Resources.V3.ROUTE_TYPE_URL);
      assertThat(recovered.payload().path("version").asText()).isEqualTo(rds.getVersionInfo());
      requests.onCompleted();
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void badRecordGoesToTheDeadLetterTopicAndTombstonedKeyIsNotServed() throws Exception {
    awaitReady();
    List<ConsumerRecord<String, byte[]>> dlt = read(Topics.deadLetter(Topics.XDS_IR), 2);
    assertThat(dlt).hasSize(2);
    assertThat(dlt)
        .extracting(
            r ->
                r.key()
                    + ": "
                    + new String(
                        r.headers().lastHeader("eg4j.dlt.reason").value(), StandardCharsets.UTF_8))
        .satisfiesExactlyInAnyOrder(
            r -> assertThat(r).startsWith("default/eg: ").contains("not an eg4j envelope"),
            r -> assertThat(r).startsWith("default/tampered: ").contains("cannot decrypt payload"));
    assertThat(registry.get("eg4j.bus.dead.letters").tag("topic", Topics.XDS_IR).counter().count())
        .isEqualTo(2.0);
    assertThat(consumer.caughtUp()).isTrue();
    // default/gone was published and then tombstoned before start-up: nothing is kept for it.
    assertThat(snapshots.keys())
        .doesNotContain("default/gone", "default/tampered")
        .contains("default/eg");
    // What the reader kept for reuse: the last good record of default/eg, nothing for the others.
    assertThat(consumer.reuseKeys()).containsExactly("default/eg");
  }

  @Test
  void deltaAdsServesAndAnIrChangeIsPushed() throws Exception {
    awaitReady();
    ManagedChannel ch = channel();
    try {
      BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
      StreamObserver<DeltaDiscoveryRequest> requests =
          AggregatedDiscoveryServiceGrpc.newStub(ch)
              .deltaAggregatedResources(collectDelta(responses));
      requests.onNext(
          DeltaDiscoveryRequest.newBuilder()
              .setNode(NODE.toBuilder().setCluster("default/tls"))
              .setTypeUrl(Resources.V3.LISTENER_TYPE_URL)
              .build());
      // default/tls is not published yet: nothing may be answered until it is.
      assertThat(responses.poll(500, TimeUnit.MILLISECONDS)).isNull();
      publish(
          "default/tls", envelope(XdsGoldenCases.read("tls-tcp-udp", "@CERT@", "c", "@KEY@", "k")));
      DeltaDiscoveryResponse lds = responses.poll(20, TimeUnit.SECONDS);
      assertThat(lds).isNotNull();
      assertThat(lds.getTypeUrl()).isEqualTo(Resources.V3.LISTENER_TYPE_URL);
      assertThat(lds.getResourcesList())
          .extracting(r -> r.getName())
          .contains("default/tls/https-a", "default/tls/tcp", "default/tls/udp");
      assertThat(
              registry
                  .get("eg4j.xds.snapshot.pushes")
                  .tag("ir_key", "default/tls")
                  .counter()
                  .count())
          .isGreaterThanOrEqualTo(1.0);
      requests.onCompleted();
    } finally {
      ch.shutdownNow();
    }
  }

  static DiscoveryRequest req(String type, List<String> names, String version, String nonce) {
    return DiscoveryRequest.newBuilder()
        .setNode(NODE)
        .setTypeUrl(type)
        .addAllResourceNames(names)
        .setVersionInfo(version)
        .setResponseNonce(nonce)
        .build();
  }

  static DiscoveryResponse take(BlockingQueue<DiscoveryResponse> q) throws InterruptedException {
    DiscoveryResponse r = q.poll(20, TimeUnit.SECONDS);
    assertThat(r).as("an ADS response").isNotNull();
    return r;
  }

  static <T> StreamObserver<T> collect(BlockingQueue<T> q) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        q.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  static StreamObserver<DeltaDiscoveryResponse> collectDelta(
      BlockingQueue<DeltaDiscoveryResponse> q) {
    return collect(q);
  }
}
