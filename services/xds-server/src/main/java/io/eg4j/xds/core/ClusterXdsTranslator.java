package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.ads;
import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.filters.FilterResources;
import io.eg4j.xds.core.filters.HttpFilters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.clusters.common.dns.v3.DnsLookupFamily;
import io.envoyproxy.envoy.extensions.clusters.dns.v3.DnsCluster;
import io.envoyproxy.envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds Envoy clusters, one per backend group: a destination with one backendRef becomes one
 * cluster named after the destination; a destination that splits traffic by weight becomes one
 * cluster per backendRef (named after the setting) and the route or TCP proxy weighs them. IP
 * endpoints come through EDS; FQDN endpoints are resolved by Envoy (the DNS cluster extension).
 */
public final class ClusterXdsTranslator {
  /**
   * One cluster a route or proxy points at.
   *
   * @param name cluster name
   * @param weight relative weight when split
   * @param setting the backend group behind it (the first one when the cluster has localities)
   * @param localities when not empty, the cluster serves all these backend groups, each as a
   *     locality weighted by its backendRef weight (UDP: udp_proxy routes to one cluster only)
   * @param settings how Envoy connects to the cluster, or null for Envoy Gateway's defaults
   */
  public record ClusterRef(
      String name,
      int weight,
      DestinationSettingIr setting,
      List<DestinationSettingIr> localities,
      ClusterSettingsIr settings) {
    /** A cluster of one backend group. */
    public ClusterRef(String name, int weight, DestinationSettingIr setting) {
      this(name, weight, setting, List.of(), null);
    }

    public ClusterRef(
        String name,
        int weight,
        DestinationSettingIr setting,
        List<DestinationSettingIr> localities) {
      this(name, weight, setting, localities, null);
    }
  }

  /**
   * The one cluster a UDP listener routes to. Envoy's udp_proxy has no weighted clusters, so a
   * UDPRoute with several backendRefs becomes one cluster whose localities are the backends,
   * weighted by their backendRef weights (as Envoy Gateway does).
   */
  static ClusterRef udpRef(RouteDestinationIr dest) {
    List<ClusterRef> refs = refs(dest);
    if (refs.size() <= 1) {
      // Filters name this cluster after the destination (no weighted clusters to reach it).
      return refs.isEmpty()
          ? null
          : new ClusterRef(
              dest.name(), refs.get(0).weight(), refs.get(0).setting(), List.of(), dest.cluster());
    }
    return new ClusterRef(
        dest.name(),
        1,
        refs.get(0).setting(),
        refs.stream().map(ClusterRef::setting).toList(),
        dest.cluster());
  }

  /** The clusters a destination needs, with their weights; zero-weight backends are left out. */
  public static List<ClusterRef> refs(RouteDestinationIr dest) {
    if (dest.settings().size() == 1) {
      DestinationSettingIr s = dest.settings().get(0);
      // With weighted zones the backend's cluster is its own (named after the backend), as Envoy
      // Gateway gives each backend its zone-weighted localities; the route reaches it through a
      // weighted cluster (perBackendCluster).
      String name = perBackendCluster(dest) && s.name() != null ? s.name() : dest.name();
      return List.of(new ClusterRef(name, Math.max(1, s.weight()), s, List.of(), dest.cluster()));
    }
    List<ClusterRef> out = new ArrayList<>();
    for (DestinationSettingIr s : dest.settings()) {
      if (s.weight() > 0) {
        out.add(new ClusterRef(s.name(), s.weight(), s, List.of(), dest.cluster()));
      }
    }
    return out;
  }

  /**
   * True when each backend of the destination needs a cluster of its own even when it is the only
   * one: a load balancer with weighted zones weighs the backend's zone localities, which Envoy
   * Gateway keeps per backend (its NeedsClusterPerSetting), so the route uses weighted clusters.
   */
  public static boolean perBackendCluster(RouteDestinationIr dest) {
    if (dest.settings().stream().anyMatch(s -> s.credentialInjection() != null)) {
      // The backend's credential is injected by an upstream filter of its own cluster.
      return true;
    }
    var cs = dest.cluster();
    return cs != null
        && cs.loadBalancer() != null
        && cs.loadBalancer().zoneAware() != null
        && !cs.loadBalancer().zoneAware().weightedZones().isEmpty();
  }

