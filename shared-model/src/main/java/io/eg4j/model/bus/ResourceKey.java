package io.eg4j.model.bus;

import java.util.Objects;

/**
 * The key of a resource on {@code eg4j.resources} and {@code eg4j.status}: {@code
 * group/kind/namespace/name}. The core group is written as empty, and so is the namespace of a
 * cluster-scoped object, so {@code /Service/default/web} and {@code
 * gateway.networking.k8s.io/GatewayClass//eg}.
 *
 * @param group API group, empty for the core group
 * @param kind kind
 * @param namespace namespace, empty for cluster-scoped kinds
 * @param name name
 */
public record ResourceKey(String group, String kind, String namespace, String name)
    implements Comparable<ResourceKey> {

  public ResourceKey {
    group = group == null ? "" : group;
    namespace = namespace == null ? "" : namespace;
    Objects.requireNonNull(kind, "kind");
    name = name == null ? "" : name;
  }

  /** Builds a key from an apiVersion such as {@code gateway.networking.k8s.io/v1} or {@code v1}. */
  public static ResourceKey of(String apiVersion, String kind, String namespace, String name) {
    return new ResourceKey(groupOf(apiVersion), kind, namespace, name);
  }

  /** The group part of an apiVersion, empty for the core group. */
  public static String groupOf(String apiVersion) {
    if (apiVersion == null) {
      return "";
    }
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  /** Parses the string form. */
  public static ResourceKey parse(String text) {
    String[] parts = text.split("/", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("resource key needs group/kind/namespace/name: " + text);
    }
    return new ResourceKey(parts[0], parts[1], parts[2], parts[3]);
  }

  @Override
  public String toString() {
    return group + "/" + kind + "/" + namespace + "/" + name;
  }

  @Override
  public int compareTo(ResourceKey o) {
    return toString().compareTo(o.toString());
  }
}
