package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.TcpListenerIr;
import java.util.List;
import java.util.Map;

/**
 * TCPRoute and UDPRoute: one rule only, all backendRefs pooled into one destination, attached to
 * every ready listener of each parent. They differ only in what an attachment puts into the IR: a
 * TCP filter chain (with SNI when the listener terminates TLS for a hostname), or the single route
 * of a UDP listener.
 */
final class L4RouteProcessor {
  /** Puts one attached route into the IR of one ready listener. */
  @FunctionalInterface
  private interface Attach {
    void attach(
        IrBuilders.XdsBuilder xds, ListenerContext l, RouteContext route, L4Backends.Resolved res);
  }

  private final String kind;
  private final RouteParentResolver resolver;
  private final BackendRefProcessor backends;
  private final Attach attach;

  private L4RouteProcessor(
      String kind, RouteParentResolver resolver, BackendRefProcessor backends, Attach attach) {
    this.kind = kind;
    this.resolver = resolver;
    this.backends = backends;
    this.attach = attach;
  }

  /** TCPRoute: plain TCP proxying, or behind TLS termination on a TLS listener. */
  static L4RouteProcessor tcp(RouteParentResolver resolver, BackendRefProcessor backends) {
    return new L4RouteProcessor(
        "TCPRoute",
        resolver,
        backends,
        (xds, l, route, res) -> {
          IrBuilders.TcpListener irl = xds.tcp.get(l.irName());
          if (irl != null) {
            List<String> sni =
                irl.tls != null && l.hostname != null ? List.of(l.hostname) : List.of();
            irl.routes.add(
                new TcpListenerIr.TcpRouteIr(
                    route.irPrefix(), sni, irl.tls, res.destination(route.irPrefix())));
          }
        });
  }

  /** UDPRoute: the route of a UDP listener. */
  static L4RouteProcessor udp(RouteParentResolver resolver, BackendRefProcessor backends) {
    return new L4RouteProcessor(
        "UDPRoute",
        resolver,
        backends,
        (xds, l, route, res) -> {
          IrBuilders.UdpListener irl = xds.udp.get(l.irName());
          if (irl != null) {
            irl.routeName = route.irPrefix();
            irl.destination = res.destination(route.irPrefix());
          }
        });
  }

  void process(
      List<ObjectNode> routes,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds) {
    for (ObjectNode r : routes) {
      RouteContext route = new RouteContext(r, kind);
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
            if (l.ready) {
              attach.attach(xds.get(l.gateway.irKey), l, route, res);
            }
          }
        } catch (RuntimeException e) {
          RouteParentResolver.rejectMalformed(parent, e);
        }
      }
    }
  }
}
