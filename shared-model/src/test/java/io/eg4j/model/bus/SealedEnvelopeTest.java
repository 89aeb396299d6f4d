package io.eg4j.model.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * A sealed payload is written straight into its envelope's bytes and read back from them without a
 * String in between (issue #16). {@code sealJson} seals byte for byte as the earlier writer did
 * ({@code base64(keyId || 0x00 || iv || AES-GCM)} as the payload string); {@code sealCompressed}
 * compresses a large document first ({@code keyId || 0x01 || ...}). Records on a compacted topic
 * written by an older version are read.
 */
class SealedEnvelopeTest {
  private static final byte[] KEY = new byte[32];

  static {
    for (int i = 0; i < KEY.length; i++) {
      KEY[i] = (byte) (i * 7 + 1);
    }
  }

  private final SecretBox box = new SecretBox("k1", KEY);
  private final EnvelopeSerde.EnvelopeSerializer serializer =
      new EnvelopeSerde.EnvelopeSerializer();
  private final EnvelopeSerde.EnvelopeDeserializer deserializer =
      new EnvelopeSerde.EnvelopeDeserializer();

  /** A JSON document of about {@code size} bytes holding a secret. */
  private static byte[] document(int size) {
    StringBuilder s = new StringBuilder("{\"privateKey\":\"s3cret-material\",\"pad\":\"");
    for (int i = 0; s.length() < size - 2; i++) {
      s.append((char) ('a' + i % 26));
    }
    return s.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code size} bytes that do not compress (a seeded generator: the same bytes every run). */
  private static byte[] noise(int size) {
    byte[] b = new byte[size];
    new java.util.Random(size).nextBytes(b);
    return b;
  }

  private static Envelope envelope(com.fasterxml.jackson.databind.JsonNode payload, byte[] plain) {
    return new Envelope(
        Envelope.CURRENT_SCHEMA, "xds-ir", ContentHash.sha256(plain), "test", true, payload);
  }

  /** The record the earlier writer made: the whole ciphertext, its Base64 text, a text node. */
  private static byte[] oldRecord(byte[] plain, byte[] iv) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, iv));
    byte[] sealed = c.doFinal(plain);
    ByteBuffer all = ByteBuffer.allocate(3 + iv.length + sealed.length);
    all.put("k1".getBytes(StandardCharsets.US_ASCII)).put((byte) 0).put(iv).put(sealed);
    return Json.MAPPER.writeValueAsBytes(
        envelope(TextNode.valueOf(Base64.getEncoder().encodeToString(all.array())), plain));
  }

  @Test
  void theRecordIsByteForByteWhatTheEarlierWriterWrote() throws Exception {
    // Sizes around the encryption chunk (16 KiB) and the Base64 groups (3 bytes).
    for (int size : new int[] {0, 60, 61, 62, 16383, 16384, 16385, 49152, 100_001}) {
      byte[] plain = size == 0 ? "{}".getBytes(StandardCharsets.UTF_8) : document(size);
      assertThat(((SealedNode) box.sealJson(plain)).compressed()).isFalse();
      byte[] record = serializer.serialize(Topics.XDS_IR, envelope(box.sealJson(plain), plain));
      // The IV is the one the writer drew: read it back from the record.
      byte[] sealed =
          Base64.getDecoder().decode(Json.MAPPER.readTree(record).get("payload").asText());
      byte[] iv = Arrays.copyOfRange(sealed, 3, 15);
      assertThat(record).as("size %d", size).isEqualTo(oldRecord(plain, iv));
      // Any other writer of the envelope (a tree, a string) writes the same text.
      Envelope again = envelope(box.sealJson(plain), plain);
      assertThat(Json.MAPPER.writeValueAsBytes(again))
          .isEqualTo(serializer.serialize(Topics.XDS_IR, again));
      // Compressed sealing leaves incompressible documents, and those under its threshold, as
      // they are.
      List<byte[]> uncompressed = new ArrayList<>(List.of(noise(size)));
      if (plain.length < SecretBox.COMPRESS_FROM) {
        uncompressed.add(plain);
      }
      for (byte[] doc : uncompressed) {
        SealedNode node = (SealedNode) box.sealCompressed(doc);
        assertThat(node.compressed()).as("size %d", size).isFalse();
        assertThat(box.openSealed(node.sealedBytes())).isEqualTo(doc);
      }
    }
  }

  @Test
  void aLargeDocumentIsCompressedBeforeItIsSealed() throws Exception {
    for (int size : new int[] {1024, 16385, 100_001, 5_000_000}) {
      byte[] plain = document(size);
      SealedNode node = (SealedNode) box.sealCompressed(plain);
      assertThat(node.compressed()).as("size %d", size).isTrue();
      byte[] record = serializer.serialize(Topics.XDS_IR, envelope(node, plain));
      byte[] sealed =
          Base64.getDecoder().decode(Json.MAPPER.readTree(record).get("payload").asText());
      assertThat(sealed[2]).isEqualTo(SecretBox.FORMAT_ZSTD);
      assertThat((long) sealed.length).isEqualTo(node.sealedLength());
      // A document as repetitive as an xDS IR shrinks by far more than the sealing adds.
      assertThat(sealed.length).as("size %d", size).isLessThan(Math.max(200, size / 20));
      assertThat(box.openJson(deserializer.deserializeSealed(Topics.XDS_IR, record).payload()))
          .isEqualTo(plain);
      assertThat(box.openJson(deserializer.deserialize(Topics.XDS_IR, record).payload()))
          .isEqualTo(plain);
      assertThat(new String(record, StandardCharsets.UTF_8)).doesNotContain("s3cret");
    }
  }

  @Test
  void aCompressedPayloadsFormatByteIsAuthenticated() throws Exception {
    byte[] plain = document(20_000);
    byte[] sealed = ((SealedNode) box.sealCompressed(plain)).sealedBytes();
    assertThat(box.openSealed(sealed)).isEqualTo(plain);
    // Read as an uncompressed payload, the ciphertext's tag no longer matches.
    byte[] relabelled = sealed.clone();
    relabelled[2] = SecretBox.FORMAT_PLAIN;
    assertThatThrownBy(() -> box.openSealed(relabelled))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot decrypt payload");
    byte[] unknown = sealed.clone();
    unknown[2] = 7;
    assertThatThrownBy(() -> box.openSealed(unknown))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unknown sealed format 7");
  }

  @Test
  void aCompressedPayloadMustSayItsSize() throws Exception {
    // A zstd frame written by a stream does not carry the document's size.
    java.io.ByteArrayOutputStream frame = new java.io.ByteArrayOutputStream();
    try (var z = new com.github.luben.zstd.ZstdOutputStream(frame)) {
      z.write(document(5000));
    }
    java.io.ByteArrayOutputStream sealed = new java.io.ByteArrayOutputStream();
    byte[] iv = new byte[12];
    box.writeSealed(iv, SecretBox.FORMAT_ZSTD, frame.toByteArray(), sealed, 1024);
    assertThatThrownBy(() -> box.openSealed(sealed.toByteArray()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not say its size");
    // Not a zstd frame at all.
    java.io.ByteArrayOutputStream garbage = new java.io.ByteArrayOutputStream();
    box.writeSealed(iv, SecretBox.FORMAT_ZSTD, noise(100), garbage, 1024);
    assertThatThrownBy(() -> box.openSealed(garbage.toByteArray()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot decompress payload");
  }

  @Test
  void aKeyIdMustBePrintable() {
    assertThatThrownBy(() -> new SecretBox("k\u0001", KEY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("printable");
    assertThatThrownBy(() -> new SecretBox("", KEY)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bothReadersOpenOldAndNewRecords() throws Exception {
    byte[] plain = document(50_000);
    byte[] iv = new byte[12];
    Arrays.fill(iv, (byte) 9);
    byte[] old = oldRecord(plain, iv);
    byte[] fresh = serializer.serialize(Topics.XDS_IR, envelope(box.sealJson(plain), plain));
    byte[] compressed =
        serializer.serialize(Topics.XDS_IR, envelope(box.sealCompressed(plain), plain));
    for (byte[] record : new byte[][] {old, fresh, compressed}) {
      Envelope streamed = deserializer.deserializeSealed(Topics.XDS_IR, record);
      assertThat(streamed.payload()).isInstanceOf(BinaryNode.class);
      assertThat(box.openJson(streamed.payload())).isEqualTo(plain);
      assertThat(streamed.contentHash()).isEqualTo(ContentHash.sha256(plain));
      assertThat(streamed.encrypted()).isTrue();
      Envelope plainReader = deserializer.deserialize(Topics.XDS_IR, record);
      assertThat(plainReader.payload().isTextual()).isTrue();
      assertThat(box.openJson(plainReader.payload())).isEqualTo(plain);
      assertThat(box.open(plainReader.payload()))
          .isEqualTo(Json.MAPPER.readTree(plain))
          .isEqualTo(box.open(streamed.payload()));
    }
  }

  @Test
  void aPayloadWrittenBeforeItsFlagIsReadAsText() throws Exception {
    byte[] plain = document(1000);
    String text = box.sealJson(plain).asText();
    String json =
        "{\"payload\":\""
            + text
            + "\",\"schemaVersion\":1,\"type\":\"xds-ir\",\"contentHash\":\"h\",\"encrypted\":true}";
    Envelope e =
        deserializer.deserializeSealed(Topics.XDS_IR, json.getBytes(StandardCharsets.UTF_8));
    assertThat(e.payload()).isEqualTo(TextNode.valueOf(text));
    assertThat(box.openJson(e.payload())).isEqualTo(plain);
  }

  @Test
  void unencryptedEnvelopesReadAsBefore() throws Exception {
    byte[] record =
        serializer.serialize(
            Topics.XDS_IR,
            Envelope.wrap("xds-ir", "test", Json.MAPPER.readTree("{\"key\":\"a/b\",\"n\":\"x\"}")));
    assertThat(deserializer.deserializeSealed(Topics.XDS_IR, record))
        .isEqualTo(deserializer.deserialize(Topics.XDS_IR, record));
  }

  @Test
  void theSealedNodeNeverShowsItsPlaintext() throws Exception {
    byte[] plain = document(5000);
    var node = box.sealJson(plain);
    assertThat(node.toString()).doesNotContain("s3cret");
    assertThat(node.asText()).doesNotContain("s3cret");
    assertThat(new String(serializer.serialize("t", envelope(node, plain)), StandardCharsets.UTF_8))
        .doesNotContain("s3cret");
  }

  @Test
  void anAlteredForeignOrBrokenRecordDoesNotOpen() throws Exception {
    byte[] plain = document(20_000);
    byte[] record = serializer.serialize(Topics.XDS_IR, envelope(box.sealJson(plain), plain));
    // One Base64 character of the ciphertext changed: the tag no longer matches.
    byte[] altered = record.clone();
    int at = altered.length - 40;
    altered[at] = (byte) (altered[at] == 'A' ? 'B' : 'A');
    Envelope e = deserializer.deserializeSealed(Topics.XDS_IR, altered);
    assertThatThrownBy(() -> box.openJson(e.payload()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot decrypt payload");
    // Another key.
    SecretBox other = new SecretBox("k2", new byte[32]);
    Envelope ok = deserializer.deserializeSealed(Topics.XDS_IR, record);
    assertThatThrownBy(() -> other.openJson(ok.payload()))
        .hasMessageContaining("encrypted with key k1");
    // Not Base64 at all, or cut short: not an envelope.
    String broken =
        new String(record, StandardCharsets.UTF_8).replace("\"payload\":\"", "\"payload\":\"*");
    assertThatThrownBy(
            () ->
                deserializer.deserializeSealed(
                    Topics.XDS_IR, broken.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not an eg4j envelope");
    assertThatThrownBy(
            () ->
                deserializer.deserializeSealed(
                    Topics.XDS_IR, Arrays.copyOf(record, record.length / 2)))
        .isInstanceOf(SerializationException.class);
    // A sealed payload too short to hold an IV and a tag.
    assertThatThrownBy(() -> box.openSealed(new byte[] {'k', '1', 0, 1, 2}))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aPayloadWithEscapesIsDecodedByTheParserAndReadTheSame() throws Exception {
    byte[] plain = noise(30_000);
    byte[] record = serializer.serialize(Topics.XDS_IR, envelope(box.sealJson(plain), plain));
    String text = new String(record, StandardCharsets.UTF_8);
    assertThat(text).contains("/");
    // JSON lets a writer escape '/': the string is then left to the parser's own decoding.
    int from = text.indexOf("\"payload\":\"");
    String escaped = text.substring(0, from) + text.substring(from).replace("/", "\\/");
    assertThat(escaped).contains("\\/");
    for (String r : new String[] {text, escaped}) {
      Envelope e =
          deserializer.deserializeSealed(Topics.XDS_IR, r.getBytes(StandardCharsets.UTF_8));
      assertThat(e.payload()).isInstanceOf(BinaryNode.class);
      assertThat(box.openJson(e.payload())).isEqualTo(plain);
      assertThat(((BinaryNode) e.payload()).binaryValue())
          .isEqualTo(
              Base64.getDecoder()
                  .decode(deserializer.deserialize(Topics.XDS_IR, record).payload().asText()));
    }
  }
}
