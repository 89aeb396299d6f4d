package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.ads;
import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.TlsIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.traffic.ClientTrafficIr;
import io.eg4j.xds.core.filters.HttpFilters;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.listener.v3.UdpListenerConfig;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.filters.udp.udp_proxy.v3.Route;
import io.envoyproxy.envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig;
import io.envoyproxy.envoy.extensions.http.original_ip_detection.custom_header.v3.CustomHeaderConfig;
import io.envoyproxy.envoy.extensions.http.original_ip_detection.xff.v3.XffConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds Envoy listeners: one per bound address and port for HTTP, HTTPS, TLS and TCP (see {@link
 * PortGroup}), and one per UDP listener.
 */
public final class ListenerXdsTranslator {
  /** The tls_inspector listener filter name. */
  static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";

  /** Translates the listeners of an IR. */
  public List<Listener> translate(XdsIr ir) {
    List<Listener> out = new ArrayList<>();
    for (PortGroup g : PortGroup.of(ir)) {
      Listener l = tcpBased(g, ir.filterOrder());
      if (l.getFilterChainsCount() == 0 && !l.hasDefaultFilterChain()) {
        // A port whose listeners have no route yet (a TCP or TLS listener nothing attached to):
        // as Envoy Gateway does, it is bound and closes every connection, through a TCP proxy to
        // a cluster without endpoints.
        l =
            l.toBuilder()
                .addFilterChains(
                    FilterChain.newBuilder()
                        .setName(EMPTY_CLUSTER)
                        .addFilters(tcpProxyTo(statPrefix(g.envoyName()), EMPTY_CLUSTER)))
                .build();
      }
      out.add(l);
      Listener quic = quic(g, ir.filterOrder());
      if (quic != null) {
        out.add(quic);
      }
    }
    for (UdpListenerIr u : ir.udp()) {
      out.add(udp(u));
    }
    if (ir.ready() != null) {
      out.add(ProxyLocalXds.readyListener(ir.ready()));
    }
    // The EnvoyProxy's access logs and tracing replace the defaults the builders above use.
    return TelemetryXds.apply(out, ir.telemetry());
  }

  private Listener tcpBased(
      PortGroup g, List<io.eg4j.model.ir.XdsIr.FilterPositionIr> filterOrder) {
    Listener.Builder l =
        Listener.newBuilder()
            .setName(g.envoyName())
            .setAddress(address(g.address(), g.port(), SocketAddress.Protocol.TCP))
            // Large headers and many connections: the buffer limit matches Envoy Gateway's.
            .setPerConnectionBufferLimitBytes(Protos.u32(32768))
            // One connection per accept event spreads connections over the worker threads
            // (Envoy Gateway's default).
            .setMaxConnectionsToAcceptPerSocketEvent(Protos.u32(1))
            .addAccessLog(AccessLogs.listener());
    clientListenerSettings(l, g);
    boolean needsSni = false;
    if (!g.plainHttp().isEmpty()) {
      // Plain HTTP is the listener's default filter chain, as in Envoy Gateway: the paths of its
      // EnvoyPatchPolicy examples (/default_filter_chain/filters/0/typed_config/...) resolve.
      l.setDefaultFilterChain(
          FilterChain.newBuilder()
              .setName(g.plainRouteConfigName())
              .addFilters(
                  hcm(
                      g.plainRouteConfigName(),
                      statPrefix(g.envoyName()),
                      false,
                      g.plainHttp(),
                      filterOrder,
                      false)));
    }
    for (HttpListenerIr h : g.https()) {
      needsSni = true;
      FilterChain.Builder fc =
          FilterChain.newBuilder()
              .setName(h.name())
              .setFilterChainMatch(sniMatch(h.hostnames()))
              .addFilters(hcm(h.name(), statPrefix(h.name()), true, List.of(h), filterOrder, false))
              .setTransportSocket(downstreamTls(h.tls(), true, h.client()));
      tlsHandshakeTimeout(fc, h.client());
      l.addFilterChains(fc);
    }
    // Envoy rejects two filter chains with the same match (two TCPRoutes on one port without
    // SNI); the first route, in the IR's sorted order, keeps the port.
    java.util.Set<FilterChainMatch> matches = new java.util.HashSet<>();
    l.getFilterChainsList().forEach(c -> matches.add(c.getFilterChainMatch()));
    if (l.hasDefaultFilterChain()) {
      // Plain HTTP keeps the connections no other chain matches.
      matches.add(FilterChainMatch.getDefaultInstance());
    }
    for (TcpListenerIr t : g.tcp()) {
      for (TcpListenerIr.TcpRouteIr r : t.routes()) {
        FilterChain.Builder fc = FilterChain.newBuilder().setName(t.name() + "/" + r.name());
        if (!r.sniHostnames().isEmpty() || r.tls() != null) {
          fc.setFilterChainMatch(sniMatch(r.sniHostnames()));
        }
        if (!matches.add(fc.getFilterChainMatch())) {
          continue;
        }
        if (fc.hasFilterChainMatch()) {
          needsSni = true;
        }
        if (r.tls() != null) {
          fc.setTransportSocket(downstreamTls(r.tls(), false, t.client()));
          tlsHandshakeTimeout(fc, t.client());
        }
        if (r.tls() == null
            && r.destination() != null
            && r.destination().settings().stream()
                .anyMatch(
                    io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr::dynamicResolver)) {
          // TLS passthrough to a DynamicResolver: the upstream is the SNI's host, never loopback.
          fc.addFilters(DynamicForwardProxy.loopbackSniDeny(statPrefix(t.name())))
              .addFilters(DynamicForwardProxy.sniFilter(r.destination()));
        }
        fc.addFilters(tcpProxy(statPrefix(t.name() + "/" + r.name()), r.destination(), t.client()));
        l.addFilterChains(fc);
      }
    }
    connectionLimit(l, g);
    if (needsSni) {
      // SNI is read before a filter chain is chosen: TLS passthrough and HTTPS by hostname.
      l.addListenerFilters(
          ListenerFilter.newBuilder()
              .setName(TLS_INSPECTOR)
              .setTypedConfig(tlsInspector(fingerprints(g))));
    }
    return l.build();
  }

