package io.eg4j.translator.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.translator.core.TranslateResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What the publisher sends when a translation repeats values it already published: nothing for a
 * status that differs only in its conditions' transition times (it is neither serialized nor hashed
 * again), the one status that changed, and a tombstone for a key that went away.
 */
class OutputPublisherTest {
  private final MockProducer<String, Envelope> producer =
      new MockProducer<>(true, null, new StringSerializer(), (t, e) -> new byte[0]);
  private final OutputPublisher publisher =
      new OutputPublisher(producer, new SimpleMeterRegistry());

  private static ResourceStatus status(String name, String reason, String time) {
    ObjectNode s = Json.MAPPER.createObjectNode();
    ObjectNode c = s.putArray("conditions").addObject();
    c.put("type", "Accepted");
    c.put("reason", reason);
    c.put("lastTransitionTime", time);
    return new ResourceStatus(
        new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "default", name),
        "gateway.networking.k8s.io/v1",
        1,
        s);
  }

  private static TranslateResult result(ResourceStatus... statuses) {
    return new TranslateResult(List.of(statuses), Map.of(), Map.of());
  }

  private List<String> sentKeys() {
    List<String> keys =
        producer.history().stream()
            .filter(r -> r.topic().equals(Topics.STATUS))
            .map(r -> r.key() + (r.value() == null ? " (tombstone)" : ""))
            .toList();
    producer.clear();
    return keys;
  }

  @Test
  void onlyChangedStatusesAndTombstonesAreSent() {
    publisher.publish(result(status("a", "Accepted", "t1"), status("b", "Accepted", "t1")));
    assertThat(sentKeys())
        .containsExactly(
            "gateway.networking.k8s.io/HTTPRoute/default/a",
            "gateway.networking.k8s.io/HTTPRoute/default/b");

    // A new translation stamps new transition times: nothing changed.
    publisher.publish(result(status("a", "Accepted", "t2"), status("b", "Accepted", "t2")));
    assertThat(sentKeys()).isEmpty();

    // b changes; a is the same.
    publisher.publish(result(status("a", "Accepted", "t3"), status("b", "NotAllowed", "t3")));
    assertThat(sentKeys()).containsExactly("gateway.networking.k8s.io/HTTPRoute/default/b");

    // a goes away: a tombstone; b as it was last sent: nothing.
    publisher.publish(result(status("b", "NotAllowed", "t4")));
    assertThat(sentKeys())
        .containsExactly("gateway.networking.k8s.io/HTTPRoute/default/a (tombstone)");

    // a comes back as it was before its deletion: sent again.
    publisher.publish(result(status("a", "Accepted", "t5"), status("b", "NotAllowed", "t5")));
    assertThat(sentKeys()).containsExactly("gateway.networking.k8s.io/HTTPRoute/default/a");
  }

  /** A status body that notes in {@code events} when the publisher first reads it. */
  private static final class WatchedStatus extends ObjectNode {
    private final List<String> events;

    WatchedStatus(List<String> events) {
      super(Json.MAPPER.getNodeFactory());
      this.events = events;
    }

    private void read() {
      if (!events.contains("status read")) {
        events.add("status read");
      }
    }

    @Override
    public com.fasterxml.jackson.databind.JsonNode get(String field) {
      read();
      return super.get(field);
    }

    @Override
    public java.util.Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> fields() {
      read();
      return super.fields();
    }

    @Override
    public java.util.Set<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> properties() {
      read();
      return super.properties();
    }

    @Override
    public void serialize(
        com.fasterxml.jackson.core.JsonGenerator g,
        com.fasterxml.jackson.databind.SerializerProvider p)
        throws java.io.IOException {
      read();
      super.serialize(g, p);
    }
  }

  @Test
  void theXdsIrIsSentBeforeAnyStatusIsCompared() {
    // Envoy waits for the xDS IR; the statuses of every route can wait for it (issue #16).
    List<String> events = new java.util.ArrayList<>();
    MockProducer<String, Envelope> recording =
        new MockProducer<>(true, null, new StringSerializer(), (t, e) -> new byte[0]) {
          @Override
          public synchronized java.util.concurrent.Future<
                  org.apache.kafka.clients.producer.RecordMetadata>
              send(org.apache.kafka.clients.producer.ProducerRecord<String, Envelope> r) {
            events.add("sent " + r.topic());
            return super.send(r);
          }
        };
    OutputPublisher p = new OutputPublisher(recording, new SimpleMeterRegistry());
    WatchedStatus body = new WatchedStatus(events);
    body.putArray("conditions").addObject().put("type", "Accepted");
    ResourceStatus s =
        new ResourceStatus(
            new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "default", "a"),
            "gateway.networking.k8s.io/v1",
            1,
            body);
    var ir = new io.eg4j.model.ir.XdsIr("ns/gw", List.of(), List.of(), List.of(), List.of());
    p.publish(new TranslateResult(List.of(s), Map.of("ns/gw", ir), Map.of(), Map.of(), null));
    assertThat(events)
        .containsExactly("sent " + Topics.XDS_IR, "status read", "sent " + Topics.STATUS);
  }

  @Test
  void aWasmPullSecretCrossesTheBusOnlySealed() throws Exception {
    io.eg4j.model.bus.SecretBox box = new io.eg4j.model.bus.SecretBox("k1", new byte[32]);
    MockProducer<String, Envelope> sealedProducer =
        new MockProducer<>(true, null, new StringSerializer(), (t, e) -> new byte[0]);
    OutputPublisher sealing =
        new OutputPublisher(sealedProducer, new SimpleMeterRegistry(), java.util.Optional.of(box));
    String secret = "{\"auths\":{\"r.example\":{\"username\":\"u\",\"password\":\"s3cret-pw\"}}}";
    var wasm =
        new io.eg4j.model.ir.extension.ExtensionIr.WasmIr(
            "p/wasm/0",
            "p/wasm/0",
            null,
            null,
            false,
            "oci://r.example/w@sha256:" + "a".repeat(64),
            "b".repeat(64),
            null,
            List.of(),
            secret);
    var backend =
        new io.eg4j.model.ir.RouteDestinationIr(
            "backend",
            List.of(
                new io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr(
                    "backend/0",
                    1,
                    "HTTP",
                    "IP",
                    List.of(new io.eg4j.model.ir.RouteDestinationIr.EndpointIr("127.0.0.1", 9)),
                    null)));
    var route =
        new io.eg4j.model.ir.HttpRouteIr(
                "r", null, null, null, null, null, backend, null, null, null, null, null, null,
                null, null, null, false, null, null, null, null, null, null)
            .withExtensions(
                new io.eg4j.model.ir.extension.ExtensionIr(
                    "p", List.of(), List.of(), List.of(wasm)));
    var ir =
        new io.eg4j.model.ir.XdsIr(
            "ns/gw",
            List.of(
                new io.eg4j.model.ir.HttpListenerIr(
                    "l", null, 8080, 8080, List.of("*"), null, List.of(route), null)),
            List.of(),
            List.of(),
            List.of());
    sealing.publish(new TranslateResult(List.of(), Map.of("ns/gw", ir), Map.of(), Map.of(), null));
    Envelope env =
        sealedProducer.history().stream()
            .filter(r -> r.topic().equals(Topics.XDS_IR))
            .findFirst()
            .orElseThrow()
            .value();
    assertThat(env.encrypted()).isTrue();
    assertThat(Json.MAPPER.writeValueAsString(env)).doesNotContain("s3cret-pw");
    // Inside the payload the pull secret is sealed once more on its own (the payload is
    // compressed).
    assertThat(box.open(env.payload()).toString())
        .doesNotContain("s3cret-pw")
        .contains("\"pullSecret\":\"\\u0000" + box.keyId() + ":");
    // Written and hashed without a tree: the IR reads back equal, under the hash of its tree, which
    // is what a restarted publisher and the xds-servers compare.
    assertThat(
            Json.MAPPER
                .readerFor(io.eg4j.model.ir.XdsIr.class)
                .withAttribute(io.eg4j.model.bus.SecretBox.class, box)
                .<io.eg4j.model.ir.XdsIr>readValue(box.openJson(env.payload())))
        .isEqualTo(ir);
    assertThatThrownBy(
            () -> Json.MAPPER.readValue(box.openJson(env.payload()), io.eg4j.model.ir.XdsIr.class))
        .hasMessageContaining("no bus key");
    assertThat(env.contentHash())
        .isEqualTo(io.eg4j.model.bus.ContentHash.of(Json.MAPPER.valueToTree(ir)))
        .isEqualTo(sealing.xdsIrHash("ns/gw", ir));
    // The record the producer sends (the envelope serializer seals it straight into its bytes):
    // no secret in it, and it opens to the IR as the xds-servers read it.
    byte[] record =
        new io.eg4j.model.bus.EnvelopeSerde.EnvelopeSerializer().serialize(Topics.XDS_IR, env);
    assertThat(new String(record, java.nio.charset.StandardCharsets.UTF_8))
        .doesNotContain("s3cret-pw")
        .isEqualTo(Json.MAPPER.writeValueAsString(env));
    Envelope read =
        new io.eg4j.model.bus.EnvelopeSerde.EnvelopeDeserializer()
            .deserializeSealed(Topics.XDS_IR, record);
    assertThat(read.contentHash()).isEqualTo(env.contentHash());
    assertThat(
            Json.MAPPER
                .readerFor(io.eg4j.model.ir.XdsIr.class)
                .withAttribute(io.eg4j.model.bus.SecretBox.class, box)
                .<io.eg4j.model.ir.XdsIr>readValue(box.openJson(read.payload())))
        .isEqualTo(ir);
  }

  @Test
  void aSealedIrWithUnchangedRoutesCopiedIsTheCanonicalJsonOfTheWholeIr() {
    io.eg4j.model.bus.SecretBox box = new io.eg4j.model.bus.SecretBox("k1", new byte[32]);
    MockProducer<String, Envelope> sealedProducer =
        new MockProducer<>(true, null, new StringSerializer(), (t, e) -> new byte[0]);
    OutputPublisher sealing =
        new OutputPublisher(sealedProducer, new SimpleMeterRegistry(), java.util.Optional.of(box));
    List<io.eg4j.model.ir.HttpRouteIr> routes = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      routes.add(route("r" + i, 9000 + i));
      var ir =
          new io.eg4j.model.ir.XdsIr(
              "ns/gw",
              List.of(
                  new io.eg4j.model.ir.HttpListenerIr(
                      "l", null, 8080, 8080, List.of("*"), null, routes, null)),
              List.of(),
              List.of(),
              List.of());
      sealing.publish(
          new TranslateResult(List.of(), Map.of("ns/gw", ir), Map.of(), Map.of(), null));
      var sent = sealedProducer.history();
      Envelope env = sent.get(sent.size() - 1).value();
      assertThat(box.openJson(env.payload()))
          .isEqualTo(io.eg4j.model.bus.ContentHash.canonicalJson(ir));
      assertThat(env.contentHash()).isEqualTo(io.eg4j.model.bus.ContentHash.ofValue(ir));
    }
    assertThat(sealedProducer.history()).hasSize(5);
  }

  private static io.eg4j.model.ir.HttpRouteIr route(String name, int port) {
    var backend =
        new io.eg4j.model.ir.RouteDestinationIr(
            name,
            List.of(
                new io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr(
                    name + "/0",
                    1,
                    "HTTP",
                    "IP",
                    List.of(new io.eg4j.model.ir.RouteDestinationIr.EndpointIr("127.0.0.1", port)),
                    null)));
    return new io.eg4j.model.ir.HttpRouteIr(
        name, null, null, null, null, null, backend, null, null, null, null, null, null, null, null,
        null, false, null, null, null, null, null, null);
  }

  @Test
  void anUnchangedValueIsRememberedAsItsNewestInstance() {
    String a = "gateway.networking.k8s.io/HTTPRoute/default/a";
    publisher.publish(result(status("a", "Accepted", "t1")));
    assertThat(sentKeys()).containsExactly(a);

    // Equal but for transition times: nothing sent, and the newest instance is the one kept, so
    // the publisher and the translator's last result share it.
    ResourceStatus second = status("a", "Accepted", "t2");
    publisher.publish(result(second));
    assertThat(sentKeys()).isEmpty();
    assertThat(publisher.lastValue(Topics.STATUS, a)).isSameAs(second);

    // Compared with that instance, a status equal to the first one is still unchanged, and a
    // changed one is still sent.
    publisher.publish(result(status("a", "Accepted", "t3")));
    assertThat(sentKeys()).isEmpty();
    publisher.publish(result(status("a", "NotAllowed", "t4")));
    assertThat(sentKeys()).containsExactly(a);
  }
}
