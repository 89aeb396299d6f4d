package io.eg4j.statuswriter.k8s;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.SupportedFeatures;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.statuswriter.core.GatewayAccepted;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;

/**
 * The status of a GatewayClass of our controller that the translator had nothing to say about:
 * Accepted=True, reason Accepted, "Valid GatewayClass", as Envoy Gateway's provider writes it, with
 * the features eg4j supports ({@code status.supportedFeatures}).
 */
public final class GatewayClassAccepted {
  static final WatchedKind KIND =
      WatchedKind.find(WatchedKind.GATEWAY_API, "GatewayClass").orElseThrow();
  static final String MESSAGE = "Valid GatewayClass";

  private GatewayClassAccepted() {}

  static boolean isGatewayClass(ResourceKey key) {
    return KIND.group().equals(key.group()) && KIND.kind().equals(key.kind());
  }

  /** The Accepted status of {@code gc}, or null when another controller owns it. */
  static ResourceStatus of(GenericKubernetesResource gc, String controllerName) {
    Object spec = gc.getAdditionalProperties().get("spec");
    String controller = Json.MAPPER.valueToTree(spec).path("controllerName").asText("");
    if (!controller.equals(controllerName)) {
      return null;
    }
    long generation =
        gc.getMetadata().getGeneration() == null ? 0 : gc.getMetadata().getGeneration();
    ObjectNode status = JsonNodeFactory.instance.objectNode();
    status.putArray("conditions").add(GatewayAccepted.accepted(MESSAGE, generation));
    status.set("supportedFeatures", SupportedFeatures.toJson());
    return new ResourceStatus(
        new ResourceKey(KIND.group(), KIND.kind(), "", gc.getMetadata().getName()),
        KIND.apiVersion(),
        generation,
        status);
  }
}