  /**
   * The client hello fingerprints a ClientTrafficPolicy asks for on the port's terminating
   * listeners (the HTTPS ones first, then TLS ones with a policy).
   */
  private static List<String> fingerprints(PortGroup g) {
    ClientTrafficIr c = firstClient(g.https());
    if (c == null) {
      c =
          g.tcp().stream()
              .filter(t -> t.routes().stream().anyMatch(r -> r.tls() != null))
              .map(TcpListenerIr::client)
              .filter(x -> x != null)
              .findFirst()
              .orElse(null);
    }
    return c == null ? List.of() : c.tls().fingerprints();
  }

  /**
   * The TLS inspector's configuration: JA3 and JA4 fingerprinting when asked for (JA4 is newer than
   * the protos eg4j builds with, so it travels in a TypedStruct Envoy reads with its own).
   */
  static com.google.protobuf.Any tlsInspector(List<String> fingerprints) {
    TlsInspector.Builder t = TlsInspector.newBuilder();
    if (fingerprints.contains("JA3")) {
      t.setEnableJa3Fingerprinting(com.google.protobuf.BoolValue.of(true));
    }
    if (fingerprints.contains("JA4")) {
      return Protos.anyWithFields(t.build(), n -> n.put("enable_ja4_fingerprinting", true));
    }
    return any(t.build());
  }

  private static FilterChainMatch sniMatch(List<String> hostnames) {
    FilterChainMatch.Builder m = FilterChainMatch.newBuilder();
    for (String h : hostnames) {
      // "*" (no hostname) matches any SNI, which Envoy expresses as no server_names at all.
      if (!"*".equals(h)) {
        m.addServerNames(h);
      }
    }
    return m.build();
  }

