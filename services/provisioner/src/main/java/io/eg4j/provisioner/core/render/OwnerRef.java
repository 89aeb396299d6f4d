package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * The object that owns a fleet, written as an owner reference on every object of the fleet so that
 * Kubernetes' garbage collector removes the fleet with its owner. A namespaced object may only be
 * owned by an object of the same namespace or by a cluster-scoped one, so this is the Gateway in
 * gateway-namespace mode and the GatewayClass otherwise, as in Envoy Gateway.
 *
 * @param apiVersion the owner's apiVersion
 * @param kind the owner's kind
 * @param name the owner's name
 * @param uid the owner's uid
 */
public record OwnerRef(String apiVersion, String kind, String name, String uid) {
  public OwnerRef {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }

  /** Adds this owner as the {@code ownerReferences} of an object's {@code metadata}. */
  public void writeTo(ObjectNode metadata) {
    ObjectNode ref = metadata.putArray("ownerReferences").addObject();
    ref.put("apiVersion", apiVersion);
    ref.put("kind", kind);
    ref.put("name", name);
    ref.put("uid", uid);
  }
}
