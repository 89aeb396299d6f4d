package io.eg4j.model.ir;

import java.util.List;

/**
 * How Envoy connects to one upstream cluster: Envoy Gateway's {@code ClusterSettings} (a policy's
 * {@code backendSettings}, a BackendTrafficPolicy's cluster fields). Each part is null when not
 * set, and Envoy Gateway's default applies.
 *
 * @param circuitBreaker connection and request limits, or null
 * @param bufferLimitBytes the per-connection buffer limit, or null
 * @param dns how a DNS cluster resolves its hosts, or null
 * @param loadBalancer how requests are spread over the endpoints, or null for Envoy Gateway's least
 *     request
 * @param tcpKeepalive TCP keepalive of upstream connections, or null
 * @param connectTimeout the TCP connect timeout, or null for 10 s
 * @param idleTimeout closes an upstream HTTP connection idle this long, or null
 * @param maxConnectionDuration closes an upstream HTTP connection this old, or null
 * @param requestTimeout how long a request to the upstream may take, or null
 * @param proxyProtocol {@code V1} or {@code V2} to send a PROXY protocol header first, or null
 * @param activeHealthCheck an active HTTP or TCP health check, or null
 * @param passiveHealthCheck outlier detection, or null
 * @param useClientProtocol true to talk to backends in the HTTP version the client used
 * @param panicThreshold the healthy share (percent) under which Envoy balances over all hosts,
 *     healthy or not, or null for Envoy's 50
 * @param preconnectPerEndpoint connections kept per endpoint per expected stream (1 to 1.5 for less
 *     latency), or null
 * @param preconnectPredictive connections opened ahead per expected stream across the cluster, or
 *     null
 * @param http2 HTTP/2 settings of connections to HTTP/2 backends, or null
 * @param streamIdleTimeout the route resets a stream idle this long, or null
 * @param maxStreamDuration the route ends a stream after this long, or null
 * @param admissionControl admission control of the cluster's requests (a BackendTrafficPolicy's
 *     upstream {@code admission_control} filter), or null
 * @param http2Keepalive HTTP/2 PINGs on connections to HTTP/2 backends, or null
 * @param socketBufferLimitBytes the kernel receive and send buffer size of each upstream socket
 *     ({@code SO_RCVBUF}, {@code SO_SNDBUF}), or null
 */