  /** Every cluster an IR needs, by name (first definition wins), sorted by name. */
  static Map<String, ClusterRef> allRefs(XdsIr ir) {
    return allRefs(ir, HttpFilters.resources(ir));
  }

  /**
   * {@link #allRefs(XdsIr)} with the HTTP filters' resources already gathered ({@link
   * HttpFilters#resources}: each filter scans every route for them).
   */
  static Map<String, ClusterRef> allRefs(XdsIr ir, FilterResources filterResources) {
    Map<String, ClusterRef> out = new TreeMap<>();
    for (HttpListenerIr l : ir.http()) {
      for (HttpRouteIr r : l.routes()) {
        if (r.destination() != null) {
          add(out, r.destination());
        }
        for (HttpRouteIr.MirrorIr m : r.mirrors()) {
          add(out, m.destination());
        }
      }
    }
    for (TcpListenerIr l : ir.tcp()) {
      for (TcpListenerIr.TcpRouteIr r : l.routes()) {
        add(out, r.destination());
      }
    }
    for (UdpListenerIr u : ir.udp()) {
      ClusterRef ref = udpRef(u.destination());
      if (ref != null) {
        out.putIfAbsent(ref.name(), ref);
      }
    }
    // Upstreams the HTTP filters call: authorization services, JWKS and OIDC endpoints.
    for (RouteDestinationIr dest : filterResources.destinations()) {
      add(out, dest);
    }
    // The collectors of the EnvoyProxy's access logs and traces: one cluster each.
    if (ir.telemetry() != null) {
      for (RouteDestinationIr dest : ir.telemetry().destinations()) {
        ClusterRef ref = udpRef(dest);
        if (ref != null) {
          out.putIfAbsent(ref.name(), ref);
        }
      }
    }
    for (RouteDestinationIr dest : filterResources.singleClusters()) {
      ClusterRef ref = udpRef(dest);
      if (ref != null) {
        out.putIfAbsent(ref.name(), ref);
      }
    }
    return out;
  }

  private static void add(Map<String, ClusterRef> out, RouteDestinationIr dest) {
    for (ClusterRef r : refs(dest)) {
      out.putIfAbsent(r.name(), r);
    }
  }

  /**
   * The HTTP/1 settings a ClientTrafficPolicy gives each route's clusters, by cluster name: the
   * client's HTTP/1 options (trailers, header case, HTTP/1.0) carry over to the connections to the
   * backends, as Envoy Gateway configures them. A cluster takes the settings of the listener of the
   * first route that uses it (null when that listener has none), as it takes the rest of its
   * definition from that route.
   */
  static Map<String, Http1ProtocolOptions> upstreamHttp1(XdsIr ir) {
    Map<String, Http1ProtocolOptions> out = new java.util.HashMap<>();
    for (HttpListenerIr l : ir.http()) {
      Http1ProtocolOptions h1 = http1(l.client());
      for (HttpRouteIr r : l.routes()) {
        if (r.destination() == null) {
          continue;
        }
        for (ClusterRef ref : refs(r.destination())) {
          if (!out.containsKey(ref.name())) {
            out.put(ref.name(), h1);
          }
        }
      }
    }
    return out;
  }

