package io.eg4j.xds.kafka;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;

/**
 * Binds the JSON of an xDS IR reusing, per IR key, the route IRs of that key's last record whose
 * bytes are the same (issue #16). Every change is a new record of the whole IR; one route changed
 * among thousands leaves the others' JSON byte for byte as it was, so they come back as the very
 * instances the last record gave, without being bound again, and the translators after the reader
 * find them by identity instead of comparing them deeply.
 *
 * <p>A route's span is the byte range of its JSON object in the decrypted record; it is looked up
 * by its SHA-256 and length, so nothing of the record's bytes is kept (about 100 bytes per route:
 * the key and a map entry; the route IRs themselves are the ones the last IR holds anyway). Only
 * the spans of each key's last successful read are kept: a read that fails keeps the ones before
 * it, a tombstone drops them ({@link #forget}). Same bytes bind to equal records (a route IR is a
 * function of its JSON), so a reused instance is always what binding would have given.
 *
 * <p>One consumer thread reads; {@link #keys} may be read from another.
 */
public final class IrReuse {
  /** The reader that reuses: {@link Json#MAPPER} with route IRs bound through {@link Reusing}. */
  private static final ObjectReader REUSING;

  /** Binds one route IR that was not reused, from its span. */
  private static final ObjectReader ROUTE = Json.MAPPER.readerFor(HttpRouteIr.class);

  static {
    SimpleModule m = new SimpleModule("eg4j-ir-reuse");
    m.setDeserializerModifier(
        new BeanDeserializerModifier() {
          @Override
          public JsonDeserializer<?> modifyDeserializer(
              DeserializationConfig config, BeanDescription desc, JsonDeserializer<?> d) {
            return desc.getBeanClass() == HttpRouteIr.class ? new Reusing(d) : d;
          }
        });
    ObjectMapper mapper = Json.MAPPER.copy().registerModule(m);
    REUSING = mapper.readerFor(XdsIr.class);
  }

  /** Per IR key, the route IRs of its last record by their span. */
  private final Map<String, Map<Span, HttpRouteIr>> last =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Binds the decrypted JSON of a record of IR key {@code key}, reusing the route IRs of that key's
   * last record whose bytes are the same. What is kept for the key is replaced only when binding
   * succeeds; the caller checks the IR's key and calls {@link #keep} then. {@code box} opens the
   * secret values sealed inside the record ({@link io.eg4j.model.bus.SecretValues}).
   */
  Bound bind(String key, byte[] json, io.eg4j.model.bus.SecretBox box) throws IOException {
    Spans s = new Spans(json, last.getOrDefault(key, Map.of()), box);
    XdsIr ir =
        REUSING
            .withAttribute(Spans.class, s)
            .withAttribute(io.eg4j.model.bus.SecretBox.class, box)
            .readValue(json);
    return new Bound(ir, s.now);
  }

  /** Keeps the spans of a read as the key's last. */
  void keep(String key, Bound b) {
    last.put(key, b.spans());
  }

  /** Drops what is kept for a key (its tombstone: the Gateway is gone). */
  void forget(String key) {
    last.remove(key);
  }

  /** The keys something is kept for (for tests). */
  java.util.Set<String> keys() {
    return java.util.Set.copyOf(last.keySet());
  }

  /** The route IRs kept for a key (for tests). */
  java.util.Collection<HttpRouteIr> kept(String key) {
    return last.getOrDefault(key, Map.of()).values();
  }

  /**
   * An IR bound and the spans of its route IRs.
   *
   * @param ir the IR
   * @param spans its route IRs by span
   */
  record Bound(XdsIr ir, Map<Span, HttpRouteIr> spans) {}

  /**
   * A span's SHA-256 and length. A class, not a record: a record's equals and hashCode go through
   * method handles, which showed in a profile at thousands of lookups per change.
   */
  static final class Span {
    private final long h0;
    private final long h1;
    private final long h2;
    private final long h3;
    private final int length;

    Span(byte[] sha256, int length) {
      ByteBuffer d = ByteBuffer.wrap(sha256);
      this.h0 = d.getLong();
      this.h1 = d.getLong();
      this.h2 = d.getLong();
      this.h3 = d.getLong();
      this.length = length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Span s
          && h0 == s.h0
          && h1 == s.h1
          && h2 == s.h2
          && h3 == s.h3
          && length == s.length;
    }

    @Override
    public int hashCode() {
      return (int) h0; // a slice of a cryptographic hash
    }
  }

  /** One read: the record's bytes, the spans kept from the last record and those of this one. */
  private static final class Spans {
    private final byte[] json;
    private final ObjectReader route;
    private final Map<Span, HttpRouteIr> before;
    private final Map<Span, HttpRouteIr> now = new HashMap<>();
    private final MessageDigest sha256;

    Spans(byte[] json, Map<Span, HttpRouteIr> before, io.eg4j.model.bus.SecretBox box) {
      this.json = json;
      this.route = ROUTE.withAttribute(io.eg4j.model.bus.SecretBox.class, box);
      this.before = before;
      try {
        this.sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The route IR of the span {@code [start, end)}: last record's if its bytes were there. */
    HttpRouteIr route(int start, int end) throws IOException {
      sha256.update(json, start, end - start);
      Span k = new Span(sha256.digest(), end - start);
      HttpRouteIr r = now.get(k);
      if (r == null) {
        r = before.get(k);
        if (r == null) {
          r = route.readValue(json, start, end - start);
        }
        now.put(k, r);
      }
      return r;
    }
  }

  /**
   * The route IR deserializer: skips a route's object to find its span, and takes the route IR for
   * it from {@link Spans}; binds as usual when not reading through {@link #bind}.
   */
  private static final class Reusing extends DelegatingDeserializer {
    private static final long serialVersionUID = 1L;

    Reusing(JsonDeserializer<?> d) {
      super(d);
    }

    @Override
    protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> d) {
      return new Reusing(d);
    }

    @Override
    public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      Object attr = ctxt.getAttribute(Spans.class);
      if (!(attr instanceof Spans s) || !p.hasToken(JsonToken.START_OBJECT)) {
        return super.deserialize(p, ctxt);
      }
      long start = p.currentTokenLocation().getByteOffset();
      p.skipChildren();
      long end = p.currentTokenLocation().getByteOffset() + 1;
      if (start < 0 || end <= start || end > s.json.length) {
        // Only a parser over the record's bytes gives byte offsets, and bind always uses one.
        throw new IllegalStateException("no byte offsets for a route IR at " + start);
      }
      return s.route((int) start, (int) end);
    }
  }
}
