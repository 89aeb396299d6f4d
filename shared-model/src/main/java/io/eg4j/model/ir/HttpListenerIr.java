package io.eg4j.model.ir;

import java.util.Comparator;
import java.util.List;

/**
 * One HTTP or HTTPS listener: an Envoy listener with an HTTP connection manager.
 *
 * @param name unique name, {@code namespace/gateway/listener}
 * @param address bind address, {@code 0.0.0.0} unless configured
 * @param port the port Envoy binds (the Gateway listener's port, possibly remapped)
 * @param externalPort the port the Gateway listener declares
 * @param hostnames the listener hostnames ({@code *} when none)
 * @param tls certificates for HTTPS termination, or null for plain HTTP
 * @param routes the routes, in Gateway API precedence order within each hostname
 * @param client the ClientTrafficPolicy in effect on this listener, or null for none
 */
public record HttpListenerIr(
    String name,
    String address,
    int port,
    int externalPort,
    List<String> hostnames,
    TlsIr tls,
    List<HttpRouteIr> routes,
    io.eg4j.model.ir.traffic.ClientTrafficIr client) {

  public HttpListenerIr {
    IrValidation.requireName(name, "listener");
    IrValidation.requirePort(port, "listener " + name);
    address = address == null ? "0.0.0.0" : address;
    hostnames = XdsIr.copy(hostnames);
    // Routes keep the precedence order the translator computed; names must still be unique.
    routes = XdsIr.copy(routes);
    IrValidation.uniqueNames("route", routes, HttpRouteIr::name);
  }

  /** This listener with other routes, everything else shared. */
  public HttpListenerIr withRoutes(List<HttpRouteIr> newRoutes) {
    return new HttpListenerIr(name, address, port, externalPort, hostnames, tls, newRoutes, client);
  }

  /** Routes grouped by hostname, in a stable order. */
  public List<String> routeHostnames() {
    return routes.stream()
        .map(HttpRouteIr::hostname)
        .distinct()
        .sorted(Comparator.naturalOrder())
        .toList();
  }
}
