package io.eg4j.statuswriter.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;

/**
 * The top-level {@code Accepted} condition of a Gateway. Envoy Gateway's provider sets it, not its
 * translator: the translator's status carries an {@code Accepted} condition only to reject the
 * Gateway. Every status sink (Kubernetes and files) adds it, so a Gateway reads the same wherever
 * its status is written.
 */
public final class GatewayAccepted {
  /** The message Envoy Gateway writes. */
  public static final String MESSAGE = "The Gateway has been scheduled by Envoy Gateway";

  private GatewayAccepted() {}

  /** True for a Gateway API Gateway's key. */
  public static boolean isGateway(ResourceKey key) {
    return "gateway.networking.k8s.io".equals(key.group()) && "Gateway".equals(key.kind());
  }

  /**
   * Inserts {@code Accepted=True} first in {@code status.conditions} unless an Accepted condition
   * is already there.
   *
   * @param status a Gateway's status object, changed in place
   * @param generation the generation the status was computed from, 0 if unknown
   */
  public static void addUnlessRejected(ObjectNode status, long generation) {
    ArrayNode conditions =
        status.path("conditions").isArray()
            ? (ArrayNode) status.get("conditions")
            : status.putArray("conditions");
    for (JsonNode c : conditions) {
      if ("Accepted".equals(c.path("type").asText())) {
        return;
      }
    }
    // The Gateway API's rule for listeners that are not valid: none valid rejects the Gateway,
    // some not valid keeps it Accepted with reason ListenersNotValid.
    int listeners = 0;
    int invalid = 0;
    for (JsonNode l : status.path("listeners")) {
      listeners++;
      for (JsonNode c : l.path("conditions")) {
        if ("Accepted".equals(c.path("type").asText())
            && "False".equals(c.path("status").asText())) {
          invalid++;
          break;
        }
      }
    }
    ObjectNode accepted = accepted(MESSAGE, generation);
    if (listeners > 0 && invalid == listeners) {
      accepted.put("status", "False");
      accepted.put("reason", "ListenersNotValid");
      accepted.put("message", "No listener is valid");
    } else if (invalid > 0) {
      accepted.put("reason", "ListenersNotValid");
      accepted.put("message", "Some listeners are not valid; the valid ones are served");
    }
    conditions.insert(0, accepted);
  }

  /**
   * An {@code Accepted=True} condition, reason Accepted, as Envoy Gateway's provider writes it for
   * Gateways and GatewayClasses.
   *
   * @param message the condition's message
   * @param generation the generation it was computed from, 0 if unknown
   */
  public static ObjectNode accepted(String message, long generation) {
    ObjectNode accepted = JsonNodeFactory.instance.objectNode();
    accepted.put("type", "Accepted");
    accepted.put("status", "True");
    accepted.put("reason", "Accepted");
    accepted.put("message", message);
    if (generation > 0) {
      accepted.put("observedGeneration", generation);
    }
    // Required by the Condition schema; the Kubernetes sink keeps the time of the last transition.
    accepted.put(
        "lastTransitionTime",
        java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
    return accepted;
  }
}
