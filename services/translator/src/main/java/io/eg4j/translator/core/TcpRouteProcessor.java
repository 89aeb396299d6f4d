package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.TcpListenerIr;
import java.util.List;
import java.util.Map;

/**
 * TCPRoute: plain TCP proxying (or behind TLS termination on a TLS listener). A TCP listener serves
 * one route; later routes are rejected with UnsupportedValue.
 */
final class TcpRouteProcessor {
  private final RouteParentResolver resolver;
  private final BackendRefProcessor backends;

  TcpRouteProcessor(RouteParentResolver resolver, BackendRefProcessor backends) {
    this.resolver = resolver;
    this.backends = backends;
  }

  void process(
      List<ObjectNode> routes,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds) {
    for (ObjectNode r : routes) {
      RouteContext route = new RouteContext(r, "TCPRoute");
      if (!resolver.resolve(route, gateways)) {
        continue;
      }
      for (RouteContext.Parent parent : route.parents) {
        try {
          if (route.rules().size() != 1) {
            parent
                .conditions()
                .set(
                    Condition.isFalse(
                        "Accepted", "InvalidRule", "One and only one rule is supported"));
            continue;
          }
          L4Backends.Resolved res = L4Backends.resolve(backends, route, parent, route.rules());
          L4Backends.setResolvedRefs(parent, res.errors());
          if (parent.rejected()) {
            continue;
          }
          for (ListenerContext l : parent.listeners) {
            l.status.attachedRoutes++;
            if (!l.ready) {
              continue;
            }
            IrBuilders.TcpListener irl = xds.get(l.gateway.irKey).tcp.get(l.irName());
            if (irl != null) {
              List<String> sni =
                  irl.tls != null && l.hostname != null ? List.of(l.hostname) : List.of();
              irl.routes.add(
                  new TcpListenerIr.TcpRouteIr(
                      route.irPrefix(), sni, irl.tls, res.destination(route.irPrefix())));
            }
          }
        } catch (RuntimeException e) {
          RouteParentResolver.rejectMalformed(parent, e);
        }
      }
    }
  }
}
