package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.ActiveHealthCheckIr;
import io.eg4j.model.ir.ClusterSettingsIr.PassiveHealthCheckIr;
import io.eg4j.model.ir.ClusterSettingsIr.PayloadIr;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.cluster.v3.UpstreamConnectionOptions;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.ProxyProtocolConfig;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.TcpKeepalive;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Int64Range;
import java.util.HexFormat;

/**
 * Applies {@link ClusterSettingsIr} to an Envoy cluster: circuit breaker thresholds, the connection
 * buffer limit, DNS resolution, the load balancer, TCP keepalive, connect and HTTP connection
 * timeouts, the PROXY protocol, active health checks and outlier detection.
 */
final class ClusterSettingsXds {
  static final String HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  private ClusterSettingsXds() {}

  /**
   * The load balancer: Envoy's round robin, least request, random or Maglev (consistent hash)
   * policies, with a slow start window and a Maglev table size; or client-side weighted round robin
   * on the endpoints' ORCA load reports (BackendUtilization).
   */
  private static void loadBalancer(Cluster.Builder c, ClusterSettingsIr.LoadBalancerIr lb) {
    if (lb.dynamicModule() != null) {
      DynamicModuleConfigs.loadBalancer(c, lb.dynamicModule());
      return;
    }
    Cluster.SlowStartConfig slow =
        lb.slowStartWindow() == null
            ? null
            : Cluster.SlowStartConfig.newBuilder()
                .setSlowStartWindow(Protos.millis(lb.slowStartWindow().millis()))
                .build();
    if (lb.backendUtilization() != null) {
      var bu = lb.backendUtilization();
      io.envoyproxy.envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3
              .ClientSideWeightedRoundRobin.Builder
          w =
              io.envoyproxy.envoy.extensions.load_balancing_policies
                  .client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin.newBuilder();
      if (bu.blackoutPeriod() != null) {
        w.setBlackoutPeriod(Protos.millis(bu.blackoutPeriod().millis()));
      }
      if (bu.weightExpirationPeriod() != null) {
        w.setWeightExpirationPeriod(Protos.millis(bu.weightExpirationPeriod().millis()));
      }
      if (bu.weightUpdatePeriod() != null) {
        w.setWeightUpdatePeriod(Protos.millis(bu.weightUpdatePeriod().millis()));
      }
      if (bu.errorUtilizationPenaltyPercent() != null) {
        w.setErrorUtilizationPenalty(
            com.google.protobuf.FloatValue.of(bu.errorUtilizationPenaltyPercent() / 100f));
      }
      w.addAllMetricNamesForComputingUtilization(bu.metricNames());
      var oob = bu.outOfBand();
      if (oob != null) {
        w.setEnableOobLoadReport(com.google.protobuf.BoolValue.of(true));
        if (oob.reportingPeriod() != null) {
          w.setOobReportingPeriod(Protos.millis(oob.reportingPeriod().millis()));
        }
      }
      Any config;
      if (oob != null && (oob.port() != null || oob.authority() != null)) {
        // The stream's port and authority (oob_reporting_config) and the slow start are newer
        // than the protos eg4j builds with: the policy travels as a TypedStruct.
        config =
            Protos.anyWithFields(
                w.build(),
                json -> {
                  var r = json.putObject("oob_reporting_config");
                  if (oob.port() != null) {
                    r.put("port_value", oob.port());
                  }
                  if (oob.authority() != null) {
                    r.put("authority", oob.authority());
                  }
                  if (slow != null) {
                    json.putObject("slow_start_config")
                        .put(
                            "slow_start_window",
                            java.math.BigDecimal.valueOf(lb.slowStartWindow().millis(), 3)
                                    .toPlainString()
                                + "s");
                  }
                });
      } else {
        // The protos eg4j builds with predate the policy's slow start (ClientSideWrrXds).
        config =
            ClientSideWrrXds.pack(
                w.build(),
                slow == null
                    ? null
                    : io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3
                        .SlowStartConfig.newBuilder()
                        .setSlowStartWindow(slow.getSlowStartWindow())
                        .build());
      }
      if (LoadBalancingPolicyXds.needed(lb)) {
        LoadBalancingPolicyXds.apply(c, lb, config);
        return;
      }
      c.clearLbPolicy();
      c.setLoadBalancingPolicy(
          io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy.newBuilder()
              .addPolicies(
                  io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy.Policy.newBuilder()
                      .setTypedExtensionConfig(
                          io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig.newBuilder()
                              .setName(
                                  "envoy.load_balancing_policies.client_side_weighted_round_robin")
                              .setTypedConfig(config))));
      return;
    }
    if (LoadBalancingPolicyXds.needed(lb)) {
      LoadBalancingPolicyXds.apply(c, lb, null);
      return;
    }
    c.setLbPolicy(
        switch (lb.type()) {
          case "RoundRobin" -> Cluster.LbPolicy.ROUND_ROBIN;
          case "Random" -> Cluster.LbPolicy.RANDOM;
          case "ConsistentHash" -> Cluster.LbPolicy.MAGLEV;
          default -> Cluster.LbPolicy.LEAST_REQUEST;
        });
    if (lb.hashTableSize() != null) {
      c.setMaglevLbConfig(
          Cluster.MaglevLbConfig.newBuilder()
              .setTableSize(com.google.protobuf.UInt64Value.of(lb.hashTableSize())));
    }
    if (slow != null) {
      if ("RoundRobin".equals(lb.type())) {
        c.setRoundRobinLbConfig(Cluster.RoundRobinLbConfig.newBuilder().setSlowStartConfig(slow));
      } else {
        c.setLeastRequestLbConfig(
            Cluster.LeastRequestLbConfig.newBuilder().setSlowStartConfig(slow));
      }
    }
  }

