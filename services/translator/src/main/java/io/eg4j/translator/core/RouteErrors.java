package io.eg4j.translator.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Route errors grouped by condition type, as Envoy Gateway's {@code TypedErrorCollector} does: one
 * condition per type, whose reason lists the distinct reasons in the order they occurred.
 */
final class RouteErrors {
  /** One error. */
  record RouteError(String type, String reason, String message) {
    static RouteError resolvedRefs(String reason, String message) {
      return new RouteError("ResolvedRefs", reason, message);
    }

    static RouteError accepted(String reason, String message) {
      return new RouteError("Accepted", reason, message);
    }
  }

  private final Map<String, List<RouteError>> byType = new LinkedHashMap<>();

  void add(RouteError e) {
    byType.computeIfAbsent(e.type(), t -> new ArrayList<>()).add(e);
  }

  boolean isEmpty() {
    return byType.isEmpty();
  }

  Set<String> types() {
    return byType.keySet();
  }

  String reason(String type) {
    Set<String> reasons = new java.util.TreeSet<>();
    for (RouteError e : byType.getOrDefault(type, List.of())) {
      reasons.add(e.reason());
    }
    return String.join(",", reasons);
  }

  String message(String type) {
    List<String> msgs = new ArrayList<>();
    for (RouteError e : byType.getOrDefault(type, List.of())) {
      msgs.add(e.message());
    }
    return String.join("; ", msgs);
  }
}
