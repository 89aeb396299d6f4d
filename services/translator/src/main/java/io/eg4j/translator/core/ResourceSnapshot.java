package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every resource the translator sees, as Kubernetes JSON, keyed by {@link ResourceKey}. Immutable;
 * a new snapshot is made for each translation.
 */
public final class ResourceSnapshot {
  private final Map<ResourceKey, ObjectNode> objects;

  private ResourceSnapshot(Map<ResourceKey, ObjectNode> objects) {
    this.objects = Collections.unmodifiableMap(objects);
  }

  /** A snapshot of the given objects; a later object with the same key replaces an earlier one. */
  public static ResourceSnapshot of(Collection<ObjectNode> objects) {
    Map<ResourceKey, ObjectNode> map = new TreeMap<>();
    for (ObjectNode o : objects) {
      map.put(keyOf(o), o);
    }
    return new ResourceSnapshot(map);
  }

  /**
   * A snapshot of a key-to-object map, as a consumer of {@code eg4j.resources} keeps it. A map in
   * the keys' natural order ({@code TreeMap}) is copied without comparing keys.
   */
  public static ResourceSnapshot of(Map<ResourceKey, ObjectNode> objects) {
    return new ResourceSnapshot(new TreeMap<>(objects));
  }

  /** The key of a Kubernetes object. */
  public static ResourceKey keyOf(JsonNode o) {
    JsonNode meta = o.path("metadata");
    return ResourceKey.of(
        o.path("apiVersion").asText(),
        o.path("kind").asText(),
        meta.path("namespace").asText(""),
        meta.path("name").asText(""));
  }

  /** All objects, in key order. */
  public Map<ResourceKey, ObjectNode> objects() {
    return objects;
  }

  /** The number of objects. */
  public int size() {
    return objects.size();
  }
}
