package io.eg4j.statuswriter.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import java.util.ArrayList;
import java.util.List;

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
   * Inserts the {@code Accepted} condition first in {@code status.conditions} unless an Accepted
   * condition is already there: True with reason Accepted when every listener is valid; with reason
   * ListenersNotValid when some listener is not accepted or is conflicted, True while at least one
   * listener is valid and False when none is.
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
    List<String> invalid = new ArrayList<>();
    int listeners = 0;
    for (JsonNode l : status.path("listeners")) {
      listeners++;
      if (has(l, "Accepted", "False") || has(l, "Conflicted", "True")) {
        invalid.add(l.path("name").asText());
      }
    }
    if (invalid.isEmpty()) {
      conditions.insert(0, accepted(MESSAGE, generation));
      return;
    }
    // Gateway API: a Gateway with invalid (not accepted or conflicted) listeners says so with
    // reason ListenersNotValid, and is accepted only while at least one listener is valid.
    boolean none = invalid.size() == listeners;
    ObjectNode c =
        accepted(
            none
                ? "No listener is valid: " + String.join(", ", invalid)
                : "Listeners not valid: " + String.join(", ", invalid),
            generation);
    c.put("status", none ? "False" : "True");
    c.put("reason", LISTENERS_NOT_VALID);
    conditions.insert(0, c);
  }

  /** The reason of a Gateway whose listeners are not all valid. */
  public static final String LISTENERS_NOT_VALID = "ListenersNotValid";

  private static boolean has(JsonNode listener, String type, String status) {
    for (JsonNode c : listener.path("conditions")) {
      if (type.equals(c.path("type").asText()) && status.equals(c.path("status").asText())) {
        return true;
      }
    }
    return false;
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
