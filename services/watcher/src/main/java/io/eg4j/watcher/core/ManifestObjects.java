package io.eg4j.watcher.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import java.util.Set;

/** How the file source turns a YAML document into a resource, the way {@code kubectl} would. */
public final class ManifestObjects {
  private ManifestObjects() {}

  /** The namespace a namespaced object without one lands in, as with {@code kubectl apply}. */
  public static final String DEFAULT_NAMESPACE = "default";

  /** Kinds (by {@code group/kind}) that have no namespace. */
  static final Set<String> CLUSTER_SCOPED =
      Set.of(
          "gateway.networking.k8s.io/GatewayClass",
          "/Namespace",
          "/Node",
          "/PersistentVolume",
          "certificates.k8s.io/ClusterTrustBundle",
          "apiextensions.k8s.io/CustomResourceDefinition",
          "rbac.authorization.k8s.io/ClusterRole",
          "rbac.authorization.k8s.io/ClusterRoleBinding");

  /** Whether a kind is cluster-scoped. */
  public static boolean clusterScoped(String group, String kind) {
    return CLUSTER_SCOPED.contains(group + "/" + kind);
  }

  /**
   * Fills in the namespace of a namespaced object that names none, and drops one a cluster-scoped
   * object names, so the key matches what the API server would store.
   *
   * @param object a document with apiVersion, kind and metadata.name; changed in place
   * @return its key
   */
  public static ResourceKey normalize(ObjectNode object) {
    String group = ResourceKey.groupOf(object.path("apiVersion").asText());
    String kind = object.path("kind").asText();
    ObjectNode meta =
        object.path("metadata") instanceof ObjectNode m ? m : object.putObject("metadata");
    if (clusterScoped(group, kind)) {
      meta.remove("namespace");
    } else if (meta.path("namespace").asText("").isEmpty()) {
      meta.put("namespace", DEFAULT_NAMESPACE);
    }
    return new ResourceKey(
        group, kind, meta.path("namespace").asText(""), meta.path("name").asText(""));
  }
}
