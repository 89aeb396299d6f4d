package io.eg4j.model.ir;

import java.util.Comparator;
import java.util.List;

/**
 * A TCP listener: plain TCP proxying (TCPRoute), TLS passthrough chosen by SNI (TLSRoute), or TLS
 * termination in front of a TCP proxy.
 *
 * @param name unique name, {@code namespace/gateway/listener}
 * @param address bind address
 * @param port the port Envoy binds
 * @param externalPort the port the Gateway listener declares
 * @param routes one per route (filter chain); at most one without SNI
 * @param client the ClientTrafficPolicy in effect on the listener (TLS settings and client
 *     validation of a terminating listener, keepalive, buffer, PROXY protocol), or null
 */
public record TcpListenerIr(
    String name,
    String address,
    int port,
    int externalPort,
    List<TcpRouteIr> routes,
    io.eg4j.model.ir.traffic.ClientTrafficIr client) {
  public TcpListenerIr {
    IrValidation.requireName(name, "listener");
    IrValidation.requirePort(port, "listener " + name);
    address = address == null ? "0.0.0.0" : address;
    routes = XdsIr.sorted(routes, Comparator.comparing(TcpRouteIr::name));
    IrValidation.uniqueNames("route", routes, TcpRouteIr::name);
  }

  /** A listener without a ClientTrafficPolicy. */
  public TcpListenerIr(
      String name, String address, int port, int externalPort, List<TcpRouteIr> routes) {
    this(name, address, port, externalPort, routes, null);
  }

  /**
   * One TCP route.
   *
   * @param name unique within the listener
   * @param sniHostnames SNI server names for TLS passthrough; empty matches any connection
   * @param tls TLS termination settings, or null for passthrough or plain TCP
   * @param destination the backends
   */
  public record TcpRouteIr(
      String name, List<String> sniHostnames, TlsIr tls, RouteDestinationIr destination) {
    public TcpRouteIr {
      IrValidation.requireName(name, "route");
      sniHostnames = XdsIr.sorted(sniHostnames, Comparator.naturalOrder());
      if (destination == null) {
        throw new IllegalArgumentException("tcp route " + name + " needs a destination");
      }
    }
  }
}
