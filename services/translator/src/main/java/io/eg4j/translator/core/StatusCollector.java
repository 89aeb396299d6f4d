package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status accessor: processors record conditions here while they work and nothing is written to
 * the resources themselves; {@link #commit} turns everything into {@link ResourceStatus} values
 * once, at the end of a translation (model: Contour's {@code internal/status/cache.go}).
 */
public final class StatusCollector {
  private final Map<ResourceKey, Entry> entries = new LinkedHashMap<>();

  /**
   * Entries by the very object they were asked for: processors ask for the same route or Gateway
   * many times per translation, and building its key and looking it up by key was a tenth of a
   * translation of 1,000 routes. Keys still decide identity (two objects with one key share an
   * entry); this only skips rebuilding the key for an object already seen.
   */
  private final Map<JsonNode, Entry> byObject = new IdentityHashMap<>();

  /** The status of one resource under construction. */
  public static final class Entry {
    final ResourceKey key;
    final String apiVersion;
    final long generation;

    /** Top-level conditions (GatewayClass, Gateway, ListenerSet, Backend). */
    public final Conditions conditions = new Conditions();

    /** Listener statuses by name (Gateway, ListenerSet), in spec order. */
    public final Map<String, ListenerStatus> listeners = new LinkedHashMap<>();

    /**
     * ListenerSets attached to a Gateway (accepted ones), counted by the ListenerSet processor;
     * reported when above 0 (the API reads an absent count as 0).
     */
    public int attachedListenerSets;

    /** A GatewayClass's {@code status.supportedFeatures}, or null for none. */
    public com.fasterxml.jackson.databind.node.ArrayNode supportedFeatures;

    /** Route parent statuses. */
    public final List<RefStatus> parents = new ArrayList<>();

    /** Policy ancestor statuses. */
    public final List<RefStatus> ancestors = new ArrayList<>();

    boolean emitConditions;
    boolean emitListeners;
    boolean emitParents;
    boolean emitAncestors;

    Entry(ResourceKey key, String apiVersion, long generation) {
      this.key = key;
      this.apiVersion = apiVersion;
      this.generation = generation;
    }

    /** The key. */
    public ResourceKey key() {
      return key;
    }

    /** Marks the top-level conditions for output even when empty. */
    public Entry withConditions() {
      emitConditions = true;
      return this;
    }

    /** Marks listeners for output. */
    public Entry withListeners() {
      emitListeners = true;
      return this;
    }

    /** The parent status for a ref, created on first use. */
    public RefStatus parent(ObjectNode ref, String normalizedKey, String controller) {
      emitParents = true;
      for (RefStatus p : parents) {
        if (p.normalizedKey.equals(normalizedKey) && p.controllerName.equals(controller)) {
          return p;
        }
      }
      RefStatus p = new RefStatus(ref, normalizedKey, controller);
      parents.add(p);
      return p;
    }

    /** The ancestor status for a ref, created on first use. */
    public RefStatus ancestor(ObjectNode ref, String normalizedKey, String controller) {
      emitAncestors = true;
      for (RefStatus p : ancestors) {
        if (p.normalizedKey.equals(normalizedKey) && p.controllerName.equals(controller)) {
          return p;
        }
      }
      RefStatus p = new RefStatus(ref, normalizedKey, controller);
      ancestors.add(p);
      return p;
    }
  }

  /** A listener's status. */
  public static final class ListenerStatus {
    final String name;

    /** The number of routes attached. */
    public int attachedRoutes;

    /** Supported kinds as group/kind pairs. */
    public final List<String[]> supportedKinds = new ArrayList<>();

    /** Conditions. */
    public final Conditions conditions = new Conditions();

    ListenerStatus(String name) {
      this.name = name;
    }
  }

  /** A route parent or policy ancestor status. */
  public static final class RefStatus {
    final ObjectNode ref;
    final String normalizedKey;
    final String controllerName;

    /** Conditions. */
    public final Conditions conditions = new Conditions();

    RefStatus(ObjectNode ref, String normalizedKey, String controllerName) {
      this.ref = ref;
      this.normalizedKey = normalizedKey;
      this.controllerName = controllerName;
    }
  }

  /** The entry of an object, created on first use. */
  public Entry entry(JsonNode obj) {
    Entry seen = byObject.get(obj);
    if (seen != null) {
      return seen;
    }
    ResourceKey key = ResourceSnapshot.keyOf(obj);
    Entry e =
        entries.computeIfAbsent(
            key, k -> new Entry(k, Nodes.text(obj, "apiVersion", ""), Nodes.generation(obj)));
    byObject.put(obj, e);
    return e;
  }

  /** The entry of an object if one was created. */
  public Entry find(JsonNode obj) {
    Entry seen = byObject.get(obj);
    return seen != null ? seen : entries.get(ResourceSnapshot.keyOf(obj));
  }

  /** Adds or returns the listener status of an entry. */
  public static ListenerStatus listener(Entry e, String name) {
    return listener(e, name, name);
  }

  /**
   * Adds or returns the listener status kept under {@code key}, reported with {@code name}: two
   * listeners that share a name (the CRD refuses it, a manifest may still carry it) keep one status
   * each, in spec order, as Envoy Gateway reports them.
   */
  public static ListenerStatus listener(Entry e, String key, String name) {
    e.emitListeners = true;
    return e.listeners.computeIfAbsent(key, k -> new ListenerStatus(name));
  }

  /** The Gateway API caps policy ancestors at 16. */
  static final int MAX_ANCESTORS = 16;

  /**
   * Keeps at most {@link #MAX_ANCESTORS} ancestors, in a stable order by reference, and marks the
   * last one kept Aggregated so a reader knows others were left out (as Envoy Gateway does).
   */
  private static List<RefStatus> truncate(List<RefStatus> ancestors) {
    if (ancestors.size() <= MAX_ANCESTORS) {
      return ancestors;
    }
    List<RefStatus> sorted = new ArrayList<>(ancestors);
    sorted.sort(
        java.util.Comparator.comparing(
            (RefStatus r) ->
                r.ref.path("namespace").asText()
                    + "/"
                    + r.ref.path("name").asText()
                    + "/"
                    + r.ref.path("sectionName").asText()));
    List<RefStatus> kept = new ArrayList<>(sorted.subList(0, MAX_ANCESTORS));
    kept.get(MAX_ANCESTORS - 1)
        .conditions
        .set(
            Condition.isTrue(
                "Aggregated",
                "Aggregated",
                "Ancestors have been aggregated because the number of policy ancestors exceeds "
                    + MAX_ANCESTORS));
    return kept;
  }

  /** Turns all entries into statuses, sorted by key. */
  public List<ResourceStatus> commit(String time) {
    List<ResourceStatus> out = new ArrayList<>(entries.size());
    // Processors mostly meet objects in key order, so the sort of the insertion order is short.
    List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort((a, b) -> a.key.compareTo(b.key));
    for (Entry e : sorted) {
      ObjectNode status = Nodes.object();
      if (e.emitConditions || !e.conditions.isEmpty()) {
        status.set("conditions", e.conditions.toJson(e.generation, time));
      }
      if (e.supportedFeatures != null) {
        status.set("supportedFeatures", e.supportedFeatures.deepCopy());
      }
      if (e.emitListeners) {
        ArrayNode ls = status.putArray("listeners");
        for (ListenerStatus l : e.listeners.values()) {
          ObjectNode ln = ls.addObject();
          ln.put("name", l.name);
          ArrayNode kinds = ln.putArray("supportedKinds");
          for (String[] gk : l.supportedKinds) {
            ObjectNode k = kinds.addObject();
            k.put("group", gk[0]);
            k.put("kind", gk[1]);
          }
          ln.put("attachedRoutes", l.attachedRoutes);
          ln.set("conditions", l.conditions.toJson(e.generation, time));
        }
      }
      if (e.attachedListenerSets > 0) {
        status.put("attachedListenerSets", e.attachedListenerSets);
      }
      if (e.emitParents) {
        ArrayNode ps = status.putArray("parents");
        for (RefStatus p : e.parents) {
          ObjectNode pn = ps.addObject();
          pn.set("parentRef", p.ref);
          pn.put("controllerName", p.controllerName);
          pn.set("conditions", p.conditions.toJson(e.generation, time));
        }
      }
      if (e.emitAncestors) {
        ArrayNode as = status.putArray("ancestors");
        for (RefStatus p : truncate(e.ancestors)) {
          ObjectNode an = as.addObject();
          an.set("ancestorRef", p.ref);
          an.put("controllerName", p.controllerName);
          an.set("conditions", p.conditions.toJson(e.generation, time));
        }
      }
      out.add(new ResourceStatus(e.key, e.apiVersion, e.generation, status));
    }
    return out;
  }
}
