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
 * @param statName the name Envoy gives the cluster's stats ({@code alt_stat_name}, from the
 *     EnvoyProxy {@code telemetry.metrics.clusterStatName}), or null for the cluster name
 */
public record RouteDestinationIr(
    String name,
    List<DestinationSettingIr> settings,
    int invalidWeight,
    ClusterSettingsIr cluster,
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String statName) {
  public RouteDestinationIr {
    IrValidation.requireName(name, "destination");
    settings = XdsIr.copy(settings);
    if (invalidWeight < 0) {
      throw new IllegalArgumentException("negative invalid weight in " + name);
    }
  }

  /** A destination with Envoy Gateway's default cluster settings. */
  public RouteDestinationIr(String name, List<DestinationSettingIr> settings, int invalidWeight) {
    this(name, settings, invalidWeight, null, null);
  }

  /** This destination with other backend groups, everything else shared. */
  public RouteDestinationIr withSettings(List<DestinationSettingIr> newSettings) {
    return new RouteDestinationIr(name, newSettings, invalidWeight, cluster, statName);
  }

  /** This destination with other cluster settings. */
  public RouteDestinationIr withCluster(ClusterSettingsIr settings) {
    return new RouteDestinationIr(name, this.settings, invalidWeight, settings, statName);
  }

  /** This destination with its stats under another name (null for the cluster name). */
  public RouteDestinationIr withStatName(String newStatName) {
    return new RouteDestinationIr(name, settings, invalidWeight, cluster, newStatName);
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
   * Upstream TLS origination: what a BackendTLSPolicy and a Backend's {@code spec.tls} ask, merged
   * (the policy's validation and hostname take precedence over the Backend's), and the client side
   * of the handshake (the Backend's own client settings, else the Gateway's EnvoyProxy's).
   *
   * @param sni server name sent to the backend; null for none fixed: over HTTP Envoy then sends the
   *     request's host ({@code auto_sni}) and checks the certificate against it, unless {@code
   *     autoHostSni}
   * @param caCertificates PEM CA bundle to verify the backend, or null for the system store
   * @param subjectAltNames SANs to accept; empty means the SNI hostname
   * @param clientCertificate the certificate Envoy presents to the backend (mutual TLS), served
   *     over SDS under its name; null for the EnvoyProxy's, if any
   * @param caName the SDS name of the validation secret, shared by every cluster that verifies with
   *     the same source (Envoy Gateway's {@code <name>/<namespace>-ca} of the policy or Backend, or
   *     {@code system_ca_certificates}); null to name it after the cluster
   * @param insecureSkipVerify the Backend's {@code tls.insecureSkipVerify}: the backend's
   *     certificate is not verified at all
   * @param autoHostSni the Backend's {@code tls.autoSNIFromEndpointHostname}: the SNI is each
   *     endpoint's host name, and the certificate is checked against it
   * @param client the Backend's own client TLS settings (ALPN, ciphers, versions), which take
   *     precedence over the EnvoyProxy's {@code backendTLS}; null for none
   */
  public record UpstreamTlsIr(
      String sni,
      String caCertificates,
      List<String> subjectAltNames,
      TlsIr.CertificateIr clientCertificate,
      @com.fasterxml.jackson.annotation.JsonInclude(
              com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
          String caName,
      @com.fasterxml.jackson.annotation.JsonInclude(
              com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
          boolean insecureSkipVerify,
      @com.fasterxml.jackson.annotation.JsonInclude(
              com.fasterxml.jackson.annotation.JsonInclude.Include.NON_DEFAULT)
          boolean autoHostSni,
      @com.fasterxml.jackson.annotation.JsonInclude(
              com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
          ClientTlsIr client) {
    public UpstreamTlsIr {
      subjectAltNames = XdsIr.copy(subjectAltNames);
      sni = sni == null || sni.isEmpty() ? null : sni;
      if (autoHostSni && sni != null) {
        throw new IllegalArgumentException("upstream TLS with both an SNI and auto host SNI");
      }
    }

    /** TLS that verifies the backend with {@code caCertificates} (null: the system store). */
    public static UpstreamTlsIr verified(
        String sni, String caCertificates, List<String> subjectAltNames) {
      return new UpstreamTlsIr(
          sni, caCertificates, subjectAltNames, null, null, false, false, null);
    }

    /** This TLS, presenting {@code certificate} to the backend. */
    public UpstreamTlsIr withClientCertificate(TlsIr.CertificateIr certificate) {
      return new UpstreamTlsIr(
          sni,
          caCertificates,
          subjectAltNames,
          certificate,
          caName,
          insecureSkipVerify,
          autoHostSni,
          client);
    }

    /** This TLS with its validation secret named {@code name}. */
    public UpstreamTlsIr withCaName(String name) {
      return new UpstreamTlsIr(
          sni,
          caCertificates,
          subjectAltNames,
          clientCertificate,
          name,
          insecureSkipVerify,
          autoHostSni,
          client);
    }

    /** This TLS sending {@code name} as SNI. */
    public UpstreamTlsIr withSni(String name) {
      return new UpstreamTlsIr(
          name,
          caCertificates,
          subjectAltNames,
          clientCertificate,
          caName,
          insecureSkipVerify,
          autoHostSni,
          client);
    }
  }

  /**
   * A backend's own client TLS settings (the Backend's {@code spec.tls}); each one that is set
   * replaces the EnvoyProxy's {@code backendTLS} value.
   *
   * @param alpnProtocols the ALPN protocols offered, in order; null when not set, empty to offer
   *     none
   * @param ciphers cipher suites; empty when not set
   * @param ecdhCurves ECDH curves; empty when not set
   * @param signatureAlgorithms signature algorithms; empty when not set
   * @param minVersion the minimum TLS version ({@code 1.0} to {@code 1.3}), or null
   * @param maxVersion the maximum TLS version, or null
   */
  public record ClientTlsIr(
      @com.fasterxml.jackson.annotation.JsonInclude(
              com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
          List<String> alpnProtocols,
      List<String> ciphers,
      List<String> ecdhCurves,
      List<String> signatureAlgorithms,
      String minVersion,
      String maxVersion) {
    public ClientTlsIr {
      alpnProtocols = alpnProtocols == null ? null : List.copyOf(alpnProtocols);
      ciphers = XdsIr.copy(ciphers);
      ecdhCurves = XdsIr.copy(ecdhCurves);
      signatureAlgorithms = XdsIr.copy(signatureAlgorithms);
    }

    /** True when nothing is set. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isEmpty() {
      return alpnProtocols == null
          && ciphers.isEmpty()
          && ecdhCurves.isEmpty()
          && signatureAlgorithms.isEmpty()
          && minVersion == null
          && maxVersion == null;
    }
  }
}
