package io.eg4j.translator.core;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.translator.core.PolicyProcessor.Attachment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Target precedence for every policy kind, in one place (GEP-713, Envoy Gateway's semantics): the
 * policies that reach a route, most specific first: the route rule's section, the route, the
 * listener (of a ListenerSet or of the Gateway), the ListenerSet, the Gateway.
 */
final class PolicyChain {
  private PolicyChain() {}

  /** Every listener of every translated Gateway and attached ListenerSet, by IR name. */
  static Map<String, ListenerContext> listenersByIrName(TranslationContext ctx) {
    Map<String, ListenerContext> listeners = new HashMap<>();
    for (GatewayContext g : ctx.acceptedGateways) {
      for (ListenerContext l : g.listeners) {
        listeners.putIfAbsent(l.irName(), l);
      }
      for (ListenerSetContext ls : g.listenerSets) {
        for (ListenerContext l : ls.listeners) {
          listeners.putIfAbsent(l.irName(), l);
        }
      }
    }
    return listeners;
  }

  /** What an applier makes of one route and the policies that reach it (never an empty chain). */
  interface RouteRewrite {
    HttpRouteIr apply(HttpRouteIr route, List<Attachment> chain, ListenerContext listener);
  }

  /**
   * Replaces every HTTP route of the IR that some policy of {@code winners} reaches with what
   * {@code rewrite} makes of it; routes no policy reaches stay as they are.
   */
  static void rewriteRoutes(
      TranslationContext ctx,
      Map<String, IrBuilders.XdsBuilder> xds,
      Map<String, Attachment> winners,
      RouteRewrite rewrite) {
    if (winners.isEmpty()) {
      return;
    }
    Map<String, ListenerContext> listeners = listenersByIrName(ctx);
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.HttpListener l : b.http.values()) {
        ListenerContext lc = listeners.get(l.name);
        for (int i = 0; i < l.routes.size(); i++) {
          HttpRouteIr r = l.routes.get(i);
          List<Attachment> chain = forRoute(winners, r, lc);
          if (!chain.isEmpty()) {
            l.routes.set(i, rewrite.apply(r, chain, lc));
          }
        }
      }
    }
  }

  /**
   * The policies that reach a TCP, TLS or UDP route named {@code <kind>/<namespace>/<name>/...}
   * (the translator's route names), most specific first.
   */
  static List<Attachment> forL4Route(
      Map<String, Attachment> winners, String routeName, ListenerContext lc) {
    String[] p = routeName.split("/", 4);
    List<String> keys = new ArrayList<>();
    String kind =
        switch (p[0]) {
          case "tcproute" -> "TCPRoute";
          case "tlsroute" -> "TLSRoute";
          case "udproute" -> "UDPRoute";
          default -> null;
        };
    if (kind != null && p.length >= 3) {
      keys.add(kind + "/" + p[1] + "/" + p[2] + "/");
    }
    keys.addAll(listenerKeys(lc));
    return lookup(winners, keys);
  }

  /** The policies that reach a route, most specific first. */
  static List<Attachment> forRoute(
      Map<String, Attachment> winners, HttpRouteIr r, ListenerContext lc) {
    List<String> keys = new ArrayList<>();
    String kind = r.metadata().get("kind");
    String ns = r.metadata().get("namespace");
    String name = r.metadata().get("name");
    if (kind != null && ns != null && name != null) {
      String section = r.metadata().get("sectionName");
      if (section != null) {
        keys.add(kind + "/" + ns + "/" + name + "/" + section);
      }
      keys.add(kind + "/" + ns + "/" + name + "/");
    }
    keys.addAll(listenerKeys(lc));
    return lookup(winners, keys);
  }

  /**
   * The policies that reach a listener, most specific first: the listener section, the ListenerSet,
   * the Gateway (ClientTrafficPolicy attaches here).
   */
  static List<Attachment> forListener(Map<String, Attachment> winners, ListenerContext lc) {
    return lookup(winners, listenerKeys(lc));
  }

  static List<String> listenerKeys(ListenerContext lc) {
    List<String> keys = new ArrayList<>();
    if (lc == null) {
      return keys;
    }
    if (lc.listenerSet != null) {
      for (String lsKind : List.of("ListenerSet", "XListenerSet")) {
        keys.add(
            lsKind + "/" + lc.listenerSet.namespace + "/" + lc.listenerSet.name + "/" + lc.name);
        keys.add(lsKind + "/" + lc.listenerSet.namespace + "/" + lc.listenerSet.name + "/");
      }
    } else {
      keys.add("Gateway/" + lc.gateway.namespace + "/" + lc.gateway.name + "/" + lc.name);
    }
    keys.add("Gateway/" + lc.gateway.namespace + "/" + lc.gateway.name + "/");
    return keys;
  }

  private static List<Attachment> lookup(Map<String, Attachment> winners, List<String> keys) {
    List<Attachment> out = new ArrayList<>();
    for (String k : keys) {
      Attachment a = winners.get(k);
      if (a != null && !out.contains(a)) {
        out.add(a);
      }
    }
    return out;
  }
}
