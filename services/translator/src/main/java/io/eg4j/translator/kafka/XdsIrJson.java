package io.eg4j.translator.kafka;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.SecretValues;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The canonical JSON of xDS IRs ({@link ContentHash#canonicalJson}, byte for byte), written with
 * the routes that did not change since the last IR of the same key copied from that IR's bytes
 * instead of serialized again (issue #16: at a thousand routes, writing the whole IR for every
 * change that adds one route was the publisher's largest cost).
 *
 * <p>A route is unchanged when the last IR of its key had a route of the same name that is equal to
 * it ({@code HttpRouteIr} is a record of records, lists and sorted maps: equal routes write equal
 * JSON). Its bytes are those {@link ContentHash#canonicalJson} writes for the route alone: a record
 * nested in a list is written as it is at the root, and the generator puts the separators around
 * it.
 *
 * <p>It also counts the secret values ({@link io.eg4j.model.bus.SecretMaterial}) each write holds,
 * and writes the same IR with them sealed one by one ({@link #writeSealedValues}: the document the
 * publisher compresses), copying the routes that hold none, and each route's sealed form once.
 *
 * <p>Per IR key, only what the last write used is kept: the bytes of each route once (about the
 * size of its JSON) and the route instance of the newest IR, which the publisher holds anyway.
 * {@link #retain} drops the keys that are gone. Used on the publisher's thread only.
 */
final class XdsIrJson {
  private static final Object PASS = new Object();
  private static final Object SEAL = new Object();

  private static final ObjectWriter REUSING =
      ContentHash.canonicalValues()
          .addModule(new SimpleModule("eg4j-route-bytes").addSerializer(new RouteSerializer()))
          .build()
          .writer();

  /**
   * The bytes of one route, and the newest route they were found to be the JSON of; the number of
   * secret values in it, and its JSON with them sealed once asked for.
   */
  private static final class Kept {
    HttpRouteIr route;
    final byte[] json;
    final int secrets;
    byte[] sealed;

    Kept(HttpRouteIr route, byte[] json, int secrets) {
      this.route = route;
      this.json = json;
      this.secrets = secrets;
    }
  }

  /**
   * One write: the routes kept from the key's last write, and those this one uses, by name. A name
   * is usually one route; it is more when a route is on several listeners of the IR, where it may
   * differ (a redirect's port is its listener's).
   */
  private static final class Pass {
    final Map<String, Kept[]> last;
    final Map<String, Kept[]> used = new HashMap<>();
    int reused;
    int written;
    int secrets;

    Pass(Map<String, Kept[]> last) {
      this.last = last;
    }

    byte[] json(HttpRouteIr route) {
      Kept k = find(last.get(route.name()), route);
      if (k != null) {
        k.route = route;
        reused++;
      } else {
        SecretValues.Seen seen = new SecretValues.Seen();
        k =
            new Kept(
                route,
                ContentHash.canonicalJson(route, SecretValues.Seen.class, seen),
                seen.count());
        written++;
      }
      secrets += k.secrets;
      used.merge(route.name(), new Kept[] {k}, Pass::append);
      return k.json;
    }

    static Kept find(Kept[] kept, HttpRouteIr route) {
      if (kept != null) {
        for (Kept k : kept) {
          if (k.route == route || k.route.equals(route)) {
            return k;
          }
        }
      }
      return null;
    }

    private static Kept[] append(Kept[] a, Kept[] b) {
      Kept[] out = java.util.Arrays.copyOf(a, a.length + b.length);
      System.arraycopy(b, 0, out, a.length, b.length);
      return out;
    }
  }

  private final Map<String, Map<String, Kept[]>> byKey = new HashMap<>();
  private final Map<String, Integer> secretsByKey = new HashMap<>();
  private int lastReused;
  private int lastWritten;

  /** The canonical JSON of an IR published under {@code key}. */
  byte[] write(String key, XdsIr ir) {
    Pass pass = new Pass(byKey.getOrDefault(key, Map.of()));
    SecretValues.Seen outside = new SecretValues.Seen();
    byte[] json;
    try {
      json =
          REUSING
              .withAttribute(PASS, pass)
              .withAttribute(SecretValues.Seen.class, outside)
              .writeValueAsBytes(ir);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write value", e);
    }
    byKey.put(key, pass.used);
    secretsByKey.put(key, outside.count() + pass.secrets);
    lastReused = pass.reused;
    lastWritten = pass.written;
    return json;
  }

  /** The number of secret values the last write of {@code key} held. */
  int secretValues(String key) {
    return secretsByKey.getOrDefault(key, 0);
  }

  /**
   * The IR last written under {@code key}, with each secret value sealed by {@code box}: {@code
   * ContentHash.canonicalJson(ir, SecretBox.class, box)}, byte for byte. Routes without secret
   * values are copied from the last write; a route with some is sealed once and kept so.
   */
  byte[] writeSealedValues(String key, XdsIr ir, SecretBox box) {
    Map<String, Kept[]> kept = byKey.getOrDefault(key, Map.of());
    try {
      return REUSING
          .withAttribute(SEAL, kept)
          .withAttribute(SecretBox.class, box)
          .writeValueAsBytes(ir);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write value", e);
    }
  }

  /**
   * The document a sealed xDS IR's payload compresses, for the IR just written under {@code key} as
   * {@code plain}: {@code plain} itself when it holds no secret value, else {@link
   * #writeSealedValues}.
   */
  byte[] compressible(String key, XdsIr ir, byte[] plain, SecretBox box) {
    return secretValues(key) == 0 ? plain : writeSealedValues(key, ir, box);
  }

  /** Drops what is kept for the keys not in {@code keys} (their IRs are gone). */
  void retain(java.util.Set<String> keys) {
    byKey.keySet().retainAll(keys);
    secretsByKey.keySet().retainAll(keys);
  }

  /** The number of keys something is kept for (for tests). */
  int keys() {
    return byKey.size();
  }

  /** How many routes the last write copied, and how many it serialized (for tests). */
  int[] lastCounts() {
    return new int[] {lastReused, lastWritten};
  }

  /** Writes a route as the kept bytes of the current write ({@link Pass}). */
  private static final class RouteSerializer extends StdSerializer<HttpRouteIr> {
    RouteSerializer() {
      super(HttpRouteIr.class);
    }

    @Override
    public void serialize(HttpRouteIr route, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      byte[] json;
      if (provider.getAttribute(SEAL) instanceof Map<?, ?> kept
          && provider.getAttribute(SecretBox.class) instanceof SecretBox box) {
        @SuppressWarnings("unchecked")
        Kept k = Pass.find(((Map<String, Kept[]>) kept).get(route.name()), route);
        if (k == null) {
          json = ContentHash.canonicalJson(route, SecretBox.class, box);
        } else if (k.secrets == 0) {
          json = k.json;
        } else {
          if (k.sealed == null) {
            k.sealed = ContentHash.canonicalJson(route, SecretBox.class, box);
          }
          json = k.sealed;
        }
      } else if (provider.getAttribute(PASS) instanceof Pass pass) {
        json = pass.json(route);
      } else {
        json = ContentHash.canonicalJson(route);
      }
      gen.writeRawValue(new Utf8(json));
    }
  }

  /**
   * Bytes that are already JSON, for {@link JsonGenerator#writeRawValue(SerializableString)}: the
   * UTF-8 generator copies them as they are. Only the unquoted forms are ever asked for.
   */
  private record Utf8(byte[] bytes) implements SerializableString {
    @Override
    public String getValue() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public int charLength() {
      return getValue().length();
    }

    @Override
    public char[] asQuotedChars() {
      throw new UnsupportedOperationException();
    }

    @Override
    public byte[] asUnquotedUTF8() {
      return bytes;
    }

    @Override
    public byte[] asQuotedUTF8() {
      throw new UnsupportedOperationException();
    }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int offset) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int appendQuoted(char[] buffer, int offset) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int offset) {
      if (offset + bytes.length > buffer.length) {
        return -1;
      }
      System.arraycopy(bytes, 0, buffer, offset, bytes.length);
      return bytes.length;
    }

    @Override
    public int appendUnquoted(char[] buffer, int offset) {
      String s = getValue();
      if (offset + s.length() > buffer.length) {
        return -1;
      }
      s.getChars(0, s.length(), buffer, offset);
      return s.length();
    }

    @Override
    public int writeQuotedUTF8(OutputStream out) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int writeUnquotedUTF8(OutputStream out) throws IOException {
      out.write(bytes);
      return bytes.length;
    }

    @Override
    public int putQuotedUTF8(ByteBuffer buffer) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int putUnquotedUTF8(ByteBuffer out) {
      if (bytes.length > out.remaining()) {
        return -1;
      }
      out.put(bytes);
      return bytes.length;
    }
  }
}
