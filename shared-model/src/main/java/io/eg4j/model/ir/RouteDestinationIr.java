package io.eg4j.model.ir;

import java.util.List;

/**
 * Where traffic goes: a named cluster made of weighted settings, each a group of endpoints of one
 * backendRef.
 *
 * @param name cluster name, unique per IR: {@code kind/ns/name/rule/N}
 * @param settings one per backendRef, with its weight
 */
public record RouteDestinationIr(String name, List<DestinationSettingIr> settings) {
  public RouteDestinationIr {
    IrValidation.requireName(name, "destination");
    settings = XdsIr.copy(settings);
  }

  /** The sum of all weights. */
  public int totalWeight() {
    return settings.stream().mapToInt(DestinationSettingIr::weight).sum();
  }

  /**
   * One backendRef's share of a destination.
   *
   * @param name unique within the IR, used as the cluster name when weights split traffic
   * @param weight relative weight
   * @param protocol HTTP, HTTP2 (h2c or gRPC), WS (websocket), TCP or UDP
   * @param addressType IP (static endpoints, EDS) or FQDN (STRICT_DNS)
   * @param endpoints the endpoints; may be empty (then requests fail with 503, or the route is
   *     served a direct 500 per the spec)
   * @param tls upstream TLS from a BackendTLSPolicy or Backend, or null
   */
  public record DestinationSettingIr(
      String name,
      int weight,
      String protocol,
      String addressType,
      List<EndpointIr> endpoints,
      UpstreamTlsIr tls) {
    public DestinationSettingIr {
      IrValidation.requireName(name, "destination setting");
      if (weight < 0) {
        throw new IllegalArgumentException("negative weight in " + name);
      }
      protocol = protocol == null ? "HTTP" : protocol;
      addressType = addressType == null ? "IP" : addressType;
      endpoints =
          XdsIr.sorted(
              endpoints,
              java.util.Comparator.comparing(EndpointIr::host).thenComparingInt(EndpointIr::port));
    }
  }

  /**
   * One endpoint.
   *
   * @param host IP address or DNS name
   * @param port port
   */
  public record EndpointIr(String host, int port) {
    public EndpointIr {
      IrValidation.requireName(host, "endpoint host");
      IrValidation.requirePort(port, "endpoint " + host);
    }
  }

  /**
   * Upstream TLS origination.
   *
   * @param sni server name sent to the backend
   * @param caCertificates PEM CA bundle to verify the backend, or null for the system store
   * @param subjectAltNames SANs to accept; empty means the SNI hostname
   */
  public record UpstreamTlsIr(String sni, String caCertificates, List<String> subjectAltNames) {
    public UpstreamTlsIr {
      subjectAltNames = XdsIr.copy(subjectAltNames);
    }
  }
}
