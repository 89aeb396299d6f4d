package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/** UDPRoute: one route per UDP listener; later routes are rejected with UnsupportedValue. */
final class UdpRouteProcessor {
  private final RouteParentResolver resolver;
  private final BackendRefProcessor backends;

  UdpRouteProcessor(RouteParentResolver resolver, BackendRefProcessor backends) {
    this.resolver = resolver;
    this.backends = backends;
  }

  void process(
      List<ObjectNode> routes,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds) {
    for (ObjectNode r : routes) {
      RouteContext route = new RouteContext(r, "UDPRoute");
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
            IrBuilders.UdpListener irl = xds.get(l.gateway.irKey).udp.get(l.irName());
            if (irl != null) {
              irl.routeName = route.irPrefix();
              irl.destination = res.destination(route.irPrefix());
            }
          }
        } catch (RuntimeException e) {
          RouteParentResolver.rejectMalformed(parent, e);
        }
      }
    }
  }
}