  /** The upstream HTTP/1 options a listener's ClientTrafficPolicy asks for, or null for none. */
  private static Http1ProtocolOptions http1(io.eg4j.model.ir.traffic.ClientTrafficIr client) {
    if (client == null) {
      return null;
    }
    var cm = client.connectionManager();
    boolean http10 = client.acceptHttp10() || (cm != null && cm.http10DefaultHost() != null);
    boolean preserveCase = cm != null && cm.preserveHeaderCase();
    if (!http10 && !preserveCase && !client.enableTrailers()) {
      return null;
    }
    Http1ProtocolOptions.Builder h1 =
        Http1ProtocolOptions.newBuilder().setEnableTrailers(client.enableTrailers());
    if (preserveCase) {
      h1.setHeaderKeyFormat(ConnectionManagerXds.preserveCase());
    }
    if (http10) {
      h1.setAcceptHttp10(true);
      if (cm != null && cm.http10DefaultHost() != null) {
        h1.setDefaultHostForHttp10(cm.http10DefaultHost());
      }
    }
    return h1.build();
  }

  /** Translates the clusters of an IR. */
  public List<Cluster> translate(XdsIr ir) {
    return translate(ir, allRefs(ir));
  }

  /** Translates the clusters of an IR whose cluster references are already gathered. */
  List<Cluster> translate(XdsIr ir, Map<String, ClusterRef> refs) {
    List<Cluster> out = new ArrayList<>();
    Map<String, Http1ProtocolOptions> http1 = upstreamHttp1(ir);
    Map<Hashed<Made>, Cluster> before =
        ir.key() == null ? Map.of() : lastClusters.getOrDefault(ir.key(), Map.of());
    Map<Hashed<Made>, Cluster> now = new java.util.HashMap<>(refs.size() * 2);
    for (ClusterRef ref : refs.values()) {
      Hashed<Made> k = Hashed.of(new Made(ref, ir.backendTls()));
      Cluster made = now.get(k);
      if (made == null) {
        made = before.get(k);
        if (made == null) {
          made = cluster(ref, ir.backendTls());
        }
        now.put(k, made);
      }
      // The rate limit service's cluster is one of the filter upstreams; its TLS is the proxy's.
      Cluster c = io.eg4j.xds.core.filters.GlobalRateLimitFilterXds.withServiceTls(made, ir);
      Http1ProtocolOptions h1 = http1.get(ref.name());
      out.add(h1 == null ? c : ClusterSettingsXds.withUpstreamHttp1(c, h1));
    }
    if (ir.localCluster() != null) {
      out.add(ProxyLocalXds.localCluster(ir));
    }
    if (ir.key() != null) {
      lastClusters.put(ir.key(), now);
    }
    // The EnvoyProxy's stats settings (stat names, per-endpoint and size stats) on route clusters.
    return ClusterStatsXds.apply(out, ir);
  }

