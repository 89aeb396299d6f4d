package io.eg4j.model.bus;

import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for {@link Envelope}. A null record value is a tombstone and stays null. A value that
 * is not a valid envelope throws {@link SerializationException}; consumers route such records to
 * the dead-letter topic and move on (DESIGN.md invariant 7).
 */
public final class EnvelopeSerde implements Serde<Envelope> {

  @Override
  public Serializer<Envelope> serializer() {
    return new EnvelopeSerializer();
  }

  @Override
  public Deserializer<Envelope> deserializer() {
    return new EnvelopeDeserializer();
  }

  /** Writes an envelope as JSON. */
  public static final class EnvelopeSerializer implements Serializer<Envelope> {
    @Override
    public byte[] serialize(String topic, Envelope data) {
      if (data == null) {
        return null;
      }
      try {
        if (data.payload() instanceof SealedNode sealed) {
          byte[] out = writeSealed(data, sealed);
          if (out != null) {
            return out;
          }
        }
        return Json.MAPPER.writeValueAsBytes(data);
      } catch (IOException e) {
        throw new SerializationException("cannot write envelope for " + topic, e);
      }
    }

    /**
     * The envelope of a sealed payload written into one array of its exact size, the payload
     * encrypted and Base64-encoded straight into it: the same bytes as {@code
     * Json.MAPPER.writeValueAsBytes(data)} without the copies in between (issue #16). Null when the
     * envelope's JSON does not end with its payload (then the caller writes it the usual way).
     */
    private static byte[] writeSealed(Envelope data, SealedNode sealed) throws IOException {
      byte[] head =
          Json.MAPPER.writeValueAsBytes(
              new Envelope(
                  data.schemaVersion(),
                  data.type(),
                  data.contentHash(),
                  data.producer(),
                  data.encrypted(),
                  com.fasterxml.jackson.databind.node.TextNode.valueOf("")));
      int n = head.length;
      if (n < 3 || head[n - 3] != '"' || head[n - 2] != '"' || head[n - 1] != '}') {
        return null;
      }
      long size = n + sealed.base64Length();
      if (size > Integer.MAX_VALUE - 16) {
        throw new IOException("sealed payload too large: " + size + " bytes");
      }
      byte[] out = new byte[(int) size];
      System.arraycopy(head, 0, out, 0, n - 2);
      Into into = new Into(out, n - 2);
      sealed.writeBase64(into);
      if (into.pos != out.length - 2) {
        throw new IOException(
            "sealed payload wrote " + (into.pos - n + 2) + " bytes, not " + sealed.base64Length());
      }
      out[out.length - 2] = '"';
      out[out.length - 1] = '}';
      return out;
    }

    /** Writes into a fixed array from an offset. */
    private static final class Into extends java.io.OutputStream {
      private final byte[] buf;
      private int pos;

      Into(byte[] buf, int pos) {
        this.buf = buf;
        this.pos = pos;
      }

      @Override
      public void write(int b) throws IOException {
        if (pos >= buf.length - 2) {
          throw new IOException("sealed payload longer than announced");
        }
        buf[pos++] = (byte) b;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (pos + len > buf.length - 2) {
          throw new IOException("sealed payload longer than announced");
        }
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
      }
    }
  }

  /** Reads an envelope from JSON; fails clearly on anything else. */
  public static final class EnvelopeDeserializer implements Deserializer<Envelope> {
    @Override
    public Envelope deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      try {
        Envelope e = Json.MAPPER.readValue(data, Envelope.class);
        if (e.schemaVersion() < 1) {
          throw new SerializationException("envelope without schemaVersion on " + topic);
        }
        return e;
      } catch (IOException | RuntimeException e) {
        if (e instanceof SerializationException se) {
          throw se;
        }
        throw new SerializationException(
            "record on " + topic + " is not an eg4j envelope: " + e.getMessage(), e);
      }
    }

    /**
     * Reads an envelope like {@link #deserialize}, but a payload string that comes after {@code
     * "encrypted": true} (as {@link EnvelopeSerializer} writes it) is decoded from Base64 as it is
     * read, into a binary node of the sealed bytes that {@link SecretBox#openJson} opens: no
     * String, char buffer or second decoding of the whole text in between (issue #16: the xDS IR of
     * a Gateway is one record of up to several MB). Any other payload is read as before.
     */
    public Envelope deserializeSealed(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      try (com.fasterxml.jackson.core.JsonParser p = Json.MAPPER.createParser(data)) {
        if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
          return deserialize(topic, data);
        }
        com.fasterxml.jackson.databind.node.ObjectNode head = Json.MAPPER.createObjectNode();
        com.fasterxml.jackson.databind.JsonNode payload = null;
        boolean encrypted = false;
        while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
          String name = p.currentName();
          com.fasterxml.jackson.core.JsonToken value = p.nextToken();
          if ("payload".equals(name)) {
            if (encrypted && value == com.fasterxml.jackson.core.JsonToken.VALUE_STRING) {
              byte[] sealed = base64String(p, data);
              payload =
                  com.fasterxml.jackson.databind.node.BinaryNode.valueOf(
                      sealed != null
                          ? sealed
                          : p.getBinaryValue(
                              com.fasterxml.jackson.core.Base64Variants.MIME_NO_LINEFEEDS));
            } else {
              payload = Json.MAPPER.readTree(p);
            }
          } else {
            com.fasterxml.jackson.databind.JsonNode v = Json.MAPPER.readTree(p);
            head.set(name, v);
            if ("encrypted".equals(name)) {
              encrypted = v.isBoolean() && v.booleanValue();
            }
          }
        }
        head.putNull("payload");
        Envelope e = Json.MAPPER.treeToValue(head, Envelope.class);
        if (e.schemaVersion() < 1) {
          throw new SerializationException("envelope without schemaVersion on " + topic);
        }
        return new Envelope(
            e.schemaVersion(), e.type(), e.contentHash(), e.producer(), e.encrypted(), payload);
      } catch (IOException | RuntimeException e) {
        if (e instanceof SerializationException se) {
          throw se;
        }
        throw new SerializationException(
            "record on " + topic + " is not an eg4j envelope: " + e.getMessage(), e);
      }
    }

    /**
     * The string token the parser is at, decoded from Base64 straight from the record's bytes
     * (issue #16: Jackson's own decoding appends three bytes at a time to a growing buffer and
     * copies it; {@link java.util.Base64} decodes into one array of the right size), or null when
     * the string holds an escape, which leaves the parser to decode it.
     */
    private static byte[] base64String(com.fasterxml.jackson.core.JsonParser p, byte[] data) {
      long at = p.currentTokenLocation().getByteOffset();
      if (at < 0 || at >= data.length || data[(int) at] != '"') {
        return null;
      }
      int start = (int) at + 1;
      int end = start;
      while (end < data.length && data[end] != '"') {
        if (data[end] == '\\') {
          return null;
        }
        end++;
      }
      if (end >= data.length) {
        return null;
      }
      java.nio.ByteBuffer out =
          java.util.Base64.getDecoder().decode(java.nio.ByteBuffer.wrap(data, start, end - start));
      byte[] a = out.array();
      return out.arrayOffset() == 0 && out.remaining() == a.length
          ? a
          : java.util.Arrays.copyOfRange(
              a, out.arrayOffset() + out.position(), out.arrayOffset() + out.limit());
    }
  }
}
