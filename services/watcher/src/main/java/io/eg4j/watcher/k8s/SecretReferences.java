package io.eg4j.watcher.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.ResourceKey;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Finds the Secrets and ConfigMaps an object refers to, so the watcher publishes only those
 * (DESIGN.md "watcher": only referenced Secrets and ConfigMaps are published).
 *
 * <p>Rather than a list of field paths per kind, which would miss every field a new Envoy Gateway
 * release adds, it walks the object's spec: any object with a {@code name} and a {@code kind} of
 * Secret or ConfigMap in the core group is a reference, and so is an object with a {@code name} but
 * no kind under a field whose references default to Secrets ({@code certificateRefs}, {@code
 * clientSecret}, {@code credentialRefs}, {@code users} …), as the Gateway API and Envoy Gateway
 * define them. A reference without a namespace is in the referring object's namespace.
 */
public final class SecretReferences {
  /** Fields whose object references are Secrets when they name no kind. */
  private static final Set<String> SECRET_BY_DEFAULT =
      Set.of(
          "certificateRefs",
          "clientSecret",
          "clientIDRef",
          "credentialRefs",
          "users",
          "secretRef",
          "secretRefs",
          "caCertificateRef",
          "clientCertificateRef",
          "password",
          "token");

  private SecretReferences() {}

  /**
   * The Secret and ConfigMap keys {@code object} refers to.
   *
   * @param object the object (with metadata and spec)
   * @return keys of the form {@code /Secret/ns/name} and {@code /ConfigMap/ns/name}
   */
  public static Set<ResourceKey> of(JsonNode object) {
    Set<ResourceKey> out = new HashSet<>();
    String ns = object.path("metadata").path("namespace").asText("");
    walk(object.path("spec"), null, ns, out);
    return out;
  }

  private static void walk(JsonNode node, String field, String ns, Set<ResourceKey> out) {
    if (node.isArray()) {
      for (JsonNode e : node) {
        walk(e, field, ns, out);
      }
      return;
    }
    if (!node.isObject()) {
      return;
    }
    if (node.path("name").isTextual()) {
      String group = node.path("group").asText("");
      String kind = node.path("kind").asText("");
      boolean core = group.isEmpty() || group.equals("core");
      if (core && (kind.equals("Secret") || kind.equals("ConfigMap"))) {
        out.add(ref(kind, node, ns));
      } else if (kind.isEmpty() && field != null && SECRET_BY_DEFAULT.contains(field)) {
        out.add(ref("Secret", node, ns));
      }
    }
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      walk(f.getValue(), f.getKey(), ns, out);
    }
  }

  private static ResourceKey ref(String kind, JsonNode node, String ns) {
    String refNs = node.path("namespace").asText("");
    return new ResourceKey("", kind, refNs.isEmpty() ? ns : refNs, node.path("name").asText());
  }
}
