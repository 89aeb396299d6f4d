package io.eg4j.xds.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.UnknownFieldSet;
import com.google.protobuf.util.JsonFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Envoy fields that are newer than the java-control-plane protos eg4j builds with (1.0.49, the
 * newest release), each named here with its message type, field number, JSON name and wire type as
 * Envoy's own protos declare them. eg4j sets them as protobuf unknown fields with their real
 * numbers: protobuf-java keeps and serializes unknown fields, so Envoy, whose descriptors know the
 * field, reads it as if the generated code had set it.
 *
 * <p>eg4j's JSON renderings of xDS ({@link Protos#json}: {@code translate --output xds}, the config
 * dump, the static bootstrap) show these fields under their Envoy JSON names, and a JSON document
 * with them parses back ({@link #merge}, for EnvoyPatchPolicy). When the generated protos catch up
 * a field fails fast ({@link Field#check}): delete its entry here and use the generated setter.
 */
public final class NewerProtoFields {
  private NewerProtoFields() {}

  /** The wire types this class writes; only length-delimited UTF-8 strings so far. */
  public enum Wire {
    STRING
  }

  /**
   * One newer field.
   *
   * @param messageType the full proto name of the message that declares it
   * @param number its field number in Envoy's proto
   * @param jsonName its name in Envoy's JSON (snake case, as eg4j prints)
   * @param wire how its value is encoded
   */
  public record Field(String messageType, int number, String jsonName, Wire wire) {
    /** The same name in camel case, as proto3 JSON also accepts. */
    String camelName() {
      StringBuilder s = new StringBuilder();
      boolean up = false;
      for (char c : jsonName.toCharArray()) {
        if (c == '_') {
          up = true;
        } else {
          s.append(up ? Character.toUpperCase(c) : c);
          up = false;
        }
      }
      return s.toString();
    }

    /** Fails when the message is not this field's, or its generated code now has the number. */
    void check(Descriptor d) {
      if (!d.getFullName().equals(messageType)) {
        throw new IllegalArgumentException(jsonName + " is a field of " + messageType);
      }
      if (d.findFieldByNumber(number) != null) {
        throw new IllegalStateException(
            messageType
                + "."
                + jsonName
                + " is in the generated protos now: remove it from NewerProtoFields");
      }
    }
  }

  /**
   * {@code envoy.config.route.v3.Tracing.operation} (5, string): the name of the route's downstream
   * span (BackendTrafficPolicy {@code telemetry.tracing.spanName.client}).
   */
  public static final Field ROUTE_TRACING_OPERATION =
      new Field("envoy.config.route.v3.Tracing", 5, "operation", Wire.STRING);

  /**
   * {@code envoy.config.route.v3.Tracing.upstream_operation} (6, string): the name of the route's
   * upstream span (BackendTrafficPolicy {@code telemetry.tracing.spanName.server}).
   */
  public static final Field ROUTE_TRACING_UPSTREAM_OPERATION =
      new Field("envoy.config.route.v3.Tracing", 6, "upstream_operation", Wire.STRING);

  private static final String HCM_TRACING =
      "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing";

  /**
   * {@code HttpConnectionManager.Tracing.operation} (11, string): the name of the downstream spans
   * of the connection manager's routes (EnvoyProxy {@code telemetry.tracing.spanName.client}).
   */
  public static final Field HCM_TRACING_OPERATION =
      new Field(HCM_TRACING, 11, "operation", Wire.STRING);

  /**
   * {@code HttpConnectionManager.Tracing.upstream_operation} (12, string): the name of the upstream
   * spans (EnvoyProxy {@code telemetry.tracing.spanName.server}).
   */
  public static final Field HCM_TRACING_UPSTREAM_OPERATION =
      new Field(HCM_TRACING, 12, "upstream_operation", Wire.STRING);

  /** Every newer field eg4j sets. */
  public static final List<Field> ALL =
      List.of(
          ROUTE_TRACING_OPERATION,
          ROUTE_TRACING_UPSTREAM_OPERATION,
          HCM_TRACING_OPERATION,
          HCM_TRACING_UPSTREAM_OPERATION);

  /** Sets a string field on a builder (replacing any value it had). */
  public static <B extends Message.Builder> B setString(B b, Field f, String value) {
    f.check(b.getDescriptorForType());
    UnknownFieldSet.Field v =
        UnknownFieldSet.Field.newBuilder()
            .addLengthDelimited(ByteString.copyFrom(value, StandardCharsets.UTF_8))
            .build();
    b.setUnknownFields(
        UnknownFieldSet.newBuilder(b.getUnknownFields())
            .clearField(f.number())
            .addField(f.number(), v)
            .build());
    return b;
  }

  /** A string field's value, or null when the message does not set it. */
  public static String getString(MessageOrBuilder m, Field f) {
    f.check(m.getDescriptorForType());
    UnknownFieldSet.Field v = m.getUnknownFields().getField(f.number());
    List<ByteString> all = v.getLengthDelimitedList();
    return all.isEmpty() ? null : all.get(all.size() - 1).toStringUtf8();
  }

  private static List<Field> of(Descriptor d) {
    List<Field> out = new ArrayList<>();
    for (Field f : ALL) {
      if (f.messageType().equals(d.getFullName())) {
        out.add(f);
      }
    }
    return out;
  }

  // ---- JSON: rendering -------------------------------------------------------------------------

  /**
   * Adds the newer fields a message (and every message inside it, {@code Any} contents included)
   * sets to its JSON rendering, printed with proto field names; true when it added any.
   */
  static boolean render(Message m, JsonNode json, JsonFormat.TypeRegistry registry) {
    if (!(json instanceof ObjectNode o)) {
      return false;
    }
    if (m instanceof Any any) {
      Message inner = unpack(any, registry);
      return inner != null && render(inner, o, registry);
    }
    if (isWellKnown(m.getDescriptorForType())) {
      return false;
    }
    boolean added = false;
    for (Field f : of(m.getDescriptorForType())) {
      String v = getString(m, f);
      if (v != null) {
        o.put(f.jsonName(), v);
        added = true;
      }
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor fd = e.getKey();
      if (fd.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      JsonNode child = o.get(fd.getName());
      if (child == null) {
        continue;
      }
      if (fd.isMapField()) {
        for (Object entry : (List<?>) e.getValue()) {
          Message me = (Message) entry;
          FieldDescriptor vf = me.getDescriptorForType().findFieldByName("value");
          if (vf.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
            break;
          }
          Object key = me.getField(me.getDescriptorForType().findFieldByName("key"));
          added |= render((Message) me.getField(vf), child.get(String.valueOf(key)), registry);
        }
      } else if (fd.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size() && i < child.size(); i++) {
          added |= render((Message) items.get(i), child.get(i), registry);
        }
      } else {
        added |= render((Message) e.getValue(), child, registry);
      }
    }
    return added;
  }

  // ---- JSON: parsing ---------------------------------------------------------------------------

  /**
   * Merges a JSON document into a builder as {@link JsonFormat#parser()} does, reading the newer
   * fields it names (under their JSON or camel-case names) into unknown fields.
   */
  static void merge(String json, Message.Builder b, JsonFormat.TypeRegistry registry)
      throws InvalidProtocolBufferException {
    JsonNode doc;
    try {
      doc = io.eg4j.model.bus.Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new InvalidProtocolBufferException(e.getMessage());
    }
    JsonNode stripped = doc.deepCopy();
    strip(stripped, b.getDescriptorForType(), registry);
    Message.Builder parsed = b.clone().clear();
    JsonFormat.parser().usingTypeRegistry(registry).merge(stripped.toString(), parsed);
    b.mergeFrom(reapply(parsed.build(), doc, registry));
  }

  private static void strip(JsonNode json, Descriptor d, JsonFormat.TypeRegistry registry) {
    if (!(json instanceof ObjectNode o)) {
      return;
    }
    if (d.getFullName().equals(Any.getDescriptor().getFullName())) {
      Descriptor inner = anyType(o, registry);
      if (inner != null) {
        strip(o, inner, registry);
      }
      return;
    }
    if (isWellKnown(d)) {
      return;
    }
    for (Field f : of(d)) {
      o.remove(f.jsonName());
      o.remove(f.camelName());
    }
    for (FieldDescriptor fd : d.getFields()) {
      if (fd.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      JsonNode child = child(o, fd);
      if (child == null) {
        continue;
      }
      if (fd.isMapField()) {
        FieldDescriptor vf = fd.getMessageType().findFieldByName("value");
        if (vf.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          child.forEach(v -> strip(v, vf.getMessageType(), registry));
        }
      } else if (fd.isRepeated() && child instanceof ArrayNode a) {
        a.forEach(v -> strip(v, fd.getMessageType(), registry));
      } else {
        strip(child, fd.getMessageType(), registry);
      }
    }
  }

  /** The message with the newer fields the JSON names set as unknown fields, all the way down. */
  private static Message reapply(Message m, JsonNode json, JsonFormat.TypeRegistry registry) {
    if (!(json instanceof ObjectNode o)) {
      return m;
    }
    if (m instanceof Any any) {
      Message inner = unpack(any, registry);
      if (inner == null) {
        return m;
      }
      Message changed = reapply(inner, o, registry);
      return changed == inner ? m : any.toBuilder().setValue(changed.toByteString()).build();
    }
    if (isWellKnown(m.getDescriptorForType())) {
      return m;
    }
    Message.Builder b = null;
    for (Field f : of(m.getDescriptorForType())) {
      JsonNode v = o.has(f.jsonName()) ? o.get(f.jsonName()) : o.get(f.camelName());
      if (v != null && !v.isNull()) {
        b = b == null ? m.toBuilder() : b;
        setString(b, f, v.asText());
      }
    }
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor fd = e.getKey();
      if (fd.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      JsonNode child = child(o, fd);
      if (child == null) {
        continue;
      }
      if (fd.isMapField()) {
        List<?> entries = (List<?>) e.getValue();
        List<Object> out = new ArrayList<>();
        boolean changed = false;
        for (Object entry : entries) {
          Message me = (Message) entry;
          Descriptor ed = me.getDescriptorForType();
          FieldDescriptor vf = ed.findFieldByName("value");
          if (vf.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
            out.add(entry);
            continue;
          }
          Message v = (Message) me.getField(vf);
          Message nv =
              reapply(
                  v, child.get(String.valueOf(me.getField(ed.findFieldByName("key")))), registry);
          changed |= nv != v;
          out.add(nv == v ? me : me.toBuilder().setField(vf, nv).build());
        }
        if (changed) {
          b = b == null ? m.toBuilder() : b;
          b.setField(fd, out);
        }
      } else if (fd.isRepeated()) {
        List<?> items = (List<?>) e.getValue();
        List<Object> out = new ArrayList<>();
        boolean changed = false;
        Iterator<JsonNode> it = child.iterator();
        for (Object item : items) {
          JsonNode c = it.hasNext() ? it.next() : null;
          Message nv = reapply((Message) item, c, registry);
          changed |= nv != item;
          out.add(nv);
        }
        if (changed) {
          b = b == null ? m.toBuilder() : b;
          b.setField(fd, out);
        }
      } else {
        Message v = (Message) e.getValue();
        Message nv = reapply(v, child, registry);
        if (nv != v) {
          b = b == null ? m.toBuilder() : b;
          b.setField(fd, nv);
        }
      }
    }
    return b == null ? m : b.build();
  }

  private static JsonNode child(ObjectNode o, FieldDescriptor fd) {
    JsonNode c = o.get(fd.getName());
    return c != null ? c : o.get(fd.getJsonName());
  }

  /** Struct, Value, Duration, wrappers ...: their JSON is not a plain object of their fields. */
  private static boolean isWellKnown(Descriptor d) {
    return d.getFile().getPackage().equals("google.protobuf");
  }

  private static Descriptor anyType(ObjectNode o, JsonFormat.TypeRegistry registry) {
    String url = o.path("@type").asText("");
    int slash = url.lastIndexOf('/');
    return url.isEmpty() ? null : registry.find(url.substring(slash + 1));
  }

  private static Message unpack(Any any, JsonFormat.TypeRegistry registry) {
    String url = any.getTypeUrl();
    Descriptor d = registry.find(url.substring(url.lastIndexOf('/') + 1));
    if (d == null || isWellKnown(d)) {
      return null;
    }
    try {
      return DynamicMessage.parseFrom(d, any.getValue());
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }
}
