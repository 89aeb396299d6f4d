package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One Kubernetes object a fleet should have, or should not have.
 *
 * @param apiVersion the object's apiVersion
 * @param kind the object's kind
 * @param namespace the object's namespace
 * @param name the object's name
 * @param body the full object to apply, or null when the object must not exist (delete it)
 */
public record DesiredObject(
    String apiVersion, String kind, String namespace, String name, ObjectNode body) {
  public DesiredObject {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  /** True when the object must be deleted. */
  public boolean isDelete() {
    return body == null;
  }

  /** {@code Kind namespace/name}, for logs. */
  public String describe() {
    return kind + " " + namespace + "/" + name;
  }
}
