package io.eg4j.watcher.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.model.status.ResourceStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;

/**
 * The status of an object the model cannot read (an enum value or a type this build does not know),
 * so the user sees why it has no effect: {@code Accepted=False} on the object itself for Gateways
 * and classes, on each parent for routes, on each target for policies, as the translator would
 * write it for an invalid object.
 */
public final class InvalidObjectStatus {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final Set<String> ROUTES =
      Set.of("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute");

  private InvalidObjectStatus() {}

  /**
   * The status to publish, or null when the kind has no status eg4j writes.
   *
   * @param kind the object's kind
   * @param object the object as read from the API
   * @param error what the model said
   * @param controllerName our controller name, for route parents and policy ancestors
   */
  public static ResourceStatus of(
      WatchedKind kind, JsonNode object, String error, String controllerName) {
    if (!kind.hasStatus()) {
      return null;
    }
    JsonNode meta = object.path("metadata");
    long generation = meta.path("generation").asLong(0);
    String message = "The object cannot be read by eg4j and has no effect: " + error;
    if (message.length() > 1000) {
      message = message.substring(0, 1000);
    }
    ObjectNode status = F.objectNode();
    if (ROUTES.contains(kind.kind())) {
      ArrayNode parents = status.putArray("parents");
      for (JsonNode ref : object.path("spec").path("parentRefs")) {
        ObjectNode p = parents.addObject();
        p.set("parentRef", ref.deepCopy());
        p.put("controllerName", controllerName);
        p.putArray("conditions")
            .add(condition("Accepted", "UnsupportedValue", message, generation));
      }
    } else if (kind.group().equals(WatchedKind.ENVOY_GATEWAY) && kind.kind().endsWith("Policy")) {
      ArrayNode ancestors = status.putArray("ancestors");
      JsonNode spec = object.path("spec");
      ArrayNode targets = F.arrayNode();
      if (spec.path("targetRef").isObject()) {
        targets.add(spec.path("targetRef"));
      }
      spec.path("targetRefs").forEach(targets::add);
      for (JsonNode t : targets) {
        ObjectNode a = ancestors.addObject();
        ObjectNode ref = a.putObject("ancestorRef");
        ref.put("group", t.path("group").asText(WatchedKind.GATEWAY_API));
        ref.put("kind", t.path("kind").asText("Gateway"));
        ref.put("name", t.path("name").asText());
        ref.put("namespace", meta.path("namespace").asText());
        a.put("controllerName", controllerName);
        a.putArray("conditions").add(condition("Accepted", "Invalid", message, generation));
      }
    } else {
      status.putArray("conditions").add(condition("Accepted", "Invalid", message, generation));
    }
    ResourceKey key =
        new ResourceKey(
            kind.group(),
            kind.kind(),
            meta.path("namespace").asText(""),
            meta.path("name").asText());
    return new ResourceStatus(key, kind.apiVersion(), generation, status);
  }

  private static ObjectNode condition(String type, String reason, String message, long gen) {
    ObjectNode c = F.objectNode();
    c.put("type", type);
    c.put("status", "False");
    c.put("reason", reason);
    c.put("message", message);
    c.put("lastTransitionTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    if (gen > 0) {
      c.put("observedGeneration", gen);
    }
    return c;
  }
}
