package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every translation reads of an object before processing it: kind, apiVersion, namespace, name
 * and creation time (indexing and ordering), and a route's parentRefs (attachment). Read once per
 * object instance and kept while the instance is in the snapshot ({@link Cache}): the translator's
 * resource state keeps an unchanged object as the same instance from one change to the next and
 * replaces a changed one, so a change reads only the changed object's (issue #16: at a thousand
 * routes, reading these fields from every route's JSON tree on every change was a good part of the
 * translation). The strings are those of the object's own tree.
 *
 * @param parentRefs a route's parentRefs, read as {@link RouteParentResolver} reads them; empty for
 *     an object that is not a route
 */
record ObjectMeta(
    String kind,
    String apiVersion,
    String namespace,
    String name,
    String creationTimestamp,
    List<ParentRef> parentRefs) {

  /**
   * One parentRef of a route, with Gateway API's defaults applied.
   *
   * @param ref the parentRef as written (only its object form is read; others are skipped)
   * @param port the port, or null when absent or not a whole number
   */
  record ParentRef(
      JsonNode ref,
      String group,
      String kind,
      String namespace,
      String name,
      String section,
      Integer port) {}

  /** Reads an object's fields from its tree. */
  static ObjectMeta read(JsonNode o) {
    String kind = Nodes.text(o, "kind", "");
    String namespace = Nodes.namespace(o);
    List<ParentRef> refs = List.of();
    if (kind.endsWith("Route")) {
      List<ParentRef> out = new ArrayList<>();
      for (JsonNode ref : Nodes.list(Nodes.spec(o), "parentRefs")) {
        if (ref.isObject()) {
          out.add(
              new ParentRef(
                  ref,
                  Nodes.text(ref, "group", TranslationContext.GATEWAY_GROUP),
                  Nodes.text(ref, "kind", "Gateway"),
                  Nodes.text(ref, "namespace", namespace),
                  Nodes.text(ref, "name", ""),
                  Nodes.text(ref, "sectionName"),
                  Nodes.integer(ref, "port")));
        }
      }
      refs = List.copyOf(out);
    }
    return new ObjectMeta(
        kind,
        Nodes.text(o, "apiVersion", ""),
        namespace,
        Nodes.name(o),
        Nodes.creationTimestamp(o),
        refs);
  }

  /**
   * The metas of the last snapshot's objects, by instance. Each call keeps those of the objects it
   * is given and drops the rest: a replaced or deleted object's meta goes with it. Relies on what
   * the translator's input promises anyway: an object is never changed in place
   * (TranslatorLeavesInputUntouchedTest for the core; the resource state replaces a changed
   * object).
   */
  static final class Cache {
    private Map<JsonNode, ObjectMeta> kept = new IdentityHashMap<>();

    /** The metas of these objects, read for the instances the last call was not given. */
    synchronized Map<JsonNode, ObjectMeta> of(Collection<ObjectNode> objects) {
      Map<JsonNode, ObjectMeta> next = new IdentityHashMap<>(objects.size());
      for (ObjectNode o : objects) {
        ObjectMeta m = kept.get(o);
        next.put(o, m != null ? m : read(o));
      }
      kept = next;
      return next;
    }

    /** The number of objects kept (for tests). */
    synchronized int size() {
      return kept.size();
    }
  }
}