  private static Filter hcm(
      String routeConfigName,
      String statPrefix,
      boolean tls,
      List<HttpListenerIr> listeners,
      List<io.eg4j.model.ir.XdsIr.FilterPositionIr> filterOrder,
      boolean http3) {
    HttpConnectionManager.Builder hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(statPrefix)
            .setCodecType(HttpConnectionManager.CodecType.AUTO)
            .setRds(
                Rds.newBuilder().setConfigSource(ads()).setRouteConfigName(routeConfigName).build())
            .setUseRemoteAddress(com.google.protobuf.BoolValue.of(true))
            .setNormalizePath(com.google.protobuf.BoolValue.of(true))
            .setMergeSlashes(true)
            .setPathWithEscapedSlashesAction(
                HttpConnectionManager.PathWithEscapedSlashesAction.UNESCAPE_AND_REDIRECT)
            // Envoy Gateway's defaults: a request with an underscore in a header name is refused
            // (proxies and backends disagree on whether it equals a dash), the backend's Server
            // header passes through, every request is logged. Virtual hosts ignore the Host port
            // (the route configuration's ignore_port_in_host_matching); the Host header itself
            // reaches backends unchanged.
            .setCommonHttpProtocolOptions(
                io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                    .setHeadersWithUnderscoresAction(
                        io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions
                            .HeadersWithUnderscoresAction.REJECT_REQUEST))
            .setServerHeaderTransformation(
                HttpConnectionManager.ServerHeaderTransformation.PASS_THROUGH)
            .addAccessLog(AccessLogs.http())
            .setHttp2ProtocolOptions(
                io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.newBuilder()
                    .setMaxConcurrentStreams(Protos.u32(100))
                    .setInitialStreamWindowSize(Protos.u32(65536))
                    .setInitialConnectionWindowSize(Protos.u32(1048576)))
            // The HTTP filters the routes use, in Envoy Gateway's order and the EnvoyProxy's.
            .addAllHttpFilters(HttpFilters.forConnectionManager(listeners, filterOrder))
            .addAllEarlyHeaderMutationExtensions(HttpFilters.earlyHeaderMutations(listeners));
    clientSettings(hcm, listeners);
    if (http3) {
      hcm.setCodecType(HttpConnectionManager.CodecType.HTTP3)
          .setHttp3ProtocolOptions(
              io.envoyproxy.envoy.config.core.v3.Http3ProtocolOptions.getDefaultInstance());
    }
    return Filter.newBuilder()
        .setName("envoy.filters.network.http_connection_manager")
        .setTypedConfig(any(hcm.build()))
        .build();
  }

  /** The ClientTrafficPolicy of a port: its HTTP listeners' first, else its TCP and TLS ones'. */
  private static ClientTrafficIr portClient(PortGroup g) {
    List<HttpListenerIr> http = new java.util.ArrayList<>(g.plainHttp());
    http.addAll(g.https());
    ClientTrafficIr c = firstClient(http);
    if (c == null) {
      // A port of TCP and TLS listeners: the first ClientTrafficPolicy among them.
      c =
          g.tcp().stream()
              .map(TcpListenerIr::client)
              .filter(x -> x != null)
              .findFirst()
              .orElse(null);
    }
    return c;
  }

  /**
   * The connection limit of the port's ClientTrafficPolicy (the same policy {@link
   * #clientListenerSettings} reads): a connection_limit filter first in every filter chain, so
   * connections over the limit are closed before any other filter sees them. The count is shared by
   * the port's filter chains, as it is one filter configuration per chain with one stat prefix.
   */
  private static void connectionLimit(Listener.Builder l, PortGroup g) {
    ClientTrafficIr c = portClient(g);
    var cm = c == null ? null : c.connectionManager();
    if (cm == null || cm.connectionLimit() == null) {
      return;
    }
    io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit.Builder cl =
        io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit
            .newBuilder()
            .setStatPrefix(statPrefix(g.envoyName()))
            .setMaxConnections(com.google.protobuf.UInt64Value.of(cm.connectionLimit()));
    if (cm.connectionLimitCloseDelayMillis() != null) {
      cl.setDelay(Protos.millis(cm.connectionLimitCloseDelayMillis()));
    }
    Filter filter =
        Filter.newBuilder()
            .setName("envoy.filters.network.connection_limit")
            .setTypedConfig(any(cl.build()))
            .build();
    for (FilterChain.Builder fc : l.getFilterChainsBuilderList()) {
      fc.addFilters(0, filter);
    }
    if (l.hasDefaultFilterChain()) {
      l.getDefaultFilterChainBuilder().addFilters(0, filter);
    }
  }

