package io.eg4j.watcher.k8s;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A Kubernetes label selector in its string form ({@code env=prod,tier!=cache,team in (a,b),
 * !legacy}), matched against a label map. Used for {@code eg4j.watcher.namespace-selector}.
 */
public final class LabelSelectorMatcher implements Predicate<Map<String, String>> {
  private final List<Predicate<Map<String, String>>> requirements;
  private final String text;

  private LabelSelectorMatcher(String text, List<Predicate<Map<String, String>>> requirements) {
    this.text = text;
    this.requirements = requirements;
  }

  /**
   * Parses a selector.
   *
   * @throws IllegalArgumentException when the selector is malformed
   */
  public static LabelSelectorMatcher parse(String selector) {
    List<Predicate<Map<String, String>>> reqs = new ArrayList<>();
    for (String part : splitTopLevel(selector == null ? "" : selector)) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      reqs.add(requirement(p));
    }
    return new LabelSelectorMatcher(selector, List.copyOf(reqs));
  }

  @Override
  public boolean test(Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    for (Predicate<Map<String, String>> r : requirements) {
      if (!r.test(l)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return text;
  }

  private static Predicate<Map<String, String>> requirement(String p) {
    String lower = p.replaceAll("\\s+", " ");
    int notIn = lower.indexOf(" notin ");
    int in = lower.indexOf(" in ");
    if (notIn > 0) {
      String key = lower.substring(0, notIn).trim();
      Set<String> values = values(lower.substring(notIn + 7));
      return l -> !l.containsKey(key) || !values.contains(l.get(key));
    }
    if (in > 0) {
      String key = lower.substring(0, in).trim();
      Set<String> values = values(lower.substring(in + 4));
      return l -> l.containsKey(key) && values.contains(l.get(key));
    }
    if (p.contains("!=")) {
      String[] kv = p.split("!=", 2);
      String key = kv[0].trim();
      String value = kv[1].trim();
      return l -> !value.equals(l.get(key));
    }
    if (p.contains("==") || p.contains("=")) {
      String[] kv = p.contains("==") ? p.split("==", 2) : p.split("=", 2);
      String key = kv[0].trim();
      String value = kv[1].trim();
      return l -> value.equals(l.get(key));
    }
    if (p.startsWith("!")) {
      String key = p.substring(1).trim();
      return l -> !l.containsKey(key);
    }
    if (!p.matches("[A-Za-z0-9./_-]+")) {
      throw new IllegalArgumentException("malformed label selector requirement: " + p);
    }
    return l -> l.containsKey(p);
  }

  private static Set<String> values(String list) {
    String t = list.trim();
    if (!t.startsWith("(") || !t.endsWith(")")) {
      throw new IllegalArgumentException("set-based requirement needs (values): " + list);
    }
    Set<String> out = new java.util.HashSet<>();
    for (String v : t.substring(1, t.length() - 1).split(",")) {
      if (!v.isBlank()) {
        out.add(v.trim());
      }
    }
    return out;
  }

  /** Splits on commas that are not inside parentheses. */
  private static List<String> splitTopLevel(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    StringBuilder cur = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
