package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lenient readers for Kubernetes JSON. Input comes from users and may have any shape, so every
 * accessor returns a default instead of throwing when a field is missing or has the wrong type.
 */
final class Nodes {
  // The compact trees of the bus mapper: statuses and IR fragments live as long as the input.
  static final JsonNodeFactory F = io.eg4j.model.bus.CompactNodeFactory.INSTANCE;

  private Nodes() {}

  /** The text of a scalar field, or null when absent, null or not a scalar. */
  static String text(JsonNode node, String field) {
    if (node == null) {
      return null;
    }
    JsonNode v = node.get(field);
    if (v == null || v.isNull() || v.isContainerNode() || v.isMissingNode()) {
      return null;
    }
    return v.asText();
  }

  /** The text of a scalar field, or {@code def} when absent or empty. */
  static String text(JsonNode node, String field, String def) {
    String s = text(node, field);
    return s == null || s.isEmpty() ? def : s;
  }

  /** An integer field, or null when absent or not a whole number. */
  static Integer integer(JsonNode node, String field) {
    if (node == null) {
      return null;
    }
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isIntegralNumber() && v.canConvertToInt()) {
      return v.intValue();
    }
    if (v.isTextual()) {
      try {
        return Integer.parseInt(v.asText().trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  /** A boolean field, or {@code def}. */
  static boolean bool(JsonNode node, String field, boolean def) {
    if (node == null) {
      return def;
    }
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return def;
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isTextual()) {
      return Boolean.parseBoolean(v.asText());
    }
    return def;
  }

  /** A child object, or a missing node. */
  static JsonNode obj(JsonNode node, String field) {
    if (node == null) {
      return MissingNode.getInstance();
    }
    JsonNode v = node.get(field);
    return v != null && v.isObject() ? v : MissingNode.getInstance();
  }

  /** True when the field holds an object. */
  static boolean has(JsonNode node, String field) {
    return node != null && node.get(field) != null && !node.get(field).isNull();
  }

  /** The elements of an array field (empty when absent or not an array). */
  static List<JsonNode> list(JsonNode node, String field) {
    if (node == null) {
      return List.of();
    }
    JsonNode v = node.get(field);
    if (v == null || !v.isArray()) {
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>(v.size());
    v.forEach(out::add);
    return out;
  }

  /** The text elements of an array field. */
  static List<String> texts(JsonNode node, String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode e : list(node, field)) {
      if (e.isValueNode() && !e.isNull()) {
        out.add(e.asText());
      }
    }
    return out;
  }

  /** A string map field (labels, annotations); non-string values are stringified. */
  static Map<String, String> map(JsonNode node, String field) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode v = node == null ? null : node.get(field);
    if (v != null && v.isObject()) {
      v.fields()
          .forEachRemaining(
              e -> out.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : ""));
    }
    return out;
  }

  static String name(JsonNode o) {
    return text(obj(o, "metadata"), "name", "");
  }

  static String namespace(JsonNode o) {
    return text(obj(o, "metadata"), "namespace", "");
  }

  static long generation(JsonNode o) {
    JsonNode g = obj(o, "metadata").get("generation");
    return g != null && g.canConvertToLong() ? g.asLong() : 0L;
  }

  static String creationTimestamp(JsonNode o) {
    return text(obj(o, "metadata"), "creationTimestamp", "");
  }

  static JsonNode spec(JsonNode o) {
    return obj(o, "spec");
  }

  static ObjectNode object() {
    return F.objectNode();
  }

  static ArrayNode array() {
    return F.arrayNode();
  }
}
