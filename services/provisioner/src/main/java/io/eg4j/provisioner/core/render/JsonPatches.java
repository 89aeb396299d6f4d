package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two patch types an EnvoyProxy's {@code patch} fields take ({@code JSONMerge} and {@code
 * StrategicMerge}), applied to a rendered object without an API server.
 */
public final class JsonPatches {
  private JsonPatches() {}

  /**
   * Applies an RFC 7386 JSON merge patch: objects merge key by key, null removes a key, anything
   * else replaces.
   *
   * @param target the document (not modified)
   * @param patch the merge patch
   * @return the patched document
   */
  public static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    return merge(target, patch, false);
  }

  /**
   * Applies a strategic merge patch the way the API server does for the lists that matter in a pod
   * template: lists of objects that carry a {@code name} (containers, env, ports, volumes, volume
   * mounts) merge element by element on that name; every other list is replaced. Directives such as
   * {@code $patch} are not supported and are copied as fields.
   *
   * @param target the document (not modified)
   * @param patch the patch
   * @return the patched document
   */
  public static JsonNode strategicMergePatch(JsonNode target, JsonNode patch) {
    return merge(target, patch, true);
  }

  private static JsonNode merge(JsonNode target, JsonNode patch, boolean strategic) {
    if (patch == null || patch.isMissingNode()) {
      return target == null ? null : target.deepCopy();
    }
    if (strategic
        && patch.isArray()
        && target != null
        && target.isArray()
        && byName((ArrayNode) patch)) {
      return mergeByName((ArrayNode) target, (ArrayNode) patch);
    }
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode out =
        target != null && target.isObject()
            ? ((ObjectNode) target).deepCopy()
            : JsonNodeFactory.instance.objectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      if (f.getValue().isNull()) {
        out.remove(f.getKey());
      } else {
        out.set(f.getKey(), merge(out.get(f.getKey()), f.getValue(), strategic));
      }
    }
    return out;
  }

  private static boolean byName(ArrayNode list) {
    if (list.isEmpty()) {
      return false;
    }
    for (JsonNode e : list) {
      if (!e.isObject() || !e.path("name").isTextual()) {
        return false;
      }
    }
    return true;
  }

  private static ArrayNode mergeByName(ArrayNode target, ArrayNode patch) {
    Map<String, JsonNode> merged = new LinkedHashMap<>();
    for (JsonNode e : target) {
      merged.put(e.path("name").asText(), e);
    }
    for (JsonNode e : patch) {
      String name = e.path("name").asText();
      merged.put(name, merge(merged.get(name), e, true));
    }
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    merged.values().forEach(out::add);
    return out;
  }
}
