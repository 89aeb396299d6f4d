package io.eg4j.statuswriter.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.testing.KafkaTestBroker;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/** The status-writer in file mode against a real broker. */
@ExtendWith(OutputCaptureExtension.class)
class StatusWriterFileModeIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path dir;
  static ConfigurableApplicationContext app;

  @BeforeAll
  static void start() {
    app =
        new SpringApplicationBuilder(StatusWriterApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.status-writer.mode=file",
                "--eg4j.status-writer.directory=" + dir);
    await(() -> app.getBean(CatchUpTracker.class).isCaughtUp());
    assertThat(
            app.getBean(MeterRegistry.class)
                .get("eg4j.leader")
                .tag("service", "status-writer")
                .gauge()
                .value())
        .isEqualTo(1.0);
    // The consumer lag the dashboards chart comes from Micrometer's Kafka client metrics.
    assertThat(
            app.getBean(MeterRegistry.class)
                .find("kafka.consumer.fetch.manager.records.lag.max")
                .gauges())
        .isNotEmpty();
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  static ResourceStatus gatewayStatus(String name, String programmed, String time)
      throws Exception {
    JsonNode status =
        Json.MAPPER.readTree(
            """
            {"conditions":[
              {"type":"Accepted","status":"True","reason":"Accepted","lastTransitionTime":"%s"},
              {"type":"Programmed","status":"%s","reason":"Programmed","lastTransitionTime":"%s"}]}
            """
                .formatted(time, programmed, time));
    return new ResourceStatus(
        ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/" + name),
        "gateway.networking.k8s.io/v1",
        3,
        status);
  }

  @Test
  void statusBecomesAFileAndATombstoneRemovesIt(CapturedOutput output) throws Exception {
    ResourceStatus s = gatewayStatus("eg", "True", "2026-01-01T00:00:00Z");
    send(s.key().toString(), s);
    Path file = dir.resolve("default/Gateway-eg.yaml");
    await(() -> Files.exists(file));
    JsonNode doc = Json.YAML.readTree(file.toFile());
    assertThat(doc.path("apiVersion").asText()).isEqualTo("gateway.networking.k8s.io/v1");
    assertThat(doc.path("kind").asText()).isEqualTo("Gateway");
    assertThat(doc.at("/metadata/name").asText()).isEqualTo("eg");
    assertThat(doc.at("/metadata/namespace").asText()).isEqualTo("default");
    assertThat(doc.at("/status/conditions/1/type").asText()).isEqualTo("Programmed");
    assertThat(output.getAll())
        .contains("status Gateway default/eg: Accepted=True Accepted, Programmed=True Programmed");

    send(s.key().toString(), null);
    await(() -> !Files.exists(file));
  }

  @Test
  void equalStatusIsSkippedAndAChangeIsWritten() throws Exception {
    MeterRegistry meters = app.getBean(MeterRegistry.class);
    ResourceStatus first = gatewayStatus("skip", "True", "2026-01-01T00:00:00Z");
    send(first.key().toString(), first);
    Path file = dir.resolve("default/Gateway-skip.yaml");
    await(() -> Files.exists(file));
    String written = Files.readString(file);
    double skipped = meters.counter("eg4j.status.writes", "result", "skipped").count();
    // Same conditions, only a later transition time: nothing to write.
    ResourceStatus same = gatewayStatus("skip", "True", "2026-02-02T00:00:00Z");
    send(same.key().toString(), same);
    await(() -> meters.counter("eg4j.status.writes", "result", "skipped").count() > skipped);
    assertThat(Files.readString(file)).isEqualTo(written);
    ResourceStatus changed = gatewayStatus("skip", "False", "2026-03-03T00:00:00Z");
    send(changed.key().toString(), changed);
    await(
        () ->
            readQuietly(file).contains("status: \"False\"")
                || readQuietly(file).contains("status: 'False'"));
  }

  @Test
  void clusterScopedGoesToClusterDirAndPoisonIsDeadLettered() throws Exception {
    ResourceStatus gc =
        new ResourceStatus(
            ResourceKey.parse("gateway.networking.k8s.io/GatewayClass//eg"),
            "gateway.networking.k8s.io/v1",
            1,
            Json.MAPPER.readTree("{\"conditions\":[]}"));
    sendRaw("gateway.networking.k8s.io/Gateway/default/poison", "nope".getBytes());
    send(gc.key().toString(), gc);
    await(() -> Files.exists(dir.resolve("_cluster/GatewayClass-eg.yaml")));
    await(
        () ->
            app.getBean(MeterRegistry.class)
                    .counter("eg4j.bus.dead.letters", "topic", Topics.STATUS)
                    .count()
                == 1.0);
  }

  static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  static void send(String key, ResourceStatus status) {
    Envelope env =
        status == null ? null : Envelope.wrap("status", "it", Json.MAPPER.valueToTree(status));
    sendRaw(key, env == null ? null : new EnvelopeSerde().serializer().serialize("t", env));
  }

  static void sendRaw(String key, byte[] value) {
    try (var p =
        new KafkaProducer<>(
            Map.<String, Object>of("bootstrap.servers", KAFKA.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(Topics.STATUS, key, value)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within " + WAIT).isLessThan(deadline);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
