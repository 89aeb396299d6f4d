package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A Kubernetes {@code metav1.LabelSelector}: matchLabels plus matchExpressions, all ANDed. */
final class LabelSelector {
  private record Requirement(String key, String operator, List<String> values) {}

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    this.requirements = requirements;
  }

  /**
   * Parses a selector.
   *
   * @throws IllegalArgumentException when an operator is unknown or values do not fit it
   */
  static LabelSelector parse(JsonNode selector) {
    List<Requirement> reqs = new ArrayList<>();
    Nodes.map(selector, "matchLabels")
        .forEach((k, v) -> reqs.add(new Requirement(k, "In", List.of(v))));
    for (JsonNode e : Nodes.list(selector, "matchExpressions")) {
      String key = Nodes.text(e, "key", "");
      String op = Nodes.text(e, "operator", "");
      List<String> values = Nodes.texts(e, "values");
      if (key.isEmpty()) {
        throw new IllegalArgumentException("label selector requirement needs a key");
      }
      switch (op) {
        case "In", "NotIn" -> {
          if (values.isEmpty()) {
            throw new IllegalArgumentException("values must be non-empty for operator " + op);
          }
        }
        case "Exists", "DoesNotExist" -> {
          if (!values.isEmpty()) {
            throw new IllegalArgumentException("values must be empty for operator " + op);
          }
        }
        default ->
            throw new IllegalArgumentException(
                "\"" + op + "\" is not a valid label selector operator");
      }
      reqs.add(new Requirement(key, op, values));
    }
    return new LabelSelector(reqs);
  }

  boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) {
      String v = labels.get(r.key);
      boolean ok =
          switch (r.operator) {
            case "In" -> v != null && r.values.contains(v);
            case "NotIn" -> v == null || !r.values.contains(v);
            case "Exists" -> v != null;
            case "DoesNotExist" -> v == null;
            default -> false;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
