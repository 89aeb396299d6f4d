package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.traffic.ClientTrafficIr;
import java.util.List;
import java.util.Map;

/**
 * Puts the ClientTrafficPolicy in effect on every HTTP listener of the IR: the listener section's
 * policy over the ListenerSet's over the Gateway's. A policy that sets a field eg4j does not
 * enforce yet changes nothing on the listener; an invalid one (a value error) makes the listener's
 * HTTP routes answer 500, as Envoy Gateway does.
 */
final class ClientTrafficApplier {
  private final TranslationContext ctx;
  private final PolicyProcessor policies;

  ClientTrafficApplier(TranslationContext ctx, PolicyProcessor policies) {
    this.ctx = ctx;
    this.policies = policies;
  }

  void apply(Map<String, IrBuilders.XdsBuilder> xds) {
    Map<String, ListenerContext> listeners = PolicyChain.listenersByIrName(ctx);
    java.util.Set<ObjectNode> conflicted = conflicts(xds, listeners);
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.HttpListener l : b.http.values()) {
        ListenerContext lc = listeners.get(l.name);
        ClientTrafficIr client = policies.clientTraffic(lc, conflicted);
        if (client != null
            && client.connectionManager() != null
            && client.connectionManager().useDefaultHost()) {
          String host = defaultHost(l);
          if (host == null) {
            // Nothing to name the requests' host with: the policy is invalid here.
            refuse(lc);
            client = null;
            failClosed(l);
          } else {
            client =
                client.withConnectionManager(
                    client.connectionManager().withHttp10DefaultHost(host));
          }
        }
        l.client = client;
        if (client == null && policies.clientTrafficInvalid(lc, conflicted)) {
          failClosed(l);
        }
      }
      for (IrBuilders.TcpListener l : b.tcp.values()) {
        // TLS settings, client validation and connection settings; nothing HTTP applies here.
        l.client = policies.clientTraffic(listeners.get(l.name), conflicted);
      }
    }
  }

  /**
   * The routes of a listener whose ClientTrafficPolicy is invalid answer 500, as Envoy Gateway
   * does: its clients do not reach the backends without the settings the policy asks for. A route's
   * SecurityPolicy stays on the 500 route: its filters run first and can only refuse, and it is
   * enforced as its status says.
   */
  private static void failClosed(IrBuilders.HttpListener l) {
    l.routes.replaceAll(r -> r.failClosed(500).withSecurity(r.security()));
  }

  /**
   * The Host of HTTP/1.0 requests without one: the listener's hostname, else the one hostname of
   * the routes on it; null when there is none or more than one.
   */
  private static String defaultHost(IrBuilders.HttpListener l) {
    java.util.Set<String> hosts = new java.util.TreeSet<>();
    for (String h : l.hostnames) {
      if (!h.equals("*") && !h.startsWith("*.")) {
        hosts.add(h);
      }
    }
    if (hosts.isEmpty()) {
      for (io.eg4j.model.ir.HttpRouteIr r : l.routes) {
        if (r.hostname() != null && !r.hostname().equals("*") && !r.hostname().startsWith("*.")) {
          hosts.add(r.hostname());
        }
      }
    }
    return hosts.size() == 1 ? hosts.iterator().next() : null;
  }

  private void refuse(ListenerContext lc) {
    ObjectNode policy = policies.clientTrafficPolicy(lc);
    if (policy == null || lc == null) {
      return;
    }
    for (StatusCollector.RefStatus rs : ctx.statuses.entry(policy).ancestors) {
      if (lc.gateway.name.equals(rs.ref.path("name").asText())
          && lc.gateway.namespace.equals(rs.ref.path("namespace").asText())) {
        rs.conditions.set(
            Condition.isFalse(
                "Accepted",
                "Invalid",
                "http1.http10.useDefaultHost: listener "
                    + lc.name
                    + " has no hostname, and its routes not exactly one"));
      }
    }
  }

  /**
   * Plain HTTP listeners on one port share one connection manager, so one ClientTrafficPolicy must
   * be in effect on all of them. A policy that targets only some of them (a listener section or a
   * ListenerSet) while another policy, or none, is in effect on the others cannot be applied: it is
   * refused, and those listeners fall back to the broader policy.
   */
  private java.util.Set<ObjectNode> conflicts(
      Map<String, IrBuilders.XdsBuilder> xds, Map<String, ListenerContext> listeners) {
    java.util.Set<ObjectNode> out = new java.util.HashSet<>();
    for (IrBuilders.XdsBuilder b : xds.values()) {
      Map<Integer, List<ListenerContext>> byPort = new java.util.TreeMap<>();
      for (IrBuilders.HttpListener l : b.http.values()) {
        ListenerContext lc = listeners.get(l.name);
        if (l.tls == null && lc != null) {
          byPort.computeIfAbsent(l.port, p -> new java.util.ArrayList<>()).add(lc);
        }
      }
      for (Map.Entry<Integer, List<ListenerContext>> e : byPort.entrySet()) {
        if (e.getValue().size() < 2) {
          continue;
        }
        java.util.Set<ObjectNode> inEffect = new java.util.LinkedHashSet<>();
        boolean someWithout = false;
        for (ListenerContext lc : e.getValue()) {
          ObjectNode p = policies.clientTrafficPolicy(lc);
          if (p == null) {
            someWithout = true;
          } else {
            inEffect.add(p);
          }
        }
        if (inEffect.size() + (someWithout ? 1 : 0) < 2) {
          continue;
        }
        for (ObjectNode p : inEffect) {
          if (narrow(p)) {
            out.add(p);
            refuse(
                p,
                "listeners on port "
                    + e.getKey()
                    + " share one connection manager, and this policy applies to only some of"
                    + " them");
          }
        }
      }
    }
    return out;
  }

  /** True when a policy targets listener sections or ListenerSets, not whole Gateways. */
  private static boolean narrow(ObjectNode p) {
    JsonNode spec = Nodes.spec(p);
    List<JsonNode> refs = new java.util.ArrayList<>(Nodes.list(spec, "targetRefs"));
    if (Nodes.obj(spec, "targetRef").isObject()) {
      refs.add(Nodes.obj(spec, "targetRef"));
    }
    for (JsonNode r : refs) {
      if (Nodes.text(r, "sectionName") != null || !"Gateway".equals(Nodes.text(r, "kind"))) {
        return true;
      }
    }
    return false;
  }

  private void refuse(ObjectNode policy, String message) {
    for (StatusCollector.RefStatus rs : ctx.statuses.entry(policy).ancestors) {
      rs.conditions.set(Condition.isFalse("Accepted", "Invalid", message));
    }
  }
}
