package io.eg4j.model.ir;

import java.util.List;

/**
 * Where traffic goes: a named cluster made of weighted settings, each a group of endpoints of one
 * backendRef.
 *
 * @param name cluster name, unique per IR: {@code kind/ns/name/rule/N}
 * @param settings one per valid backendRef, with its weight
 * @param invalidWeight the summed weight of the backendRefs that are invalid (unresolved, not
 *     permitted, unsupported kind or port); the spec says the share of requests that would have
 *     gone to them gets an HTTP 500. 0 when every backendRef is valid. Never negative.
 * @param cluster how Envoy connects to the cluster(s), or null for Envoy Gateway's defaults
 */
public record RouteDestinationIr(
    String name,
    List<DestinationSettingIr> settings,
    int invalidWeight,
    ClusterSettingsIr cluster) {
  public RouteDestinationIr {
    IrValidation.requireName(name, "destination");
    settings = XdsIr.copy(settings);
    if (invalidWeight < 0) {
      throw new IllegalArgumentException("negative invalid weight in " + name);
    }
  }

  /** A destination with Envoy Gateway's default cluster settings. */
  public RouteDestinationIr(String name, List<DestinationSettingIr> settings, int invalidWeight) {
    this(name, settings, invalidWeight, null);
  }

  /** This destination with other backend groups, everything else shared. */
  public RouteDestinationIr withSettings(List<DestinationSettingIr> newSettings) {
    return new RouteDestinationIr(name, newSettings, invalidWeight, cluster);
  }

  /** This destination with other cluster settings. */
  public RouteDestinationIr withCluster(ClusterSettingsIr settings) {
    return new RouteDestinationIr(name, this.settings, invalidWeight, settings);
  }

  /** A destination whose backendRefs are all valid ({@code invalidWeight} 0). */
  public RouteDestinationIr(String name, List<DestinationSettingIr> settings) {
    this(name, settings, 0);
  }

  /** The sum of the weights of the valid settings (without {@code invalidWeight}). */
  public int totalWeight() {
    return settings.stream().mapToInt(DestinationSettingIr::weight).sum();
  }

  /**
   * One backendRef's share of a destination.
   *
   * @param name unique within the IR, used as the cluster name when weights split traffic
   * @param weight relative weight
   * @param protocol HTTP, HTTP2 (h2c or gRPC), WS (websocket), TCP or UDP
   * @param addressType IP (static endpoints, EDS), FQDN (STRICT_DNS) or DYNAMIC (a DynamicResolver
   *     Backend: Envoy's dynamic forward proxy resolves each request's host)
   * @param endpoints the endpoints; may be empty (then requests fail with 503, or the route is
   *     served a direct 500 per the spec)
   * @param tls upstream TLS from a BackendTLSPolicy or Backend, or null
   * @param requestHeaders the backendRef's own RequestHeaderModifier filter (HTTPRoute and
   *     GRPCRoute backendRefs), applied only to requests sent to this backend; null for none
   * @param responseHeaders the backendRef's own ResponseHeaderModifier filter, applied only to
   *     responses from this backend; null for none
   * @param credentialInjection the backendRef's own HTTPRouteFilter credential injection: the
   *     credential goes into requests sent to this backend only (an upstream HTTP filter of its
   *     cluster); null for none
   */
  public record DestinationSettingIr(
      String name,
      int weight,
      String protocol,
      String addressType,
      List<EndpointIr> endpoints,
      UpstreamTlsIr tls,
      HttpRouteIr.HeaderModsIr requestHeaders,
      HttpRouteIr.HeaderModsIr responseHeaders,
      CredentialInjectionIr credentialInjection) {
    /** The address type of a Backend of type DynamicResolver (no endpoints). */
    public static final String DYNAMIC = "DYNAMIC";

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

    /** A setting without per-backend header filters. */
    public DestinationSettingIr(
        String name,
        int weight,
        String protocol,
        String addressType,
        List<EndpointIr> endpoints,
        UpstreamTlsIr tls) {
      this(name, weight, protocol, addressType, endpoints, tls, null, null, null);
    }

    /** A setting with the backendRef's own header filters and no credential injection. */
    public DestinationSettingIr(
        String name,
        int weight,
        String protocol,
        String addressType,
        List<EndpointIr> endpoints,
        UpstreamTlsIr tls,
        HttpRouteIr.HeaderModsIr requestHeaders,
        HttpRouteIr.HeaderModsIr responseHeaders) {
      this(
          name,
          weight,
          protocol,
          addressType,
          endpoints,
          tls,
          requestHeaders,
          responseHeaders,
          null);
    }

    /** This setting with other endpoints, everything else shared. */
    public DestinationSettingIr withEndpoints(List<EndpointIr> newEndpoints) {
      return new DestinationSettingIr(
          name,
          weight,
          protocol,
          addressType,
          newEndpoints,
          tls,
          requestHeaders,
          responseHeaders,
          credentialInjection);
    }

    /** This setting with the backendRef's own filters, everything else shared. */
    public DestinationSettingIr withBackendFilters(
        HttpRouteIr.HeaderModsIr request,
        HttpRouteIr.HeaderModsIr response,
        CredentialInjectionIr credential) {
      return new DestinationSettingIr(
          name, weight, protocol, addressType, endpoints, tls, request, response, credential);
    }

    /** True for a Backend of type DynamicResolver: the upstream is the request's own host. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean dynamicResolver() {
      return DYNAMIC.equals(addressType);
    }
  }

  /**
   * One endpoint.
   *
   * @param host IP address or DNS name, or the socket path of a Unix-socket endpoint
   * @param port port; 0 for a Unix-socket endpoint
   * @param zone the topology zone the endpoint runs in (an EndpointSlice endpoint's or a Backend
   *     endpoint's {@code zone}), or null when unknown; zone-aware load balancing groups endpoints
   *     by it
   * @param unix true for a Unix domain socket (a Backend's {@code unix} endpoint): Envoy connects
   *     to the socket file {@code host} instead of an IP address and port
   */
  public record EndpointIr(
      String host,
      int port,
      String zone,
      // Left out of the IR when false (almost every endpoint).
      @com.fasterxml.jackson.annotation.JsonInclude(
              com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
          boolean unix) {
    public EndpointIr {
      IrValidation.requireName(host, "endpoint host");
      if (unix) {
        if (port != 0) {
          throw new IllegalArgumentException("unix socket endpoint " + host + " has a port");
        }
      } else {
        IrValidation.requirePort(port, "endpoint " + host);
      }
      zone = zone == null || zone.isEmpty() ? null : zone;
    }

    /** An IP or DNS endpoint. */
    public EndpointIr(String host, int port, String zone) {
      this(host, port, zone, false);
    }

    /** An endpoint whose zone is not known. */
    public EndpointIr(String host, int port) {
      this(host, port, null);
    }

    /** A Unix domain socket endpoint at {@code path}. */
    public static EndpointIr unixSocket(String path, String zone) {
      return new EndpointIr(path, 0, zone, true);
    }
  }

  /**
   * Upstream TLS origination.
   *
   * @param sni server name sent to the backend
   * @param caCertificates PEM CA bundle to verify the backend, or null for the system store
   * @param subjectAltNames SANs to accept; empty means the SNI hostname
   * @param clientCertificate the certificate Envoy presents to the backend (mutual TLS), served
   *     over SDS under its name; null for none
   */
  public record UpstreamTlsIr(
      String sni,
      String caCertificates,
      List<String> subjectAltNames,
      TlsIr.CertificateIr clientCertificate) {
    public UpstreamTlsIr {
      subjectAltNames = XdsIr.copy(subjectAltNames);
    }

    /** This TLS, presenting {@code certificate} to the backend. */
    public UpstreamTlsIr withClientCertificate(TlsIr.CertificateIr certificate) {
      return new UpstreamTlsIr(sni, caCertificates, subjectAltNames, certificate);
    }
  }
}
