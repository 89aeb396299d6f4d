package io.eg4j.model.ir;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The infrastructure IR of one proxy fleet: what the provisioner needs to run Envoy for a Gateway
 * (or for a GatewayClass when gateways are merged).
 *
 * @param name the fleet name, also the key on {@code eg4j.infra-ir}; equal to the xDS IR key it
 *     serves, so a proxy's node cluster names its config
 * @param namespace namespace where the fleet runs
 * @param ownerGatewayNamespace the owning Gateway's namespace (null when merged)
 * @param ownerGatewayName the owning Gateway's name, or the GatewayClass name when merged
 * @param listeners the ports Envoy listens on
 * @param labels labels for the fleet's objects (Gateway infrastructure labels plus ownership)
 * @param annotations annotations for the fleet's objects
 * @param envoyProxy the EnvoyProxy spec in effect, as JSON text, or null for the defaults
 * @param addresses the IP addresses the Gateway(s) request in {@code spec.addresses} (type
 *     IPAddress), sorted and without duplicates; the provisioner gives them to the fleet's Service
 *     (for example as LoadBalancer or external IPs). Empty when none are requested.
 */
public record InfraIr(
    String name,
    String namespace,
    String ownerGatewayNamespace,
    String ownerGatewayName,
    List<ProxyListenerIr> listeners,
    Map<String, String> labels,
    Map<String, String> annotations,
    String envoyProxy,
    List<String> addresses) {

  public InfraIr {
    IrValidation.requireName(name, "fleet");
    listeners = XdsIr.sorted(listeners, Comparator.comparing(ProxyListenerIr::name));
    labels =
        labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
    annotations =
        annotations == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    addresses = addresses == null ? List.of() : List.copyOf(new java.util.TreeSet<>(addresses));
  }

  /** A fleet without requested addresses. */
  public InfraIr(
      String name,
      String namespace,
      String ownerGatewayNamespace,
      String ownerGatewayName,
      List<ProxyListenerIr> listeners,
      Map<String, String> labels,
      Map<String, String> annotations,
      String envoyProxy) {
    this(
        name,
        namespace,
        ownerGatewayNamespace,
        ownerGatewayName,
        listeners,
        labels,
        annotations,
        envoyProxy,
        List.of());
  }

  /**
   * One port of the fleet.
   *
   * @param name listener name
   * @param protocol HTTP, HTTPS, TLS, TCP or UDP
   * @param containerPort the port Envoy binds
   * @param servicePort the port the Service exposes
   */
  public record ProxyListenerIr(String name, String protocol, int containerPort, int servicePort) {}
}
