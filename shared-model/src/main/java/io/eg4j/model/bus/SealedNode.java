package io.eg4j.model.bus;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ValueNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Base64;

/**
 * A {@link SecretBox} ciphertext as a payload node: the JSON string {@code base64(keyId || format
 * || iv || ciphertext+tag)}, encrypted as it is written rather than held as bytes, Base64 text and
 * a String (issue #16: at 5,000 routes an xDS IR is a 4.5 MB document, and every copy of it a
 * humongous object). {@link EnvelopeSerde} writes an envelope around it into one array of its exact
 * size; any other writer (a tree, {@code toString}) sees a JSON string, the same text.
 *
 * <p>The plaintext (the document, or its zstd frame when the format byte says so) is held until the
 * node is written, never shown: {@link #toString} and {@link #asText} give the ciphertext. Each
 * node has its own IV; writing it twice writes the same text.
 */
public final class SealedNode extends ValueNode {
  private static final int CHUNK = 16 * 1024;

  private final SecretBox box;
  private final byte[] iv;
  private final byte format;
  private final byte[] plain;

  SealedNode(SecretBox box, byte[] iv, byte format, byte[] plain) {
    this.box = box;
    this.iv = iv;
    this.format = format;
    this.plain = plain;
  }

  /** Whether the sealed bytes hold a zstd frame of the document rather than the document. */
  public boolean compressed() {
    return format == SecretBox.FORMAT_ZSTD;
  }

  /** The length of the sealed bytes: key id, separator, IV, ciphertext and tag. */
  public long sealedLength() {
    return box.headerLength() + (long) plain.length + SecretBox.TAG_BYTES;
  }

  /** The length of the Base64 text of the sealed bytes (with padding). */
  public long base64Length() {
    return 4 * ((sealedLength() + 2) / 3);
  }

  /** Writes the sealed bytes, encrypting the plaintext a chunk at a time. */
  public void writeSealed(OutputStream out) throws IOException {
    box.writeSealed(iv, format, plain, out, CHUNK);
  }

  /** Writes the Base64 text of the sealed bytes (no quotes). */
  public void writeBase64(OutputStream out) throws IOException {
    OutputStream b64 = Base64.getEncoder().wrap(new NonClosing(out));
    writeSealed(b64);
    b64.close(); // writes the padding; `out` stays open
  }

  /** The sealed bytes, in one array. */
  public byte[] sealedBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) sealedLength());
    try {
      writeSealed(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public JsonToken asToken() {
    return JsonToken.VALUE_STRING;
  }

  @Override
  public JsonNodeType getNodeType() {
    return JsonNodeType.STRING;
  }

  @Override
  public String textValue() {
    return asText();
  }

  @Override
  public String asText() {
    return Base64.getEncoder().encodeToString(sealedBytes());
  }

  @Override
  public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
    g.writeString(asText());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SealedNode s
        && s.box == box
        && s.format == format
        && Arrays.equals(s.iv, iv)
        && Arrays.equals(s.plain, plain);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(iv);
  }

  @Override
  public String toString() {
    return "\"" + asText() + "\"";
  }

  /** Lets the Base64 encoder's close write its padding without closing the stream under it. */
  private static final class NonClosing extends OutputStream {
    private final OutputStream out;

    NonClosing(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() {}
  }
}