  /**
   * The listener-level settings of the ClientTrafficPolicy of the port's HTTP listeners (the first
   * that has one): TCP keepalive as socket options, the per-connection buffer limit.
   */
  private static void clientListenerSettings(Listener.Builder l, PortGroup g) {
    ClientTrafficIr c = portClient(g);
    if (c == null) {
      return;
    }
    var cm = c.connectionManager();
    if (cm != null && cm.maxAcceptPerSocketEvent() != null) {
      if (cm.maxAcceptPerSocketEvent() == 0) {
        l.clearMaxConnectionsToAcceptPerSocketEvent();
      } else {
        l.setMaxConnectionsToAcceptPerSocketEvent(Protos.u32(cm.maxAcceptPerSocketEvent()));
      }
    }
    if (cm != null && cm.proxyProtocol() != null) {
      // The PROXY protocol header (v1 or v2) comes first on every connection and carries the
      // client's address.
      l.addListenerFilters(
          0,
          ListenerFilter.newBuilder()
              .setName("envoy.filters.listener.proxy_protocol")
              .setTypedConfig(
                  any(
                      io.envoyproxy.envoy.extensions.filters.listener.proxy_protocol.v3
                          .ProxyProtocol.newBuilder()
                          .setAllowRequestsWithoutProxyProtocol(
                              cm.proxyProtocol().equals("Optional"))
                          .build())));
    }
    var socket = c.socket();
    if (socket != null && socket.socketBufferLimitBytes() != null) {
      // SO_RCVBUF of each accepted socket (the kernel doubles it for its bookkeeping).
      l.addSocketOptions(socketOption(1, 8, socket.socketBufferLimitBytes()));
    }
    if (socket != null && socket.connectionInspectionTimeout() != null) {
      l.setListenerFiltersTimeout(Protos.millis(socket.connectionInspectionTimeout().millis()));
    }
    if (c.bufferLimitBytes() != null) {
      l.setPerConnectionBufferLimitBytes(
          com.google.protobuf.UInt32Value.of((int) Math.min(c.bufferLimitBytes(), 0xFFFFFFFFL)));
    }
    if (c.tcpKeepalive() != null) {
      // SO_KEEPALIVE on, then the Linux TCP_KEEPCNT, TCP_KEEPIDLE and TCP_KEEPINTVL options.
      l.addSocketOptions(socketOption(1, 9, 1));
      var k = c.tcpKeepalive();
      if (k.probes() != null) {
        l.addSocketOptions(socketOption(6, 6, k.probes()));
      }
      if (k.idleTime() != null) {
        l.addSocketOptions(socketOption(6, 4, k.idleTime().millis() / 1000));
      }
      if (k.interval() != null) {
        l.addSocketOptions(socketOption(6, 5, k.interval().millis() / 1000));
      }
    }
  }

  /** True when the ClientTrafficPolicy of an HTTPS listener turns HTTP/3 on. */
  static boolean http3(HttpListenerIr h) {
    return h.tls() != null && h.client() != null && h.client().http3();
  }

  /**
   * The QUIC listener of a port whose HTTPS listeners serve HTTP/3 (ClientTrafficPolicy {@code
   * http3}): UDP on the same address and port, one filter chain per such HTTPS listener chosen by
   * SNI, with the same certificates and TLS parameters, ALPN {@code h3}, and a connection manager
   * that speaks HTTP/3 and uses the HTTPS listener's routes. Null when no listener asks for it.
   */
  private static Listener quic(
      PortGroup g, List<io.eg4j.model.ir.XdsIr.FilterPositionIr> filterOrder) {
    List<HttpListenerIr> h3 = g.https().stream().filter(ListenerXdsTranslator::http3).toList();
    if (h3.isEmpty()) {
      return null;
    }
    Listener.Builder l =
        Listener.newBuilder()
            .setName(g.envoyName() + "-quic")
            .setAddress(address(g.address(), g.port(), SocketAddress.Protocol.UDP))
            .setUdpListenerConfig(
                UdpListenerConfig.newBuilder()
                    .setDownstreamSocketConfig(
                        io.envoyproxy.envoy.config.core.v3.UdpSocketConfig.getDefaultInstance())
                    .setQuicOptions(
                        io.envoyproxy.envoy.config.listener.v3.QuicProtocolOptions
                            .getDefaultInstance()))
            // A change to the TCP listener must not drain QUIC connections (Envoy Gateway's
            // setting): only a change to this listener does.
            .setDrainType(Listener.DrainType.MODIFY_ONLY)
            .addAccessLog(AccessLogs.listener());
    for (HttpListenerIr h : h3) {
      DownstreamTlsContext tls = downstreamTlsContext(h.tls(), true, h.client());
      DownstreamTlsContext.Builder quicTls = tls.toBuilder();
      quicTls.getCommonTlsContextBuilder().clearAlpnProtocols().addAlpnProtocols("h3");
      l.addFilterChains(
          FilterChain.newBuilder()
              .setName(h.name())
              .setFilterChainMatch(sniMatch(h.hostnames()))
              .addFilters(hcm(h.name(), statPrefix(h.name()), true, List.of(h), filterOrder, true))
              .setTransportSocket(
                  TransportSocket.newBuilder()
                      .setName("envoy.transport_sockets.quic")
                      .setTypedConfig(
                          any(
                              io.envoyproxy.envoy.extensions.transport_sockets.quic.v3
                                  .QuicDownstreamTransport.newBuilder()
                                  .setDownstreamTlsContext(quicTls)
                                  .build()))));
    }
    return l.build();
  }

