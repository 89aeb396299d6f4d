package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One status condition as the Gateway API defines it ({@code metav1.Condition}).
 *
 * @param type condition type, such as Accepted
 * @param status "True", "False" or "Unknown"
 * @param reason a CamelCase reason
 * @param message a human readable message
 */
public record Condition(String type, String status, String reason, String message) {
  /** A condition with status True. */
  public static Condition isTrue(String type, String reason, String message) {
    return new Condition(type, "True", reason, message);
  }

  /** A condition with status False. */
  public static Condition isFalse(String type, String reason, String message) {
    return new Condition(type, "False", reason, message);
  }

  boolean is(String t, String s) {
    return type.equals(t) && status.equals(s);
  }

  ObjectNode toJson(long generation, String time) {
    ObjectNode n = Nodes.object();
    n.put("type", type);
    n.put("status", status);
    n.put("reason", reason);
    n.put("message", message == null ? "" : message);
    n.put("lastTransitionTime", time);
    if (generation > 0) {
      n.put("observedGeneration", generation);
    }
    return n;
  }
}
