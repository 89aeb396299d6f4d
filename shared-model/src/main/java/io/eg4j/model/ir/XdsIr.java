package io.eg4j.model.ir;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The xDS intermediate representation of one Gateway (or of one GatewayClass when gateways are
 * merged): everything the xds-server needs to build Envoy's listeners, routes, clusters, endpoints
 * and secrets, and nothing about Kubernetes.
 *
 * <p>Records in this package are immutable, validate themselves on construction, and keep their
 * lists sorted by name so that the same input always serializes to the same bytes (DESIGN.md
 * invariant 3).
 *
 * @param key the IR key on {@code eg4j.xds-ir}: {@code namespace/gateway}, or the GatewayClass name
 *     when gateways are merged
 * @param http HTTP and HTTPS listeners
 * @param tcp TCP listeners, including TLS passthrough and TLS-terminating TCP listeners
 * @param udp UDP listeners
 */
public record XdsIr(
    String key, List<HttpListenerIr> http, List<TcpListenerIr> tcp, List<UdpListenerIr> udp) {

  public XdsIr {
    Objects.requireNonNull(key, "key");
    http = sorted(http, Comparator.comparing(HttpListenerIr::name));
    tcp = sorted(tcp, Comparator.comparing(TcpListenerIr::name));
    udp = sorted(udp, Comparator.comparing(UdpListenerIr::name));
    IrValidation.uniqueNames("listener", http, HttpListenerIr::name);
    IrValidation.uniqueNames("listener", tcp, TcpListenerIr::name);
    IrValidation.uniqueNames("listener", udp, UdpListenerIr::name);
  }

  /** Returns the list copied and sorted, or an empty list for null. */
  static <T> List<T> sorted(List<T> list, Comparator<T> order) {
    if (list == null) {
      return List.of();
    }
    return list.stream().sorted(order).toList();
  }

  /** Returns the list copied, or an empty list for null. Order is kept (it is meaningful). */
  static <T> List<T> copy(List<T> list) {
    return list == null ? List.of() : List.copyOf(list);
  }
}