  /** The ClientTrafficPolicy of the first of these listeners that has one, or null. */
  private static ClientTrafficIr firstClient(List<HttpListenerIr> listeners) {
    return listeners.stream()
        .map(HttpListenerIr::client)
        .filter(c -> c != null)
        .findFirst()
        .orElse(null);
  }

  /**
   * ClientTrafficPolicy {@code timeout.tcp.tlsHandshakeTimeout} on a TLS filter chain: a connection
   * that has not finished its handshake by then is closed.
   */
  private static void tlsHandshakeTimeout(FilterChain.Builder fc, ClientTrafficIr client) {
    if (client != null
        && client.socket() != null
        && client.socket().tlsHandshakeTimeout() != null) {
      fc.setTransportSocketConnectTimeout(
          Protos.millis(client.socket().tlsHandshakeTimeout().millis()));
    }
  }

  private static io.envoyproxy.envoy.config.core.v3.SocketOption socketOption(
      int level, int name, long value) {
    return io.envoyproxy.envoy.config.core.v3.SocketOption.newBuilder()
        .setLevel(level)
        .setName(name)
        .setIntValue(value)
        .setState(io.envoyproxy.envoy.config.core.v3.SocketOption.SocketState.STATE_PREBIND)
        .build();
  }

  /**
   * The connection manager settings of the ClientTrafficPolicy: HTTP timeouts, HTTP/1 options, and
   * the client IP detection: the client is the connection's peer (the default), a given number of
   * hops from the right of X-Forwarded-For, the rightmost address of X-Forwarded-For outside
   * trusted proxy ranges, or the address in a custom header.
   */
  private static void clientSettings(
      HttpConnectionManager.Builder hcm, List<HttpListenerIr> listeners) {
    ClientTrafficIr.ClientIpDetectionIr d =
        listeners.stream()
            .map(HttpListenerIr::client)
            .filter(c -> c != null && c.clientIpDetection() != null)
            .map(ClientTrafficIr::clientIpDetection)
            .findFirst()
            .orElse(null);
    ClientTrafficIr client = firstClient(listeners);
    if (client != null && client.connectionManager() != null) {
      ConnectionManagerXds.apply(hcm, client.connectionManager());
    }
    if (client != null) {
      if (client.socket() != null && client.socket().scheme() != null) {
        // ClientTrafficPolicy scheme: MatchBackend makes :scheme follow the backend's transport;
        // Preserve keeps the client's (an empty transformation, Envoy's default behaviour).
        hcm.setSchemeHeaderTransformation(
            io.envoyproxy.envoy.config.core.v3.SchemeHeaderTransformation.newBuilder()
                .setMatchUpstream(client.socket().schemeMatchBackend()));
      }
      if (client.requestReceivedTimeout() != null) {
        hcm.setRequestTimeout(Protos.millis(client.requestReceivedTimeout().millis()));
      }
      if (client.streamIdleTimeout() != null) {
        hcm.setStreamIdleTimeout(Protos.millis(client.streamIdleTimeout().millis()));
      }
      if (client.idleTimeout() != null) {
        hcm.setCommonHttpProtocolOptions(
            hcm.getCommonHttpProtocolOptions().toBuilder()
                .setIdleTimeout(Protos.millis(client.idleTimeout().millis())));
      }
      if (client.httpLimits() != null) {
        httpLimits(hcm, client.httpLimits());
      }
      if (client.acceptHttp10() || client.enableTrailers()) {
        hcm.setHttpProtocolOptions(
            hcm.getHttpProtocolOptions().toBuilder()
                .setAcceptHttp10(client.acceptHttp10())
                .setEnableTrailers(client.enableTrailers()));
      }
    }
    if (d == null) {
      return;
    }
    if (d.customHeader() != null) {
      CustomHeaderConfig.Builder c =
          CustomHeaderConfig.newBuilder()
              .setHeaderName(d.customHeader())
              .setAllowExtensionToSetAddressAsTrusted(true);
      if (d.customHeaderFailClosed()) {
        c.setRejectWithStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden));
      }
      hcm.setUseRemoteAddress(com.google.protobuf.BoolValue.of(false))
          .addOriginalIpDetectionExtensions(
              TypedExtensionConfig.newBuilder()
                  .setName("envoy.extensions.http.original_ip_detection.custom_header")
                  .setTypedConfig(any(c.build())));
    } else if (!d.xffTrustedCidrs().isEmpty()) {
      io.envoyproxy.envoy.extensions.http.original_ip_detection.xff.v3.XffTrustedCidrs.Builder
          cidrs =
              io.envoyproxy.envoy.extensions.http.original_ip_detection.xff.v3.XffTrustedCidrs
                  .newBuilder();
      for (String c : d.xffTrustedCidrs()) {
        int slash = c.indexOf('/');
        cidrs.addCidrs(
            io.envoyproxy.envoy.config.core.v3.CidrRange.newBuilder()
                .setAddressPrefix(c.substring(0, slash))
                .setPrefixLen(Protos.u32(Integer.parseInt(c.substring(slash + 1)))));
      }
      hcm.setUseRemoteAddress(com.google.protobuf.BoolValue.of(false))
          .addOriginalIpDetectionExtensions(
              TypedExtensionConfig.newBuilder()
                  .setName("envoy.extensions.http.original_ip_detection.xff")
                  .setTypedConfig(
                      any(
                          XffConfig.newBuilder()
                              .setXffTrustedCidrs(cidrs)
                              .setSkipXffAppend(com.google.protobuf.BoolValue.of(d.skipXffAppend()))
                              .build())));
    } else if (d.xffNumTrustedHops() != null) {
      hcm.setXffNumTrustedHops(d.xffNumTrustedHops()).setSkipXffAppend(d.skipXffAppend());
    }
  }

  private static boolean consistentHash(io.eg4j.model.ir.RouteDestinationIr d) {
    return d != null
        && d.cluster() != null
        && d.cluster().loadBalancer() != null
        && "ConsistentHash".equals(d.cluster().loadBalancer().type());
  }

  /** The cluster without endpoints that a listener without routes proxies to. */
  static final String EMPTY_CLUSTER = "EmptyCluster";

  private static Filter tcpProxyTo(String statPrefix, String cluster) {
    return Filter.newBuilder()
        .setName("envoy.filters.network.tcp_proxy")
        .setTypedConfig(
            any(
                TcpProxy.newBuilder()
                    .setStatPrefix(statPrefix)
                    .addAccessLog(AccessLogs.http())
                    .setCluster(cluster)
                    .build()))
        .build();
  }

  private static Filter tcpProxy(
      String statPrefix, io.eg4j.model.ir.RouteDestinationIr dest, ClientTrafficIr client) {
    // Every proxied connection is logged in Envoy Gateway's default format, as requests are.
    TcpProxy.Builder tp =
        TcpProxy.newBuilder().setStatPrefix(statPrefix).addAccessLog(AccessLogs.http());
    if (client != null && client.socket() != null && client.socket().tcpIdleTimeout() != null) {
      // ClientTrafficPolicy timeout.tcp.idleTimeout: no bytes either way for this long closes
      // both connections.
      tp.setIdleTimeout(Protos.millis(client.socket().tcpIdleTimeout().millis()));
    }
    if (consistentHash(dest)) {
      // A consistent-hash cluster needs something to hash: the client's address.
      tp.addHashPolicy(
          io.envoyproxy.envoy.type.v3.HashPolicy.newBuilder()
              .setSourceIp(io.envoyproxy.envoy.type.v3.HashPolicy.SourceIp.getDefaultInstance()));
    }
    List<ClusterXdsTranslator.ClusterRef> refs = ClusterXdsTranslator.refs(dest);
    if (refs.size() == 1) {
      tp.setCluster(refs.get(0).name());
    } else if (refs.isEmpty()) {
      tp.setCluster(dest.name());
    } else {
      TcpProxy.WeightedCluster.Builder wc = TcpProxy.WeightedCluster.newBuilder();
      for (ClusterXdsTranslator.ClusterRef r : refs) {
        wc.addClusters(
            TcpProxy.WeightedCluster.ClusterWeight.newBuilder()
                .setName(r.name())
                .setWeight(r.weight()));
      }
      tp.setWeightedClusters(wc);
    }
    return Filter.newBuilder()
        .setName("envoy.filters.network.tcp_proxy")
        .setTypedConfig(any(tp.build()))
        .build();
  }

  /** The SDS secret of a ClientTrafficPolicy's client CA: {@code <namespace>/<name>/ca.crt}. */
  static String clientCaSecretName(ClientTrafficIr client) {
    String id = client.policy();
    return id.substring(id.indexOf('/') + 1) + "/ca.crt";
  }

  private static TransportSocket downstreamTls(TlsIr tls, boolean http, ClientTrafficIr client) {
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(any(downstreamTlsContext(tls, http, client)))
        .build();
  }

  private static DownstreamTlsContext downstreamTlsContext(
      TlsIr tls, boolean http, ClientTrafficIr client) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
    for (TlsIr.CertificateIr c : tls.certificates()) {
      common.addTlsCertificateSdsSecretConfigs(
          SdsSecretConfig.newBuilder().setName(c.name()).setSdsConfig(ads()));
    }
    ClientTrafficIr.TlsSettingsIr settings = client == null ? null : client.tls();
    if (settings != null && settings.alpnProtocols() != null) {
      common.addAllAlpnProtocols(settings.alpnProtocols());
    } else if (!tls.alpnProtocols().isEmpty()) {
      common.addAllAlpnProtocols(tls.alpnProtocols());
    } else if (http) {
      // Envoy Gateway offers h2 and http/1.1 on HTTPS listeners by default.
      common.addAlpnProtocols("h2").addAlpnProtocols("http/1.1");
    }
    DownstreamTlsContext.Builder ctx = DownstreamTlsContext.newBuilder();
    if (settings != null) {
      common.setTlsParams(
          TlsParameters.newBuilder()
              .setTlsMinimumProtocolVersion(
                  TlsParameters.TlsProtocol.valueOf(settings.minVersion()))
              .setTlsMaximumProtocolVersion(
                  TlsParameters.TlsProtocol.valueOf(settings.maxVersion()))
              .addAllCipherSuites(settings.ciphers())
              .addAllEcdhCurves(settings.ecdhCurves())
              .addAllSignatureAlgorithms(settings.signatureAlgorithms()));
    }
    // Envoy Gateway's default: no session resumption (it gains little with several replicas and
    // weakens forward secrecy); a ClientTrafficPolicy turns either kind on.
    if (settings == null || !settings.statefulResumption()) {
      ctx.setDisableStatefulSessionResumption(true);
    }
    if (settings == null || !settings.statelessResumption()) {
      ctx.setDisableStatelessSessionResumption(true);
    }
    ClientTrafficIr.ClientValidationIr v = client == null ? null : client.clientValidation();
    if (v != null) {
      // Mutual TLS: the client's certificate must chain to the policy's CAs (and match its hashes
      // and names); without one, only an optional validation lets the client in.
      var vc =
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
              .newBuilder()
              .addAllVerifyCertificateHash(v.certificateHashes())
              .addAllVerifyCertificateSpki(v.spkiHashes());
      if (v.caCertificates() != null) {
        vc.setTrustedCa(Protos.inline(v.caCertificates()));
      }
      for (ClientTrafficIr.SanIr san : v.subjectAltNames()) {
        io.envoyproxy.envoy.type.matcher.v3.StringMatcher.Builder m =
            io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder();
        switch (san.matchType()) {
          case "Prefix" -> m.setPrefix(san.value());
          case "Suffix" -> m.setSuffix(san.value());
          case "RegularExpression" ->
              m.setSafeRegex(
                  io.envoyproxy.envoy.type.matcher.v3.RegexMatcher.newBuilder()
                      .setRegex(san.value()));
          default -> m.setExact(san.value());
        }
        var sm =
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher
                .newBuilder()
                .setSanType(
                    io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher
                        .SanType.valueOf(san.sanType()))
                .setMatcher(m);
        if (san.oid() != null) {
          sm.setOid(san.oid());
        }
        vc.addMatchTypedSubjectAltNames(sm);
      }
      if (v.allowExpired()) {
        vc.setAllowExpiredCertificate(true);
      }
      if (v.crl() != null) {
        vc.setCrl(Protos.inline(v.crl())).setOnlyVerifyLeafCertCrl(v.crlLeafOnly());
      }
      if (v.acceptUntrusted()) {
        vc.setTrustChainVerification(
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
                .TrustChainVerification.ACCEPT_UNTRUSTED);
      }
      if (v.caCertificates() == null) {
        common.setValidationContext(vc);
      } else {
        // The CA bundle travels over SDS (a secret of its own, as Envoy Gateway serves it); the
        // name, hash and revocation checks stay in the listener's context.
        vc.clearTrustedCa();
        var sds =
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig.newBuilder()
                .setName(clientCaSecretName(client))
                .setSdsConfig(ads());
        if (vc.build().equals(vc.getDefaultInstanceForType())) {
          common.setValidationContextSdsSecretConfig(sds);
        } else {
          common.setCombinedValidationContext(
              CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                  .setDefaultValidationContext(vc)
                  .setValidationContextSdsSecretConfig(sds));
        }
      }
      ctx.setRequireClientCertificate(com.google.protobuf.BoolValue.of(!v.optional()));
    } else if (tls.frontendValidation() != null) {
      // The Gateway's spec.tls.frontend (a ClientTrafficPolicy's validation, above, replaces it
      // on its listeners, as Envoy Gateway applies the policy over the Gateway). The CA bundle
      // travels over SDS. AllowValidOnly: a certificate that chains to it is required.
      // AllowInsecureFallback: one is asked for, and the connection goes on without one or with
      // one that does not verify.
      TlsIr.FrontendValidationIr fv = tls.frontendValidation();
      var sds = SdsSecretConfig.newBuilder().setName(fv.name()).setSdsConfig(ads());
      if (fv.insecureFallback()) {
        common.setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(
                    io.envoyproxy.envoy.extensions.transport_sockets.tls.v3
                        .CertificateValidationContext.newBuilder()
                        .setTrustChainVerification(
                            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3
                                .CertificateValidationContext.TrustChainVerification
                                .ACCEPT_UNTRUSTED))
                .setValidationContextSdsSecretConfig(sds));
      } else {
        common.setValidationContextSdsSecretConfig(sds);
      }
      ctx.setRequireClientCertificate(com.google.protobuf.BoolValue.of(!fv.insecureFallback()));
    }
    ctx.setCommonTlsContext(common);
    return ctx.build();
  }

  private static Listener udp(UdpListenerIr u) {
    ClusterXdsTranslator.ClusterRef ref = ClusterXdsTranslator.udpRef(u.destination());
    String cluster = ref == null ? u.destination().name() : ref.name();
    com.github.xds.type.matcher.v3.Matcher matcher =
        com.github.xds.type.matcher.v3.Matcher.newBuilder()
            .setOnNoMatch(
                com.github.xds.type.matcher.v3.Matcher.OnMatch.newBuilder()
                    .setAction(
                        com.github.xds.core.v3.TypedExtensionConfig.newBuilder()
                            .setName("route")
                            .setTypedConfig(any(Route.newBuilder().setCluster(cluster).build()))))
            .build();
    UdpProxyConfig.Builder udp =
        UdpProxyConfig.newBuilder()
            .setStatPrefix(statPrefix(u.name()))
            .setMatcher(matcher)
            .addAccessLog(AccessLogs.http());
    if (consistentHash(u.destination())) {
      udp.addHashPolicies(UdpProxyConfig.HashPolicy.newBuilder().setSourceIp(true));
    }
    UdpProxyConfig cfg = udp.build();
    return Listener.newBuilder()
        .setName(u.name())
        .addAccessLog(AccessLogs.listener())
        .setAddress(address(u.address(), u.port(), SocketAddress.Protocol.UDP))
        .setUdpListenerConfig(UdpListenerConfig.getDefaultInstance())
        .addListenerFilters(
            ListenerFilter.newBuilder()
                .setName("envoy.filters.udp_listener.udp_proxy")
                .setTypedConfig(any(cfg)))
        .build();
  }

  static Address address(String host, int port, SocketAddress.Protocol protocol) {
    return Address.newBuilder()
        .setSocketAddress(
            SocketAddress.newBuilder().setAddress(host).setPortValue(port).setProtocol(protocol))
        .build();
  }

  private static String statPrefix(String name) {
    return name.replace('/', '-');
  }

  /** A ClientTrafficPolicy's HTTP connection and stream limits on the connection manager. */
  static void httpLimits(
      HttpConnectionManager.Builder hcm, io.eg4j.model.ir.traffic.HttpConnectionLimitsIr l) {
    if (l.requestHeadersTimeout() != null) {
      hcm.setRequestHeadersTimeout(Protos.millis(l.requestHeadersTimeout().millis()));
    }
    var common = hcm.getCommonHttpProtocolOptions().toBuilder();
    if (l.maxConnectionDuration() != null) {
      common.setMaxConnectionDuration(Protos.millis(l.maxConnectionDuration().millis()));
      hcm.setHttp1SafeMaxConnectionDuration(l.http1SafeMaxConnectionDuration());
    }
    if (l.maxRequestsPerConnection() != null) {
      common.setMaxRequestsPerConnection(
          com.google.protobuf.UInt32Value.of(
              (int) Math.min(l.maxRequestsPerConnection(), 0xFFFFFFFFL)));
    }
    if (l.maxStreamDuration() != null) {
      common.setMaxStreamDuration(Protos.millis(l.maxStreamDuration().millis()));
    }
    hcm.setCommonHttpProtocolOptions(common);
  }
}
