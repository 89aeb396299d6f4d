package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;

/**
 * An ordered list of conditions with at most one per type; setting a type again replaces it in
 * place, as Kubernetes' {@code meta.SetStatusCondition} does.
 */
public final class Conditions {
  private final List<Condition> list = new ArrayList<>();

  /** Sets (adds or replaces) the condition of its type. */
  public void set(Condition c) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).type().equals(c.type())) {
        list.set(i, c);
        return;
      }
    }
    list.add(c);
  }

  /** Sets a condition only when none of its type is present yet. */
  public void setIfAbsent(Condition c) {
    if (get(c.type()) == null) {
      list.add(c);
    }
  }

  /** The condition of a type, or null. */
  public Condition get(String type) {
    for (Condition c : list) {
      if (c.type().equals(type)) {
        return c;
      }
    }
    return null;
  }

  /** True when a condition of this type has this status. */
  public boolean has(String type, String status) {
    Condition c = get(type);
    return c != null && c.status().equals(status);
  }

  /** Removes a type. */
  public void remove(String type) {
    list.removeIf(c -> c.type().equals(type));
  }

  /** True when empty. */
  public boolean isEmpty() {
    return list.isEmpty();
  }

  /** The conditions, in insertion order. */
  public List<Condition> all() {
    return List.copyOf(list);
  }

  /** Clears all conditions. */
  public void clear() {
    list.clear();
  }

  ArrayNode toJson(long generation, String time) {
    ArrayNode a = Nodes.array();
    for (Condition c : list) {
      a.add(c.toJson(generation, time));
    }
    return a;
  }
}
