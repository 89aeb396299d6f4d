package io.eg4j.model.ir;

/**
 * A UDP listener proxying datagrams to one UDPRoute's backends.
 *
 * @param name unique name, {@code namespace/gateway/listener}
 * @param address bind address
 * @param port the port Envoy binds
 * @param externalPort the port the Gateway listener declares
 * @param routeName the UDPRoute's name, for stats
 * @param destination the backends
 */
public record UdpListenerIr(
    String name,
    String address,
    int port,
    int externalPort,
    String routeName,
    RouteDestinationIr destination) {
  public UdpListenerIr {
    IrValidation.requireName(name, "listener");
    IrValidation.requirePort(port, "listener " + name);
    address = address == null ? "0.0.0.0" : address;
    if (destination == null) {
      throw new IllegalArgumentException("udp listener " + name + " needs a destination");
    }
  }
}