  static void apply(Cluster.Builder c, ClusterSettingsIr s, boolean dns) {
    if (s.circuitBreaker() != null) {
      var cb = s.circuitBreaker();
      CircuitBreakers.Thresholds.Builder t =
          c.getCircuitBreakers().getThresholdsCount() > 0
              ? c.getCircuitBreakers().getThresholds(0).toBuilder()
              : CircuitBreakers.Thresholds.newBuilder();
      if (cb.maxConnections() != null) {
        t.setMaxConnections(u32(cb.maxConnections()));
      }
      if (cb.maxPendingRequests() != null) {
        t.setMaxPendingRequests(u32(cb.maxPendingRequests()));
      }
      if (cb.maxParallelRequests() != null) {
        t.setMaxRequests(u32(cb.maxParallelRequests()));
      }
      if (cb.maxParallelRetries() != null) {
        t.setMaxRetries(u32(cb.maxParallelRetries()));
      }
      if (cb.retryBudget() != null) {
        // Envoy ignores max_retries when a budget is set: the budget takes precedence.
        CircuitBreakers.Thresholds.RetryBudget.Builder rb =
            CircuitBreakers.Thresholds.RetryBudget.newBuilder()
                .setBudgetPercent(
                    io.envoyproxy.envoy.type.v3.Percent.newBuilder()
                        .setValue(cb.retryBudget().percent()));
        if (cb.retryBudget().minRetryConcurrency() != null) {
          rb.setMinRetryConcurrency(Protos.u32(cb.retryBudget().minRetryConcurrency()));
        }
        t.setRetryBudget(rb);
      }
      CircuitBreakers.Builder breakers = CircuitBreakers.newBuilder().addThresholds(t);
      if (cb.perEndpointMaxConnections() != null) {
        // Envoy reads only max_connections of the per-host thresholds.
        breakers.addPerHostThresholds(
            CircuitBreakers.Thresholds.newBuilder()
                .setMaxConnections(u32(cb.perEndpointMaxConnections())));
      }
      c.setCircuitBreakers(breakers);
    }
    if (s.bufferLimitBytes() != null) {
      c.setPerConnectionBufferLimitBytes(u32(s.bufferLimitBytes()));
    }
    if (s.socketBufferLimitBytes() != null) {
      // The kernel buffers of each upstream socket, set before connect (SOL_SOCKET 1; SO_SNDBUF 7,
      // SO_RCVBUF 8 on Linux).
      var bind = c.getUpstreamBindConfig().toBuilder();
      for (int name : new int[] {8, 7}) {
        bind.addSocketOptions(
            io.envoyproxy.envoy.config.core.v3.SocketOption.newBuilder()
                .setDescription(name == 8 ? "SO_RCVBUF" : "SO_SNDBUF")
                .setLevel(1)
                .setName(name)
                .setIntValue(s.socketBufferLimitBytes())
                .setState(
                    io.envoyproxy.envoy.config.core.v3.SocketOption.SocketState.STATE_PREBIND));
      }
      c.setUpstreamBindConfig(bind);
    }
    if (s.dns() != null && dns) {
      if (s.dns().refreshRate() != null) {
        c.setDnsRefreshRate(Protos.millis(s.dns().refreshRate().millis()));
      }
      if (s.dns().respectDnsTtl() != null) {
        c.setRespectDnsTtl(s.dns().respectDnsTtl());
      }
      if (s.dns().lookupFamily() != null) {
        c.setDnsLookupFamily(
            switch (s.dns().lookupFamily()) {
              case "IPv4" -> Cluster.DnsLookupFamily.V4_ONLY;
              case "IPv6" -> Cluster.DnsLookupFamily.V6_ONLY;
              case "IPv6Preferred" -> Cluster.DnsLookupFamily.AUTO;
              case "IPv4AndIPv6" -> Cluster.DnsLookupFamily.ALL;
              default -> Cluster.DnsLookupFamily.V4_PREFERRED;
            });
      }
    }
    if (s.loadBalancer() != null) {
      loadBalancer(c, s.loadBalancer());
    }
    if (s.tcpKeepalive() != null) {
      TcpKeepalive.Builder k = TcpKeepalive.newBuilder();
      if (s.tcpKeepalive().probes() != null) {
        k.setKeepaliveProbes(Protos.u32(s.tcpKeepalive().probes()));
      }
      if (s.tcpKeepalive().idleTime() != null) {
        k.setKeepaliveTime(Protos.u32((int) (s.tcpKeepalive().idleTime().millis() / 1000)));
      }
      if (s.tcpKeepalive().interval() != null) {
        k.setKeepaliveInterval(Protos.u32((int) (s.tcpKeepalive().interval().millis() / 1000)));
      }
      c.setUpstreamConnectionOptions(UpstreamConnectionOptions.newBuilder().setTcpKeepalive(k));
    }
    if (s.connectTimeout() != null) {
      c.setConnectTimeout(Protos.millis(s.connectTimeout().millis()));
    }
    boolean perConnection =
        s.circuitBreaker() != null && s.circuitBreaker().maxRequestsPerConnection() != null;
    if (s.idleTimeout() != null || s.maxConnectionDuration() != null || perConnection) {
      HttpProtocolOptions.Builder h = httpOptions(c);
      var common = h.getCommonHttpProtocolOptions().toBuilder();
      if (s.idleTimeout() != null) {
        common.setIdleTimeout(Protos.millis(s.idleTimeout().millis()));
      }
      if (s.maxConnectionDuration() != null) {
        common.setMaxConnectionDuration(Protos.millis(s.maxConnectionDuration().millis()));
      }
      if (perConnection) {
        common.setMaxRequestsPerConnection(u32(s.circuitBreaker().maxRequestsPerConnection()));
      }
      h.setCommonHttpProtocolOptions(common);
      c.putTypedExtensionProtocolOptions(HTTP_OPTIONS, any(h.build()));
    }
    if (s.proxyProtocol() != null) {
      TransportSocket inner =
          c.hasTransportSocket()
              ? c.getTransportSocket()
              : TransportSocket.newBuilder()
                  .setName("envoy.transport_sockets.raw_buffer")
                  .setTypedConfig(any(RawBuffer.getDefaultInstance()))
                  .build();
      c.setTransportSocket(
          TransportSocket.newBuilder()
              .setName("envoy.transport_sockets.upstream_proxy_protocol")
              .setTypedConfig(
                  any(
                      ProxyProtocolUpstreamTransport.newBuilder()
                          .setConfig(
                              ProxyProtocolConfig.newBuilder()
                                  .setVersion(
                                      "V1".equals(s.proxyProtocol())
                                          ? ProxyProtocolConfig.Version.V1
                                          : ProxyProtocolConfig.Version.V2))
                          .setTransportSocket(inner)
                          .build())));
    }
    if (s.activeHealthCheck() != null) {
      c.addHealthChecks(active(s.activeHealthCheck()));
      // A host the health check removed is dropped at once, as Envoy Gateway configures it.
      c.setIgnoreHealthOnHostRemoval(true);
    }
    if (s.passiveHealthCheck() != null) {
      c.setOutlierDetection(passive(s.passiveHealthCheck()));
    }
    if (s.panicThreshold() != null) {
      c.setCommonLbConfig(
          c.getCommonLbConfig().toBuilder()
              .setHealthyPanicThreshold(
                  io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(s.panicThreshold())));
    }
    if (s.preconnectPerEndpoint() != null || s.preconnectPredictive() != null) {
      Cluster.PreconnectPolicy.Builder p = Cluster.PreconnectPolicy.newBuilder();
      if (s.preconnectPerEndpoint() != null) {
        p.setPerUpstreamPreconnectRatio(
            com.google.protobuf.DoubleValue.of(s.preconnectPerEndpoint()));
      }
      if (s.preconnectPredictive() != null) {
        p.setPredictivePreconnectRatio(
            com.google.protobuf.DoubleValue.of(s.preconnectPredictive()));
      }
      c.setPreconnectPolicy(p);
    }
    if (s.http2() != null) {
      // Only connections that speak HTTP/2 to the backend use these.
      Any existing = c.getTypedExtensionProtocolOptionsMap().get(HTTP_OPTIONS);
      if (existing != null) {
        HttpProtocolOptions.Builder h = httpOptions(c);
        io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.Builder h2 = null;
        if (h.hasExplicitHttpConfig() && h.getExplicitHttpConfig().hasHttp2ProtocolOptions()) {
          h2 = h.getExplicitHttpConfig().getHttp2ProtocolOptions().toBuilder();
        }
        if (h2 != null) {
          var v = s.http2();
          if (v.initialStreamWindowSize() != null) {
            h2.setInitialStreamWindowSize(u32(v.initialStreamWindowSize()));
          }
          if (v.initialConnectionWindowSize() != null) {
            h2.setInitialConnectionWindowSize(u32(v.initialConnectionWindowSize()));
          }
          if (v.maxConcurrentStreams() != null) {
            h2.setMaxConcurrentStreams(u32(v.maxConcurrentStreams()));
          }
          if (v.terminateStreamOnInvalidMessage() != null) {
            h2.setOverrideStreamErrorOnInvalidHttpMessage(
                com.google.protobuf.BoolValue.of(v.terminateStreamOnInvalidMessage()));
          }
          h.setExplicitHttpConfig(
              h.getExplicitHttpConfig().toBuilder().setHttp2ProtocolOptions(h2));
          c.putTypedExtensionProtocolOptions(HTTP_OPTIONS, any(h.build()));
        }
      }
    }
    if (s.useClientProtocol()) {
      // HTTP/1.1 to the backend for HTTP/1.1 clients, HTTP/2 for HTTP/2 clients.
      HttpProtocolOptions.Builder h = httpOptions(c);
      h.clearExplicitHttpConfig()
          .setUseDownstreamProtocolConfig(
              HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
                  .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance())
                  .setHttp2ProtocolOptions(
                      io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.newBuilder()
                          .setInitialStreamWindowSize(Protos.u32(65536))
                          .setInitialConnectionWindowSize(Protos.u32(1048576))));
      c.putTypedExtensionProtocolOptions(HTTP_OPTIONS, any(h.build()));
    }
    if (s.http2Keepalive() != null) {
      http2Keepalive(c, s.http2Keepalive());
    }
  }

  /**
   * HTTP/2 PINGs on the cluster's HTTP/2 connections: those of a cluster that speaks HTTP/2 to its
   * backends, or the HTTP/2 connections of one that uses the client's protocol. A cluster that
   * speaks only HTTP/1.1 has none to keep alive.
   */
  private static void http2Keepalive(
      Cluster.Builder c, io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2KeepaliveIr k) {
    if (!c.getTypedExtensionProtocolOptionsMap().containsKey(HTTP_OPTIONS)) {
      return;
    }
    io.envoyproxy.envoy.config.core.v3.KeepaliveSettings.Builder ks =
        io.envoyproxy.envoy.config.core.v3.KeepaliveSettings.newBuilder()
            .setTimeout(Protos.millis(k.timeoutMillis()));
    if (k.intervalMillis() != null) {
      ks.setInterval(Protos.millis(k.intervalMillis()));
    }
    if (k.intervalJitterPercent() != null) {
      ks.setIntervalJitter(
          io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(k.intervalJitterPercent()));
    }
    if (k.idleIntervalMillis() != null) {
      ks.setConnectionIdleInterval(Protos.millis(k.idleIntervalMillis()));
    }
    HttpProtocolOptions.Builder h = httpOptions(c);
    if (h.hasExplicitHttpConfig() && h.getExplicitHttpConfig().hasHttp2ProtocolOptions()) {
      h.setExplicitHttpConfig(
          h.getExplicitHttpConfig().toBuilder()
              .setHttp2ProtocolOptions(
                  h.getExplicitHttpConfig().getHttp2ProtocolOptions().toBuilder()
                      .setConnectionKeepalive(ks)));
    } else if (h.hasUseDownstreamProtocolConfig()) {
      var d = h.getUseDownstreamProtocolConfig();
      h.setUseDownstreamProtocolConfig(
          d.toBuilder()
              .setHttp2ProtocolOptions(
                  d.getHttp2ProtocolOptions().toBuilder().setConnectionKeepalive(ks)));
    } else if (h.hasAutoConfig()) {
      var a = h.getAutoConfig();
      h.setAutoConfig(
          a.toBuilder()
              .setHttp2ProtocolOptions(
                  a.getHttp2ProtocolOptions().toBuilder().setConnectionKeepalive(ks)));
    } else {
      return;
    }
    c.putTypedExtensionProtocolOptions(HTTP_OPTIONS, any(h.build()));
  }

  /**
   * A cluster whose HTTP/1.1 connections use these options (a ClientTrafficPolicy's HTTP/1
   * settings, carried over to the backends); a cluster that speaks HTTP/2 to its backends keeps its
   * options, one that uses the client's protocol takes them for its HTTP/1.1 connections.
   */
  static Cluster withUpstreamHttp1(Cluster cluster, Http1ProtocolOptions h1) {
    Cluster.Builder c = cluster.toBuilder();
    HttpProtocolOptions.Builder h = httpOptions(c);
    if (h.hasUseDownstreamProtocolConfig()) {
      h.setUseDownstreamProtocolConfig(
          h.getUseDownstreamProtocolConfig().toBuilder().setHttpProtocolOptions(h1));
    } else if (h.hasExplicitHttpConfig() && h.getExplicitHttpConfig().hasHttp2ProtocolOptions()) {
      return cluster;
    } else {
      h.setExplicitHttpConfig(
          HttpProtocolOptions.ExplicitHttpConfig.newBuilder().setHttpProtocolOptions(h1));
    }
    c.putTypedExtensionProtocolOptions(HTTP_OPTIONS, any(h.build()));
    return c.build();
  }

  /** The cluster's HTTP protocol options, or new ones for HTTP/1.1. */
  private static HttpProtocolOptions.Builder httpOptions(Cluster.Builder c) {
    Any existing = c.getTypedExtensionProtocolOptionsMap().get(HTTP_OPTIONS);
    if (existing != null) {
      try {
        return existing.unpack(HttpProtocolOptions.class).toBuilder();
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }
    return HttpProtocolOptions.newBuilder()
        .setExplicitHttpConfig(
            HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
  }

  private static HealthCheck active(ActiveHealthCheckIr a) {
    HealthCheck.Builder h =
        HealthCheck.newBuilder()
            .setTimeout(Protos.millis(a.timeout().millis()))
            .setInterval(Protos.millis(a.interval().millis()))
            .setUnhealthyThreshold(Protos.u32(a.unhealthyThreshold()))
            .setHealthyThreshold(Protos.u32(a.healthyThreshold()));
    if ("HTTP".equals(a.type())) {
      HealthCheck.HttpHealthCheck.Builder http =
          HealthCheck.HttpHealthCheck.newBuilder().setPath(a.path());
      if (a.method() != null) {
        http.setMethod(RequestMethod.valueOf(a.method().toUpperCase(java.util.Locale.ROOT)));
      }
      for (int code : a.expectedStatuses()) {
        http.addExpectedStatuses(Int64Range.newBuilder().setStart(code).setEnd(code + 1L));
      }
      for (int code : a.retriableStatuses()) {
        http.addRetriableStatuses(Int64Range.newBuilder().setStart(code).setEnd(code + 1L));
      }
      if (a.expectedResponse() != null) {
        http.addReceive(payload(a.expectedResponse()));
      }
      if (a.hostname() != null) {
        http.setHost(a.hostname());
      }
      if (a.requestBody() != null) {
        http.setSend(payload(a.requestBody()));
      }
      h.setHttpHealthCheck(http);
    } else if ("GRPC".equals(a.type())) {
      // grpc.health.v1.Health/Check, for one service or (empty name) the whole server.
      h.setGrpcHealthCheck(
          HealthCheck.GrpcHealthCheck.newBuilder()
              .setServiceName(a.grpcService() == null ? "" : a.grpcService()));
    } else {
      HealthCheck.TcpHealthCheck.Builder tcp = HealthCheck.TcpHealthCheck.newBuilder();
      if (a.send() != null) {
        tcp.setSend(payload(a.send()));
      }
      if (a.receive() != null) {
        tcp.addReceive(payload(a.receive()));
      }
      h.setTcpHealthCheck(tcp);
    }
    if (a.initialJitter() != null) {
      h.setInitialJitter(Protos.millis(a.initialJitter().millis()));
    }
    if (a.log() != null) {
      h.setAlwaysLogHealthCheckFailures(a.log().everyFailure())
          .setAlwaysLogHealthCheckSuccess(a.log().everySuccess())
          .addEventLogger(
              io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig.newBuilder()
                  .setName("envoy.health_check.event_sinks.file")
                  .setTypedConfig(
                      Protos.any(
                          io.envoyproxy.envoy.extensions.health_check.event_sinks.file.v3
                              .HealthCheckEventFileSink.newBuilder()
                              .setEventLogPath(a.log().path())
                              .build())));
    }
    return h.build();
  }

  /** Envoy's health check payload: text is hex-encoded, binary is the bytes themselves. */
  private static HealthCheck.Payload payload(PayloadIr p) {
    return p.text() != null
        ? HealthCheck.Payload.newBuilder()
            .setText(
                HexFormat.of()
                    .withUpperCase()
                    .formatHex(p.text().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .build()
        : HealthCheck.Payload.newBuilder()
            .setBinary(ByteString.copyFrom(java.util.Base64.getDecoder().decode(p.base64())))
            .build();
  }

  private static OutlierDetection passive(PassiveHealthCheckIr p) {
    OutlierDetection.Builder o = OutlierDetection.newBuilder();
    if (p.baseEjectionTime() != null) {
      o.setBaseEjectionTime(Protos.millis(p.baseEjectionTime().millis()));
    }
    if (p.interval() != null) {
      o.setInterval(Protos.millis(p.interval().millis()));
    }
    if (p.maxEjectionPercent() != null) {
      o.setMaxEjectionPercent(Protos.u32(p.maxEjectionPercent()));
    }
    if (p.consecutive5xxErrors() != null) {
      o.setConsecutive5Xx(Protos.u32(p.consecutive5xxErrors()));
    }
    if (p.consecutiveGatewayErrors() != null) {
      o.setConsecutiveGatewayFailure(Protos.u32(p.consecutiveGatewayErrors()));
    }
    if (p.consecutiveLocalOriginFailures() != null) {
      o.setConsecutiveLocalOriginFailure(Protos.u32(p.consecutiveLocalOriginFailures()));
    }
    if (p.splitExternalLocalOriginErrors() != null) {
      o.setSplitExternalLocalOriginErrors(p.splitExternalLocalOriginErrors());
    }
    if (p.failurePercentageThreshold() != null) {
      // Enforced on every ejection it finds, as Envoy Gateway sets it.
      o.setFailurePercentageThreshold(Protos.u32(p.failurePercentageThreshold()))
          .setEnforcingFailurePercentage(Protos.u32(100));
    }
    if (Boolean.TRUE.equals(p.alwaysEjectOneEndpoint())) {
      // False (the CRD's default) is Envoy's default too.
      o.setAlwaysEjectOneHost(com.google.protobuf.BoolValue.of(true));
    }
    return o.build();
  }

  private static com.google.protobuf.UInt32Value u32(long v) {
    return com.google.protobuf.UInt32Value.of((int) Math.min(v, 0xFFFFFFFFL));
  }
}
