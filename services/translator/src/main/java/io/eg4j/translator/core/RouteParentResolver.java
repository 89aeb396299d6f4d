package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Finds which of a route's parentRefs point at our Gateways (or their ListenerSets), which
 * listeners each selects (sectionName, port), and which of those allow the route's kind and
 * namespace. Sets the first Accepted condition of every relevant parent
 * (processAllowedListenersForParentRefs).
 */
final class RouteParentResolver {
  private final TranslationContext ctx;

  RouteParentResolver(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** Returns false when no parentRef of the route is ours (the route gets no status). */
  boolean resolve(RouteContext route, List<GatewayContext> gateways) {
    boolean relevant = false;
    for (JsonNode ref : Nodes.list(route.spec(), "parentRefs")) {
      if (!ref.isObject()) {
        continue;
      }
      String group = Nodes.text(ref, "group", TranslationContext.GATEWAY_GROUP);
      String kind = Nodes.text(ref, "kind", "Gateway");
      String ns = Nodes.text(ref, "namespace", route.namespace);
      String name = Nodes.text(ref, "name", "");
      String section = Nodes.text(ref, "sectionName");
      Integer port = Nodes.integer(ref, "port");
      if (!group.equals(TranslationContext.GATEWAY_GROUP)) {
        continue;
      }
      GatewayContext gateway = null;
      List<ListenerContext> selected = new ArrayList<>();
      if (kind.equals("Gateway")) {
        for (GatewayContext g : gateways) {
          if (g.namespace.equals(ns) && g.name.equals(name)) {
            gateway = g;
            for (ListenerContext l : g.ownListeners()) {
              if ((section == null || section.equals(l.name))
                  && (port == null || port.equals(l.port))) {
                selected.add(l);
              }
            }
          }
        }
      } else if (kind.equals("ListenerSet") || kind.equals("XListenerSet")) {
        for (GatewayContext g : gateways) {
          for (ListenerSetContext ls : g.listenerSets) {
            if (ls.namespace.equals(ns) && ls.name.equals(name)) {
              gateway = g;
              for (ListenerContext l : ls.listeners) {
                if ((section == null || section.equals(l.name))
                    && (port == null || port.equals(l.port))) {
                  selected.add(l);
                }
              }
            }
          }
        }
      }
      if (gateway == null) {
        continue;
      }
      relevant = true;
      if (route.status == null) {
        route.status = ctx.statuses.entry(route.route);
      }
      StatusCollector.RefStatus rs =
          route.status.parent(
              (ObjectNode) ref.deepCopy(),
              group + "/" + kind + "/" + ns + "/" + name + "/" + section + "/" + port,
              ctx.config.controllerName());
      rs.conditions.clear();
      RouteContext.Parent parent = new RouteContext.Parent(ref, rs, gateway);
      route.parents.add(parent);
      if (selected.isEmpty()) {
        rs.conditions.set(
            Condition.isFalse(
                "Accepted", "NoMatchingParent", "No listeners match this parent ref"));
        continue;
      }
      ObjectNode nsObj = ctx.namespace(route.namespace);
      Map<String, String> labels = Nodes.map(Nodes.obj(nsObj, "metadata"), "labels");
      for (ListenerContext l : selected) {
        if (l.allowsKind(route.kind) && l.allowsNamespace(route.namespace, labels, nsObj != null)) {
          parent.listeners.add(l);
        }
      }
      if (parent.listeners.isEmpty()) {
        rs.conditions.set(
            Condition.isFalse(
                "Accepted",
                "NotAllowedByListeners",
                "No listeners included by this parent ref allowed this attachment."));
        continue;
      }
      rs.conditions.set(Condition.isTrue("Accepted", "Accepted", "Route is accepted"));
    }
    if (relevant) {
      ctx.attachedRoutes.add(route);
    }
    return relevant;
  }

  /**
   * Last line of defence for input shapes no validation anticipated: the parent rejects the route
   * with a condition instead of the translation failing.
   */
  static void rejectMalformed(RouteContext.Parent parent, RuntimeException e) {
    parent
        .conditions()
        .set(
            Condition.isFalse(
                "Accepted", "UnsupportedValue", "The route could not be translated: " + e));
  }

  /**
   * The hostnames a route serves on a listener: the intersection of the route's hostnames with the
   * listener's, wildcards included (Gateway API hostname matching rules: a `*.` label matches one
   * or more labels, never the bare suffix; two wildcards intersect in the narrower one).
   */
  static List<String> computeHosts(List<String> routeHostnames, ListenerContext listener) {
    String lh = listener.hostname == null ? "" : listener.hostname;
    if (routeHostnames.isEmpty()) {
      return List.of(lh.isEmpty() ? "*" : lh);
    }
    TreeSet<String> out = new TreeSet<>();
    for (String rh : routeHostnames) {
      if (rh.length() > 253 || !Syntax.isHostname(rh)) {
        continue; // a hostname the API server would refuse matches no listener
      }
      if (lh.isEmpty() || lh.equals(rh)) {
        out.add(rh);
      } else if (lh.startsWith("*")) {
        if (wildcardMatches(rh, lh)) {
          out.add(rh);
        } else if (rh.startsWith("*") && wildcardMatches(lh, rh)) {
          // Two wildcards intersect in the narrower one: `*.com` and `*.example.com` share every
          // name under example.com (the TLSRouteHostnameIntersection conformance test).
          out.add(lh);
        }
      } else if (rh.startsWith("*")) {
        if (wildcardMatches(lh, rh)) {
          out.add(lh);
        }
      }
    }
    return new ArrayList<>(out);
  }

  private static boolean wildcardMatches(String hostname, String wildcard) {
    String suffix = wildcard.substring(1);
    if (hostname.startsWith("*")) {
      // both wildcards: the more specific one must sit under the other
      return hostname.endsWith(suffix) && hostname.length() > suffix.length();
    }
    return hostname.endsWith(suffix) && hostname.length() > suffix.length();
  }
}
