package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Which routes a BackendTrafficPolicy upgrades to HTTP CONNECT ({@code spec.httpUpgrade} with type
 * {@code CONNECT}). Envoy matches such a route with its CONNECT matcher instead of the path, which
 * changes what the route overlaps with. The policy that applies is the most specific one: one
 * targeting the route, else one targeting the listener (Gateway with sectionName), else one
 * targeting the Gateway; among policies at the same level the oldest wins.
 */
final class ConnectUpgrades {
  private final List<ObjectNode> policies;

  ConnectUpgrades(TranslationContext ctx) {
    this.policies = ctx.policies.getOrDefault("BackendTrafficPolicy", List.of());
  }

  /** True when the policy in effect for the route on this listener upgrades to CONNECT. */
  boolean applies(RouteContext route, ListenerContext listener) {
    if (policies.isEmpty()) {
      return false;
    }
    ObjectNode routeLevel = null;
    ObjectNode listenerLevel = null;
    ObjectNode gatewayLevel = null;
    GatewayContext g = listener.gateway;
    for (ObjectNode p : policies) {
      String ns = Nodes.namespace(p);
      for (JsonNode ref : refs(p)) {
        if (!Nodes.text(ref, "group", "").equals(TranslationContext.GATEWAY_GROUP)) {
          continue;
        }
        String kind = Nodes.text(ref, "kind", "");
        String name = Nodes.text(ref, "name", "");
        String section = Nodes.text(ref, "sectionName");
        if (kind.equals(route.kind)
            && ns.equals(route.namespace)
            && name.equals(route.name)
            && section == null
            && routeLevel == null) {
          routeLevel = p;
        } else if (kind.equals("Gateway") && ns.equals(g.namespace) && name.equals(g.name)) {
          if (section == null) {
            gatewayLevel = gatewayLevel == null ? p : gatewayLevel;
          } else if (section.equals(listener.name)) {
            listenerLevel = listenerLevel == null ? p : listenerLevel;
          }
        }
      }
    }
    ObjectNode effective =
        routeLevel != null ? routeLevel : listenerLevel != null ? listenerLevel : gatewayLevel;
    if (effective == null) {
      return false;
    }
    for (JsonNode u : Nodes.list(Nodes.spec(effective), "httpUpgrade")) {
      if ("CONNECT".equalsIgnoreCase(Nodes.text(u, "type", ""))) {
        return true;
      }
    }
    return false;
  }

  private static List<JsonNode> refs(ObjectNode p) {
    JsonNode spec = Nodes.spec(p);
    List<JsonNode> refs = new ArrayList<>(Nodes.list(spec, "targetRefs"));
    if (Nodes.obj(spec, "targetRef").isObject()) {
      refs.add(Nodes.obj(spec, "targetRef"));
    }
    return refs;
  }
}
