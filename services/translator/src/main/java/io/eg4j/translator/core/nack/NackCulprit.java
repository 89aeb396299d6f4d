package io.eg4j.translator.core.nack;

import io.eg4j.model.bus.ResourceKey;
import java.util.Objects;

/**
 * The part of one object that Envoy rejected: a Gateway listener, or one rule of a route.
 *
 * @param irKey the IR key whose configuration Envoy rejected
 * @param object the object it comes from: the Gateway (or ListenerSet) of a listener, the HTTPRoute
 *     or GRPCRoute of a rule
 * @param listener the listener name (the section of a Gateway or ListenerSet), or null for a rule
 * @param rule the rule index within the route, or -1 for a listener
 */
public record NackCulprit(String irKey, ResourceKey object, String listener, int rule) {
  public NackCulprit {
    Objects.requireNonNull(irKey, "irKey");
    Objects.requireNonNull(object, "object");
    if ((listener == null) == (rule < 0)) {
      throw new IllegalArgumentException("a culprit is either a listener or a rule");
    }
  }

  /** A Gateway (or ListenerSet) listener. */
  public static NackCulprit listener(String irKey, ResourceKey owner, String listener) {
    return new NackCulprit(irKey, owner, Objects.requireNonNull(listener, "listener"), -1);
  }

  /** One rule of a route. */
  public static NackCulprit rule(String irKey, ResourceKey route, int rule) {
    if (rule < 0) {
      throw new IllegalArgumentException("rule index " + rule);
    }
    return new NackCulprit(irKey, route, null, rule);
  }

  /** True for a listener, false for a rule. */
  public boolean isListener() {
    return listener != null;
  }

  /** What a log line or a metric calls it, e.g. {@code HTTPRoute default/app rule 1}. */
  public String describe() {
    String where = object.kind() + " " + object.namespace() + "/" + object.name();
    return isListener() ? where + " listener " + listener : where + " rule " + rule;
  }
}
