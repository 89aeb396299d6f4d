package io.eg4j.statuswriter.k8s;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Computes the status to write from the status on the object and the one the translator published,
 * and tells whether writing it would change anything. Models: Envoy Gateway's status updater (skip
 * when equal ignoring {@code lastTransitionTime}) and Strimzi's {@code StatusDiff}.
 *
 * <ul>
 *   <li>A condition whose {@code status} did not change keeps the {@code lastTransitionTime} it has
 *       on the object (the Kubernetes API conventions: the time the condition last changed status);
 *       a new or flipped condition gets the current time.
 *   <li>Route {@code parents} and policy {@code ancestors} written by other controllers are kept:
 *       several controllers share those lists, each owning its entries by {@code controllerName}.
 * </ul>
 */
public final class StatusDiff {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final Set<String> SHARED_LISTS = Set.of("parents", "ancestors");

  private StatusDiff() {}

  /**
   * The status to write.
   *
   * @param current the object's status now (may be null or missing)
   * @param published the status the translator computed
   * @param controllerName our controller name, to tell our parent entries from others'
   * @param now the time for new transitions
   * @return a new status tree
   */
  public static ObjectNode merge(
      JsonNode current, JsonNode published, String controllerName, Instant now) {
    ObjectNode out = published.isObject() ? ((ObjectNode) published).deepCopy() : F.objectNode();
    JsonNode cur = current == null ? F.objectNode() : current;
    for (String list : SHARED_LISTS) {
      if (out.has(list) || cur.path(list).isArray()) {
        ArrayNode merged = F.arrayNode();
        for (JsonNode e : cur.path(list)) {
          String owner = e.path("controllerName").asText("");
          if (!owner.isEmpty() && !owner.equals(controllerName)) {
            merged.add(e.deepCopy());
          }
        }
        out.path(list).forEach(merged::add);
        if (merged.isEmpty() && !out.has(list)) {
          continue;
        }
        out.set(list, merged);
      }
    }
    keepTransitionTimes(out, cur, now.truncatedTo(ChronoUnit.SECONDS).toString());
    return out;
  }

  /**
   * Sets {@code observedGeneration} on every condition that lacks one, so each condition says which
   * generation of the object it describes.
   */
  public static void fillObservedGeneration(JsonNode status, long generation) {
    if (generation <= 0) {
      return;
    }
    if (status.isObject()) {
      JsonNode conds = status.get("conditions");
      if (conds != null && conds.isArray()) {
        for (JsonNode c : conds) {
          if (c.isObject() && !c.has("observedGeneration")) {
            ((ObjectNode) c).put("observedGeneration", generation);
          }
        }
      }
      status.elements().forEachRemaining(e -> fillObservedGeneration(e, generation));
    } else if (status.isArray()) {
      status.elements().forEachRemaining(e -> fillObservedGeneration(e, generation));
    }
  }

  /** True when the two statuses are equal once every {@code lastTransitionTime} is removed. */
  public static boolean equalIgnoringTransitionTimes(JsonNode a, JsonNode b) {
    return normalize(a).equals(normalize(b));
  }

  /**
   * Without transition times, and with numbers in one representation: a generation read from the
   * API server is an int node, the one we computed a long node, and Jackson's equals tells them
   * apart.
   */
  private static JsonNode normalize(JsonNode n) {
    JsonNode stripped = strip(n == null || n.isNull() ? F.objectNode() : n.deepCopy());
    try {
      return Json.MAPPER.readTree(Json.CANONICAL.writeValueAsString(stripped));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode strip(JsonNode n) {
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      o.remove("lastTransitionTime");
      o.elements().forEachRemaining(StatusDiff::strip);
    } else if (n.isArray()) {
      n.elements().forEachRemaining(StatusDiff::strip);
    }
    return n;
  }

  /**
   * Walks {@code desired} and {@code current} side by side: lists of conditions are matched by
   * {@code type}, and lists of parents/ancestors/listeners by their identity fields, so a condition
   * deep in a route's parent status finds its counterpart on the object.
   */
  private static void keepTransitionTimes(JsonNode desired, JsonNode current, String now) {
    if (!desired.isObject()) {
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = desired.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode d = f.getValue();
      JsonNode c = current == null ? null : current.get(f.getKey());
      if (f.getKey().equals("conditions") && d.isArray()) {
        Map<String, JsonNode> byType = new HashMap<>();
        if (c != null && c.isArray()) {
          c.forEach(x -> byType.put(x.path("type").asText(), x));
        }
        for (JsonNode cond : d) {
          if (!cond.isObject()) {
            continue;
          }
          JsonNode old = byType.get(cond.path("type").asText());
          ObjectNode o = (ObjectNode) cond;
          if (old != null
              && old.path("status").asText().equals(cond.path("status").asText())
              && old.hasNonNull("lastTransitionTime")) {
            o.set("lastTransitionTime", old.get("lastTransitionTime"));
          } else {
            // The translator's clock is not the cluster's: a transition happens when we write it.
            o.put("lastTransitionTime", now);
          }
        }
      } else if (d.isArray()) {
        Map<String, JsonNode> byId = new HashMap<>();
        if (c != null && c.isArray()) {
          c.forEach(x -> byId.put(identity(x), x));
        }
        for (JsonNode e : d) {
          keepTransitionTimes(e, byId.get(identity(e)), now);
        }
      } else if (d.isObject()) {
        keepTransitionTimes(d, c, now);
      }
    }
  }

  /** What identifies an entry of a status list: its name, or its parent/ancestor reference. */
  private static String identity(JsonNode e) {
    if (e.has("parentRef")) {
      return "p:" + e.get("parentRef").toString() + e.path("controllerName").asText();
    }
    if (e.has("ancestorRef")) {
      return "a:" + e.get("ancestorRef").toString() + e.path("controllerName").asText();
    }
    return "n:" + e.path("name").asText();
  }
}
