package io.eg4j.xds.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.XdsGoldenCases;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The xDS IR record's path as the xds-server reads it: an IR sealed as the translator publishes it
 * (canonical JSON, hashed, sealed, in an envelope) is read back equal, under its hash, for every
 * golden case, those with listener and backend private keys included, which never appear in the
 * record; a record in the earlier writer's form (the payload a Base64 string built in memory) is
 * read the same; an altered or unopenable record is refused, which sends it to the dead-letter
 * topic ({@code XdsServerKafkaIT} on a real broker).
 */
class SealedIrRecordTest {
  private final SecretBox box = new SecretBox("k1", new byte[32]);

  private byte[] record(XdsIr ir) {
    return record(box, ir);
  }

  /**
   * A record of {@code eg4j.xds-ir} as the translator writes it: hashed over its canonical JSON,
   * then that JSON with each secret value sealed on its own, compressed and sealed with the key.
   */
  static byte[] record(SecretBox box, XdsIr ir) {
    return record(
        ContentHash.sha256(ContentHash.canonicalJson(ir)),
        box.sealCompressed(ContentHash.canonicalJson(ir, SecretBox.class, box)));
  }

  /** A record in the form earlier writers gave it: the plain JSON sealed whole, uncompressed. */
  static byte[] record(SecretBox box, byte[] plain) {
    return record(ContentHash.sha256(plain), box.sealJson(plain));
  }

  private static byte[] record(String hash, com.fasterxml.jackson.databind.JsonNode payload) {
    return new EnvelopeSerde.EnvelopeSerializer()
        .serialize(
            Topics.XDS_IR,
            new Envelope(Envelope.CURRENT_SCHEMA, "xds-ir", hash, "translator", true, payload));
  }

  @Test
  void everyGoldenIrRoundTripsSealedAndItsSecretsStayOffTheRecord() throws Exception {
    int withKeys = 0;
    for (String name : XdsGoldenCases.names()) {
      XdsIr ir = XdsGoldenCases.read(name);
      byte[] record = record(ir);
      XdsIrConsumer.Read read =
          XdsIrConsumer.read(Topics.XDS_IR, ir.key(), record, Optional.of(box));
      assertThat(read.ir()).as(name).isEqualTo(ir);
      assertThat(read.hash()).as(name).isEqualTo(ContentHash.of(Json.MAPPER.valueToTree(ir)));
      if (new String(ContentHash.canonicalJson(ir), StandardCharsets.UTF_8)
          .contains("PRIVATE KEY")) {
        withKeys++;
        assertThat(new String(record, StandardCharsets.ISO_8859_1))
            .as(name)
            .doesNotContain("PRIVATE KEY");
        // Nor the document that was compressed: the keys were sealed before.
        byte[] doc =
            box.openJson(
                new EnvelopeSerde.EnvelopeDeserializer()
                    .deserializeSealed(Topics.XDS_IR, record)
                    .payload());
        assertThat(new String(doc, StandardCharsets.UTF_8))
            .as(name)
            .doesNotContain("PRIVATE KEY")
            .contains("\\u0000k1:");
      }
      // The earlier writers' form of the same IR reads the same.
      assertThat(
              XdsIrConsumer.read(
                      Topics.XDS_IR,
                      ir.key(),
                      record(box, ContentHash.canonicalJson(ir)),
                      Optional.of(box))
                  .ir())
          .as(name)
          .isEqualTo(ir);
    }
    assertThat(withKeys).as("golden cases with private keys").isPositive();
  }

  @Test
  void aRecordInTheEarlierWritersFormIsRead() throws Exception {
    XdsIr ir = XdsGoldenCases.read("backend-tls");
    byte[] plain = ContentHash.canonicalJson(ir);
    // The earlier writer: sealed to a Base64 String in memory, the envelope written from a tree.
    TextNode payload = TextNode.valueOf(box.sealJson(plain).asText());
    byte[] old =
        Json.MAPPER.writeValueAsBytes(
            new Envelope(1, "xds-ir", ContentHash.sha256(plain), "translator", true, payload));
    XdsIrConsumer.Read read = XdsIrConsumer.read(Topics.XDS_IR, ir.key(), old, Optional.of(box));
    assertThat(read.ir()).isEqualTo(ir);
    assertThat(read.hash()).isEqualTo(ContentHash.sha256(plain));
  }

  @Test
  void anAlteredOrUnopenableRecordIsRefused() throws Exception {
    XdsIr ir = XdsGoldenCases.read("http-features");
    byte[] record = record(ir);
    byte[] altered = record.clone();
    int at = altered.length - 100;
    altered[at] = (byte) (altered[at] == 'A' ? 'B' : 'A');
    assertThatThrownBy(() -> XdsIrConsumer.read(Topics.XDS_IR, ir.key(), altered, Optional.of(box)))
        .hasMessageContaining("cannot decrypt payload");
    assertThatThrownBy(() -> XdsIrConsumer.read(Topics.XDS_IR, ir.key(), record, Optional.empty()))
        .hasMessageContaining("no bus key");
    assertThatThrownBy(
            () ->
                XdsIrConsumer.read(
                    Topics.XDS_IR,
                    ir.key(),
                    record,
                    Optional.of(new SecretBox("k2", new byte[32]))))
        .hasMessageContaining("encrypted with key k1");
    assertThatThrownBy(
            () -> XdsIrConsumer.read(Topics.XDS_IR, "other/key", record, Optional.of(box)))
        .hasMessageContaining("differs from IR key");
  }
}
