package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.TcpListenerIr;
import java.util.List;
import java.util.Map;

/**
 * TLSRoute: SNI-routed TCP proxying on TLS listeners, passthrough or terminating. Every route whose
 * hostnames intersect the listener's gets a filter chain matching those server names.
 */
final class TlsRouteProcessor {
  private final RouteParentResolver resolver;
  private final BackendRefProcessor backends;

  TlsRouteProcessor(RouteParentResolver resolver, BackendRefProcessor backends) {
    this.resolver = resolver;
    this.backends = backends;
  }

  void process(
      List<ObjectNode> routes,
      List<GatewayContext> gateways,
      Map<String, IrBuilders.XdsBuilder> xds) {
    for (ObjectNode r : routes) {
      RouteContext route = new RouteContext(r, "TLSRoute");
      if (!resolver.resolve(route, gateways)) {
        continue;
      }
      for (RouteContext.Parent parent : route.parents) {
        try {
          L4Backends.Resolved res = L4Backends.resolve(backends, route, parent, route.rules());
          boolean terminating =
              parent.listeners.stream()
                  .anyMatch(l -> l.hasTls() && l.tlsMode().equals("Terminate"));
          boolean dynamicOnTerminate =
              terminating && res.settings().stream().anyMatch(L4Backends::dynamic);
          if (dynamicOnTerminate) {
            res.errors()
                .add(
                    RouteErrors.RouteError.resolvedRefs(
                        "UnsupportedValue",
                        "dynamic resolver backends are not supported on TLS terminating listeners"));
          }
          L4Backends.setResolvedRefs(parent, res.errors());
          boolean intersects = parent.listeners.isEmpty();
          for (ListenerContext l : parent.listeners) {
            List<String> hosts = RouteParentResolver.computeHosts(route.hostnames(), l);
            if (hosts.isEmpty()) {
              continue;
            }
            intersects = true;
            l.status.attachedRoutes++;
            if (!l.ready) {
              continue;
            }
            IrBuilders.TcpListener irl = xds.get(l.gateway.irKey).tcp.get(l.irName());
            if (irl != null && !dynamicOnTerminate) {
              // (a dynamic resolver on a terminating listener is refused: no route, no traffic)
              List<String> sni = hosts.contains("*") ? List.of() : hosts;
              irl.routes.add(
                  new TcpListenerIr.TcpRouteIr(
                      route.irPrefix(), sni, irl.tls, res.destination(route.irPrefix())));
            }
          }
          if (!intersects) {
            parent
                .conditions()
                .set(
                    Condition.isFalse(
                        "Accepted",
                        "NoMatchingListenerHostname",
                        "There were no hostname intersections between the TLSRoute and this parent"
                            + " ref's Listener(s)."));
          }
        } catch (RuntimeException e) {
          RouteParentResolver.rejectMalformed(parent, e);
        }
      }
    }
  }
}