  // Per IR key, the clusters of its last translation by what they were made from. A cluster is a
  // function of its reference and the proxy's backend TLS alone ({@link #cluster(ClusterRef,
  // io.eg4j.model.ir.ProxyBackendTlsIr)}), so an equal pair from the last translation gets that
  // Cluster back instead of being built again: one route added to thousands builds one cluster,
  // and comparing and hashing the others is an identity check (issue #16). Holds only the clusters
  // of each key's last translation, so it never outgrows what is served.
  private final Map<String, Map<Hashed<Made>, Cluster>> lastClusters =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** What a cluster is made from (see {@link #lastClusters}). */
  private record Made(ClusterRef ref, io.eg4j.model.ir.ProxyBackendTlsIr proxyTls) {}

  /** Forgets the clusters kept from the last translation of an IR key (its Gateway is gone). */
  public void forget(String key) {
    lastClusters.remove(key);
  }

  static boolean isDns(DestinationSettingIr s) {
    return "FQDN".equalsIgnoreCase(s.addressType());
  }

  /** True when Envoy resolves this cluster's endpoints (any of its groups has FQDN ones). */
  static boolean isDns(ClusterRef ref) {
    return isDns(ref.setting()) || ref.localities().stream().anyMatch(ClusterXdsTranslator::isDns);
  }

  /** The endpoints of a cluster served inline (DNS) or through EDS. */
  static io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment assignment(ClusterRef ref) {
    var zones =
        ref.settings() == null || ref.settings().loadBalancer() == null
            ? null
            : ref.settings().loadBalancer().zoneAware();
    var cla =
        ref.localities().isEmpty()
            ? EndpointXdsTranslator.assignment(ref.name(), ref.setting(), zones)
            : EndpointXdsTranslator.weightedAssignment(ref.name(), ref.localities(), zones);
    Integer healthCheckPort =
        ref.settings() == null || ref.settings().activeHealthCheck() == null
            ? null
            : ref.settings().activeHealthCheck().port();
    if (healthCheckPort != null) {
      // Active health checks go to this port of each endpoint instead of its serving port.
      var b = cla.toBuilder();
      for (var loc : b.getEndpointsBuilderList()) {
        for (var ep : loc.getLbEndpointsBuilderList()) {
          ep.getEndpointBuilder()
              .setHealthCheckConfig(
                  io.envoyproxy.envoy.config.endpoint.v3.Endpoint.HealthCheckConfig.newBuilder()
                      .setPortValue(healthCheckPort));
        }
      }
      cla = b.build();
    }
    if (!ref.localities().isEmpty()) {
      return withLocalityTlsMatches(ref, cla);
    }
    if (ref.setting().tls() == null) {
      return cla;
    }
    // Each endpoint names the TLS transport socket it is reached with.
    var meta =
        io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder()
            .putFilterMetadata(
                "envoy.transport_socket_match",
                com.google.protobuf.Struct.newBuilder()
                    .putFields(
                        "name",
                        com.google.protobuf.Value.newBuilder()
                            .setStringValue(tlsMatchName(ref.name()))
                            .build())
                    .build())
            .build();
    var b = cla.toBuilder();
    for (var loc : b.getEndpointsBuilderList()) {
      for (var ep : loc.getLbEndpointsBuilderList()) {
        ep.setMetadata(meta);
      }
    }
    return b.build();
  }

  /**
   * The TLS backends of a cluster with localities (each locality one backendRef): the locality's
   * index, by its region (the backendRef's setting name), for those reached over TLS.
   */
  static Map<String, Integer> tlsLocalities(ClusterRef ref) {
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < ref.localities().size(); i++) {
      DestinationSettingIr l = ref.localities().get(i);
      if (l.tls() != null) {
        out.putIfAbsent(l.name(), i);
      }
    }
    return out;
  }

  /**
   * Marks the endpoints of each TLS locality with the name of its own transport socket match, as
   * Envoy Gateway does: backendRefs of one cluster may each have their own BackendTLSPolicy (or
   * none), and Envoy picks the socket per endpoint.
   */
  private static io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment
      withLocalityTlsMatches(
          ClusterRef ref, io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment cla) {
    Map<String, Integer> tls = tlsLocalities(ref);
    if (tls.isEmpty()) {
      return cla;
    }
    var b = cla.toBuilder();
    for (var loc : b.getEndpointsBuilderList()) {
      Integer i = tls.get(loc.getLocality().getRegion());
      if (i == null) {
        continue;
      }
      var meta = matchMetadata(tlsMatchName(ref.name(), i));
      for (var ep : loc.getLbEndpointsBuilderList()) {
        ep.setMetadata(meta);
      }
    }
    return b.build();
  }

  private static io.envoyproxy.envoy.config.core.v3.Metadata matchMetadata(String name) {
    return io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder()
        .putFilterMetadata(
            "envoy.transport_socket_match",
            com.google.protobuf.Struct.newBuilder()
                .putFields(
                    "name", com.google.protobuf.Value.newBuilder().setStringValue(name).build())
                .build())
        .build();
  }

  /** A Backend of type DynamicResolver: the upstream is the request's own host. */
  static boolean isDynamic(DestinationSettingIr s) {
    return "DYNAMIC".equalsIgnoreCase(s.addressType());
  }

  /** A cluster without an EnvoyProxy backendTLS. */
  static Cluster cluster(ClusterRef ref) {
    return cluster(ref, null);
  }

  /**
   * The cluster of {@code ref}; {@code proxyTls} is the EnvoyProxy's backendTLS, which every TLS
   * backend of the cluster (not one made from a URL) offers where it sets nothing of its own.
   */
  static Cluster cluster(ClusterRef ref, io.eg4j.model.ir.ProxyBackendTlsIr proxyTls) {
    DestinationSettingIr s = ref.setting();
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(ref.name())
            .setConnectTimeout(Protos.seconds(10))
            .setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST)
            .setPerConnectionBufferLimitBytes(Protos.u32(32768))
            // Envoy Gateway's default: retries may use many more concurrent slots than Envoy's
            // default of 3 before the circuit breaker stops them.
            .setCircuitBreakers(
                io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers.newBuilder()
                    .addThresholds(
                        io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers.Thresholds
                            .newBuilder()
                            .setMaxRetries(Protos.u32(1024))));
    ClusterMetadata.of(ref.name()).ifPresent(c::setMetadata);
    if (isDynamic(s)) {
      // Envoy's dynamic forward proxy cluster resolves the request's host (and port) itself, with
      // a DNS cache of its own; there are no endpoints to send.
      c.clearLbPolicy()
          .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
          .setClusterType(
              Cluster.CustomClusterType.newBuilder()
                  .setName("envoy.clusters.dynamic_forward_proxy")
                  .setTypedConfig(
                      any(
                          ClusterConfig.newBuilder()
                              .setDnsCacheConfig(
                                  DynamicForwardProxy.dnsCache(
                                      new RouteDestinationIr(
                                          ref.name(), List.of(s), 0, ref.settings(), null)))
                              .build())));
    } else if (isDns(ref)) {
      // Envoy resolves the names itself and follows DNS changes.
      c.setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
          .setDnsRefreshRate(Protos.seconds(30))
          .setRespectDnsTtl(true)
          .setLoadAssignment(assignment(ref));
    } else {
      c.setType(Cluster.DiscoveryType.EDS)
          .setEdsClusterConfig(
              Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ads()).setServiceName(ref.name()));
    }
    if (!ref.localities().isEmpty()) {
      // Pick a locality (backend) by its weight first, then a host within it.
      c.setCommonLbConfig(
          Cluster.CommonLbConfig.newBuilder()
              .setLocalityWeightedLbConfig(
                  Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance()));
    }
    HttpProtocolOptions.Builder http = null;
    switch (s.protocol().toUpperCase(java.util.Locale.ROOT)) {
      case "HTTP2", "GRPC", "H2C" ->
          http =
              HttpProtocolOptions.newBuilder()
                  .setExplicitHttpConfig(
                      HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                          .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
      case "WS", "WEBSOCKET" ->
          // WebSocket needs HTTP/1.1 upstream for the Upgrade handshake.
          http =
              HttpProtocolOptions.newBuilder()
                  .setExplicitHttpConfig(
                      HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                          .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
      default -> {
        if (s.tls() != null
            && !isDynamic(s)
            && !uriCluster(ref.name())
            && s.protocol().equalsIgnoreCase("HTTP")) {
          // Over TLS, ALPN picks HTTP/2 or HTTP/1.1 with each backend (Envoy Gateway's default).
          http =
              HttpProtocolOptions.newBuilder()
                  .setAutoConfig(
                      HttpProtocolOptions.AutoHttpConfig.newBuilder()
                          .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
                          .setHttp2ProtocolOptions(
                              Http2ProtocolOptions.newBuilder()
                                  .setInitialStreamWindowSize(Protos.u32(65536))
                                  .setInitialConnectionWindowSize(Protos.u32(1048576))));
        }
      }
    }
    if (http != null
        && !isDynamic(s)
        && !uriCluster(ref.name())
        && (UpstreamTlsXds.autoSni(s.tls())
            || ref.localities().stream().anyMatch(l -> UpstreamTlsXds.autoSni(l.tls())))) {
      // No SNI fixed for the backend: Envoy sends the request's host, and the TLS context checks
      // the certificate against it.
      http.setUpstreamHttpProtocolOptions(
          io.envoyproxy.envoy.config.core.v3.UpstreamHttpProtocolOptions.newBuilder()
              .setAutoSni(true));
    }
    if (isDynamic(s) && s.tls() != null) {
      // The upstream host differs per request: send it as SNI and verify the certificate for it.
      if (http == null) {
        http =
            HttpProtocolOptions.newBuilder()
                .setExplicitHttpConfig(
                    HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
      }
      http.setUpstreamHttpProtocolOptions(
          io.envoyproxy.envoy.config.core.v3.UpstreamHttpProtocolOptions.newBuilder()
              .setAutoSni(true)
              .setAutoSanValidation(true));
    }
    var admission = ref.settings() == null ? null : ref.settings().admissionControl();
    if ((s.credentialInjection() != null || admission != null) && http == null) {
      http =
          HttpProtocolOptions.newBuilder()
              .setExplicitHttpConfig(
                  HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                      .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
    }
    if (admission != null) {
      // Admission control has no per-route config: it runs on the cluster, ahead of the codec,
      // and measures this cluster's success rate (Envoy Gateway's placement).
      http.addHttpFilters(io.eg4j.xds.core.filters.AdmissionControlXds.upstreamFilter(admission));
      if (s.credentialInjection() == null) {
        http.addHttpFilters(io.eg4j.xds.core.filters.CredentialInjectorFilterXds.upstreamCodec());
      }
    }
    if (s.credentialInjection() != null) {
      // The backendRef's own credential is injected by an upstream filter of its cluster, so only
      // requests sent to this backend carry it.
      http.addAllHttpFilters(
          io.eg4j.xds.core.filters.CredentialInjectorFilterXds.upstreamFilters(
              s.credentialInjection()));
    }
    if (http != null) {
      c.putTypedExtensionProtocolOptions(
          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", any(http.build()));
    }
    if (!ref.localities().isEmpty() && !tlsLocalities(ref).isEmpty()) {
      // One transport socket per TLS backendRef, chosen by the endpoints' metadata; endpoints of
      // backendRefs without TLS carry no match name and use the default plain socket.
      tlsLocalities(ref)
          .forEach(
              (region, i) -> {
                RouteDestinationIr.UpstreamTlsIr tls = ref.localities().get(i).tls();
                String match = tlsMatchName(ref.name(), i);
                c.addTransportSocketMatches(
                    Cluster.TransportSocketMatch.newBuilder()
                        .setName(match)
                        .setMatch(
                            com.google.protobuf.Struct.newBuilder()
                                .putFields(
                                    "name",
                                    com.google.protobuf.Value.newBuilder()
                                        .setStringValue(match)
                                        .build()))
                        .setTransportSocket(
                            UpstreamTlsXds.socket(
                                tls, UpstreamTlsXds.caSecretName(match, tls), proxyTls)));
              });
    } else if (s.tls() != null && uriCluster(ref.name())) {
      // A cluster made from a URL (a JWKS or OIDC endpoint): the CA inline, as Envoy Gateway
      // serves these.
      c.setTransportSocket(UpstreamTlsXds.socket(s.tls(), null, null));
    } else if (s.tls() != null) {
      // As Envoy Gateway has it: the TLS socket is chosen per endpoint (the endpoints carry the
      // match name in their metadata), the CA comes over SDS, TLS 1.2 to 1.3. The default socket
      // is the same verified one, so an endpoint without the metadata is never sent in clear text
      // nor without verification.
      TransportSocket tlsSocket =
          UpstreamTlsXds.socket(
              s.tls(), UpstreamTlsXds.caSecretName(ref.name(), s.tls()), proxyTls);
      c.setTransportSocket(tlsSocket)
          .addTransportSocketMatches(
              Cluster.TransportSocketMatch.newBuilder()
                  .setName(tlsMatchName(ref.name()))
                  .setMatch(
                      com.google.protobuf.Struct.newBuilder()
                          .putFields(
                              "name",
                              com.google.protobuf.Value.newBuilder()
                                  .setStringValue(tlsMatchName(ref.name()))
                                  .build()))
                  .setTransportSocket(tlsSocket));
    }
    if (ref.settings() != null) {
      ClusterSettingsXds.apply(c, ref.settings(), isDns(ref));
    }
    if (!isDynamic(s) && isDns(ref)) {
      dnsCluster(c);
    }
    if (c.getHealthChecksList().stream().anyMatch(h -> h.hasGrpcHealthCheck()) && !http2(c)) {
      // Envoy refuses the whole cluster ("must support HTTP/2 for gRPC healthchecking"). The
      // translator fails such routes closed; a policy's own HTTP/1 backend keeps its other
      // settings rather than break the listener (DESIGN.md invariant 10).
      org.slf4j.LoggerFactory.getLogger(ClusterXdsTranslator.class)
          .warn(
              "cluster {}: gRPC health check left out, the cluster does not use HTTP/2",
              ref.name());
      java.util.List<io.envoyproxy.envoy.config.core.v3.HealthCheck> keep =
          c.getHealthChecksList().stream().filter(h -> !h.hasGrpcHealthCheck()).toList();
      c.clearHealthChecks().addAllHealthChecks(keep);
    }
    return c.build();
  }

  /** True when the cluster's HTTP protocol options let it speak HTTP/2 to its endpoints. */
  private static boolean http2(Cluster.Builder c) {
    com.google.protobuf.Any o =
        c.getTypedExtensionProtocolOptionsMap()
            .get("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    if (o == null) {
      return c.hasHttp2ProtocolOptions();
    }
    try {
      HttpProtocolOptions h = o.unpack(HttpProtocolOptions.class);
      return (h.hasExplicitHttpConfig() && h.getExplicitHttpConfig().hasHttp2ProtocolOptions())
          || h.hasAutoConfig()
          || (h.hasUseDownstreamProtocolConfig()
              && h.getUseDownstreamProtocolConfig().hasHttp2ProtocolOptions());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return false;
    }
  }

  /**
   * Makes a cluster whose endpoints Envoy resolves the DNS cluster extension that Envoy Gateway
   * uses (every address of a name is an endpoint, re-resolved every 30 seconds or at the record's
   * TTL), carrying over the resolution settings written on the cluster.
   */
  private static void dnsCluster(Cluster.Builder c) {
    DnsCluster.Builder dns =
        DnsCluster.newBuilder()
            .setRespectDnsTtl(c.getRespectDnsTtl())
            .setDnsLookupFamily(
                switch (c.getDnsLookupFamily()) {
                  case V4_ONLY -> DnsLookupFamily.V4_ONLY;
                  case V6_ONLY -> DnsLookupFamily.V6_ONLY;
                  case AUTO -> DnsLookupFamily.AUTO;
                  case ALL -> DnsLookupFamily.ALL;
                  default -> DnsLookupFamily.V4_PREFERRED;
                });
    if (c.hasDnsRefreshRate()) {
      dns.setDnsRefreshRate(c.getDnsRefreshRate());
    }
    c.clearDnsRefreshRate()
        .clearRespectDnsTtl()
        .setClusterType(
            Cluster.CustomClusterType.newBuilder()
                .setName("envoy.cluster.dns")
                .setTypedConfig(any(dns.build())));
  }

  /**
   * True for a cluster made from a URL ({@code host_port}, such as a remote JWKS or an OIDC
   * provider), false for one made from backendRefs (named after its route or policy, or an
   * EnvoyProxy telemetry collector, which Envoy Gateway names without a slash).
   */
  static boolean uriCluster(String clusterName) {
    return !clusterName.contains("/") && !io.eg4j.model.ir.TelemetryIr.isCollector(clusterName);
  }

  /** The name of a cluster's TLS transport socket match (and of its endpoints' metadata). */
  static String tlsMatchName(String clusterName) {
    return tlsMatchName(clusterName, 0);
  }

  /** The name of the TLS transport socket match of a cluster's {@code index}th backendRef. */
  static String tlsMatchName(String clusterName, int index) {
    return clusterName + "/tls/" + index;
  }
}