public record ClusterSettingsIr(
    CircuitBreakerIr circuitBreaker,
    Long bufferLimitBytes,
    DnsIr dns,
    LoadBalancerIr loadBalancer,
    TcpKeepaliveIr tcpKeepalive,
    DurationIr connectTimeout,
    DurationIr idleTimeout,
    DurationIr maxConnectionDuration,
    DurationIr requestTimeout,
    String proxyProtocol,
    ActiveHealthCheckIr activeHealthCheck,
    PassiveHealthCheckIr passiveHealthCheck,
    boolean useClientProtocol,
    Integer panicThreshold,
    Double preconnectPerEndpoint,
    Double preconnectPredictive,
    io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2Ir http2,
    DurationIr streamIdleTimeout,
    DurationIr maxStreamDuration,
    io.eg4j.model.ir.traffic.AdmissionControlIr admissionControl,
    io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2KeepaliveIr http2Keepalive,
    Long socketBufferLimitBytes) {

  /** No setting: Envoy Gateway's defaults for every one. */
  public static final ClusterSettingsIr NONE =
      new ClusterSettingsIr(
          null, null, null, null, null, null, null, null, null, null, null, null, false, null, null,
          null, null, null, null, null, null, null);

  /** These settings with admission control {@code ac} (null for none). */
  public ClusterSettingsIr withAdmissionControl(io.eg4j.model.ir.traffic.AdmissionControlIr ac) {
    return new ClusterSettingsIr(
        circuitBreaker,
        bufferLimitBytes,
        dns,
        loadBalancer,
        tcpKeepalive,
        connectTimeout,
        idleTimeout,
        maxConnectionDuration,
        requestTimeout,
        proxyProtocol,
        activeHealthCheck,
        passiveHealthCheck,
        useClientProtocol,
        panicThreshold,
        preconnectPerEndpoint,
        preconnectPredictive,
        http2,
        streamIdleTimeout,
        maxStreamDuration,
        ac,
        http2Keepalive,
        socketBufferLimitBytes);
  }

  /** These settings with load balancer {@code lb} (null for Envoy Gateway's default). */
  public ClusterSettingsIr withLoadBalancer(LoadBalancerIr lb) {
    return new ClusterSettingsIr(
        circuitBreaker,
        bufferLimitBytes,
        dns,
        lb,
        tcpKeepalive,
        connectTimeout,
        idleTimeout,
        maxConnectionDuration,
        requestTimeout,
        proxyProtocol,
        activeHealthCheck,
        passiveHealthCheck,
        useClientProtocol,
        panicThreshold,
        preconnectPerEndpoint,
        preconnectPredictive,
        http2,
        streamIdleTimeout,
        maxStreamDuration,
        admissionControl,
        http2Keepalive,
        socketBufferLimitBytes);
  }

  /** These settings with active health check {@code a} (null for none). */
  public ClusterSettingsIr withActiveHealthCheck(ActiveHealthCheckIr a) {
    return new ClusterSettingsIr(
        circuitBreaker,
        bufferLimitBytes,
        dns,
        loadBalancer,
        tcpKeepalive,
        connectTimeout,
        idleTimeout,
        maxConnectionDuration,
        requestTimeout,
        proxyProtocol,
        a,
        passiveHealthCheck,
        useClientProtocol,
        panicThreshold,
        preconnectPerEndpoint,
        preconnectPredictive,
        http2,
        streamIdleTimeout,
        maxStreamDuration,
        admissionControl,
        http2Keepalive,
        socketBufferLimitBytes);
  }

  /**
   * The load balancer ({@code loadBalancer}).
   *
   * @param type {@code RoundRobin}, {@code LeastRequest}, {@code Random}, {@code ConsistentHash},
   *     {@code BackendUtilization} (client-side weighted round robin on the endpoints' ORCA load
   *     reports) or {@code DynamicModule}
   * @param hashTableSize the Maglev table size of a consistent-hash load balancer, or null
   * @param slowStartWindow how long a new endpoint takes to get its full share of requests (round
   *     robin, least request and backend utilization), or null
   * @param backendUtilization the settings of a BackendUtilization load balancer, else null
   * @param zoneAware how requests are shared between the endpoints' zones, or null for Envoy's
   *     default (every locality alike)
   * @param overrideHeaders request headers that name the endpoint ({@code IP:port}, a list allowed)
   *     a request goes to when that endpoint is healthy ({@code endpointOverride}); the balancer
   *     picks one otherwise. Empty for none
   * @param dynamicModule the module of a {@code DynamicModule} load balancer (Envoy's {@code
   *     dynamic_modules} load balancing policy), as the EnvoyProxy registers it: its {@code name}
   *     is the registry's name of the module, its {@code filterName} the load balancer's name
   *     inside the module ({@code lbPolicyName}) and its {@code config} the policy's config as JSON
   *     text. Null for the other types
   */
  public record LoadBalancerIr(
      String type,
      Long hashTableSize,
      DurationIr slowStartWindow,
      BackendUtilizationIr backendUtilization,
      ZoneAwareIr zoneAware,
      List<String> overrideHeaders,
      io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr dynamicModule) {
    public LoadBalancerIr {
      overrideHeaders = overrideHeaders == null ? List.of() : List.copyOf(overrideHeaders);
    }

    /** This load balancer with the module of a {@code DynamicModule} type. */
    public LoadBalancerIr withDynamicModule(
        io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr module) {
      return new LoadBalancerIr(
          type,
          hashTableSize,
          slowStartWindow,
          backendUtilization,
          zoneAware,
          overrideHeaders,
          module);
    }
  }

  /**
   * Zone-aware load balancing ({@code loadBalancer.zoneAware}): exactly one of the two is set.
   *
   * @param preferLocal keep requests in the proxy's own zone (Envoy's zone-aware routing), or null
   * @param weightedZones a share of requests per zone, in the order written; zones not listed weigh
   *     1. Empty when {@code preferLocal} is set
   */
  public record ZoneAwareIr(PreferLocalIr preferLocal, List<WeightedZoneIr> weightedZones) {
    public ZoneAwareIr {
      weightedZones = weightedZones == null ? List.of() : List.copyOf(weightedZones);
    }

    /** The weight of a zone: its configured weight, or 1 when the zone is not listed. */
    public int weightOf(String zone) {
      for (WeightedZoneIr w : weightedZones) {
        if (w.zone().equals(zone)) {
          return w.weight();
        }
      }
      return 1;
    }
  }

  /**
   * Prefer the local zone.
   *
   * @param minEndpointsThreshold the fewest endpoints (all zones) for zone-aware routing to apply;
   *     null for Envoy Gateway's 6
   * @param percentageEnabled the share of requests routed zone-aware, 0 to 100; null for all
   * @param forceMinEndpointsInZone when not null, all requests stay in the local zone as long as it
   *     has at least this many endpoints
   */
  public record PreferLocalIr(
      Long minEndpointsThreshold, Integer percentageEnabled, Integer forceMinEndpointsInZone) {}

  /** One zone's weight. */
  public record WeightedZoneIr(String zone, int weight) {}

  /**
   * Client-side weighted round robin: each endpoint's weight follows the utilization it reports in
   * its responses' ORCA headers ({@code endpoint-load-metrics}).
   *
   * @param blackoutPeriod how long an endpoint must report before its weight is used, or null for
   *     Envoy's 10 s
   * @param weightExpirationPeriod how long a weight lasts without a new report, or null for 3 min
   * @param weightUpdatePeriod how often weights are recomputed, or null for 1 s
   * @param errorUtilizationPenaltyPercent the weight penalty of errors, 100 for 1.0, or null
   * @param metricNames the ORCA metrics utilization is computed from when the endpoint reports no
   *     application utilization
   * @param keepResponseHeaders true to pass the ORCA headers on to the client; by default the route
   *     removes them
   * @param outOfBand load reports pulled from each endpoint over an ORCA stream instead of read
   *     from its responses, or null
   */
  public record BackendUtilizationIr(
      DurationIr blackoutPeriod,
      DurationIr weightExpirationPeriod,
      DurationIr weightUpdatePeriod,
      Integer errorUtilizationPenaltyPercent,
      List<String> metricNames,
      boolean keepResponseHeaders,
      OutOfBandIr outOfBand) {
    public BackendUtilizationIr {
      metricNames = metricNames == null ? List.of() : List.copyOf(metricNames);
    }
  }

  /**
   * Out-of-band ORCA load reports: Envoy streams {@code OpenRcaService/StreamCoreMetrics} from each
   * endpoint.
   *
   * @param reportingPeriod how often reports are asked for, or null for Envoy's 10 s
   * @param port the port of the reporting stream instead of the endpoint's, or null
   * @param authority the {@code :authority} of the stream, or null for Envoy's choice (the
   *     endpoint's host name, its address, the cluster name)
   */
  public record OutOfBandIr(DurationIr reportingPeriod, Integer port, String authority) {}

  /**
   * Circuit breaker thresholds; null fields keep Envoy's defaults.
   *
   * @param perEndpointMaxConnections the most connections to any one endpoint, or null
   * @param retryBudget retries limited to a share of the active requests (instead of {@code
   *     maxParallelRetries}), or null
   */
  public record CircuitBreakerIr(
      Long maxConnections,
      Long maxPendingRequests,
      Long maxParallelRequests,
      Long maxParallelRetries,
      Long maxRequestsPerConnection,
      Long perEndpointMaxConnections,
      RetryBudgetIr retryBudget) {}

  /**
   * A retry budget.
   *
   * @param percent concurrent retries as a percentage (0 to 100) of the active and pending requests
   * @param minRetryConcurrency retries always allowed, or null for Envoy's 3
   */
  public record RetryBudgetIr(double percent, Integer minRetryConcurrency) {}

  /**
   * DNS resolution.
   *
   * @param refreshRate how often to resolve, or null
   * @param respectDnsTtl true to resolve again when the record's TTL ends
   * @param lookupFamily {@code IPv4}, {@code IPv6}, {@code IPv4Preferred}, {@code IPv6Preferred} or
   *     {@code IPv4AndIPv6}, or null
   */
  public record DnsIr(DurationIr refreshRate, Boolean respectDnsTtl, String lookupFamily) {}

  /** TCP keepalive: probes, idle time before the first, interval between them (seconds). */
  public record TcpKeepaliveIr(Integer probes, DurationIr idleTime, DurationIr interval) {}

  /**
   * An active health check.
   *
   * @param type {@code HTTP} or {@code TCP}
   * @param timeout per check
   * @param interval between checks
   * @param unhealthyThreshold failed checks before a host is unhealthy
   * @param healthyThreshold passed checks before it is healthy again
   * @param path HTTP: the path checked
   * @param method HTTP: the method, or null for GET
   * @param expectedStatuses HTTP: the statuses that pass; empty for 200
   * @param expectedResponse HTTP: the response body (or a part of it) that passes, or null
   * @param send TCP: the payload sent, or null
   * @param receive TCP: the payload expected, or null
   * @param grpcService GRPC: the service name asked about (grpc.health.v1), or null for the whole
   *     server
   * @param port the port checks go to instead of each endpoint's serving port, or null
   * @param log where and which check outcomes are logged, or null for none
   * @param hostname HTTP: the Host header of the checks, or null for Envoy's (the cluster name)
   * @param requestBody HTTP: the request body sent, or null
   * @param retriableStatuses HTTP: statuses that count towards the unhealthy threshold instead of
   *     failing the host at once
   * @param initialJitter the most a first check waits (a random time up to it), or null
   */
  public record ActiveHealthCheckIr(
      String type,
      DurationIr timeout,
      DurationIr interval,
      int unhealthyThreshold,
      int healthyThreshold,
      String path,
      String method,
      List<Integer> expectedStatuses,
      PayloadIr expectedResponse,
      PayloadIr send,
      PayloadIr receive,
      String grpcService,
      Integer port,
      HealthCheckLogIr log,
      String hostname,
      PayloadIr requestBody,
      List<Integer> retriableStatuses,
      DurationIr initialJitter) {
    public ActiveHealthCheckIr {
      expectedStatuses = expectedStatuses == null ? List.of() : List.copyOf(expectedStatuses);
      retriableStatuses = retriableStatuses == null ? List.of() : List.copyOf(retriableStatuses);
    }

    /** This check with the HTTP Host header {@code host}. */
    public ActiveHealthCheckIr withHostname(String host) {
      return new ActiveHealthCheckIr(
          type,
          timeout,
          interval,
          unhealthyThreshold,
          healthyThreshold,
          path,
          method,
          expectedStatuses,
          expectedResponse,
          send,
          receive,
          grpcService,
          port,
          log,
          host,
          requestBody,
          retriableStatuses,
          initialJitter);
    }
  }

  /**
   * Health check event logging. Envoy always logs a host's first failure in a series and its
   * transitions to healthy (ejections, additions); the two flags add every failure and every
   * success.
   *
   * @param everyFailure log each failed check
   * @param everySuccess log each passed check
   * @param path the file events go to ({@code /dev/stdout} by default)
   */
  public record HealthCheckLogIr(boolean everyFailure, boolean everySuccess, String path) {}

  /** A health check payload: text, or binary given base64-encoded. */
  public record PayloadIr(String text, String base64) {}

  /**
   * Outlier detection; null fields keep Envoy Gateway's defaults.
   *
   * @param failurePercentageThreshold a host whose failure percentage reaches this is ejected
   *     (always enforced), or null for no failure-percentage ejection
   * @param alwaysEjectOneEndpoint eject at least one host whatever {@code maxEjectionPercent}
   *     allows, or null
   */
  public record PassiveHealthCheckIr(
      DurationIr baseEjectionTime,
      DurationIr interval,
      Integer maxEjectionPercent,
      Integer consecutive5xxErrors,
      Integer consecutiveGatewayErrors,
      Integer consecutiveLocalOriginFailures,
      Boolean splitExternalLocalOriginErrors,
      Integer failurePercentageThreshold,
      Boolean alwaysEjectOneEndpoint) {}
}
