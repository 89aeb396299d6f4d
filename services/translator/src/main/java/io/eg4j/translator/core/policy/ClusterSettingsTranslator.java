package io.eg4j.translator.core.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.ActiveHealthCheckIr;
import io.eg4j.model.ir.ClusterSettingsIr.CircuitBreakerIr;
import io.eg4j.model.ir.ClusterSettingsIr.DnsIr;
import io.eg4j.model.ir.ClusterSettingsIr.PassiveHealthCheckIr;
import io.eg4j.model.ir.ClusterSettingsIr.PayloadIr;
import io.eg4j.model.ir.ClusterSettingsIr.TcpKeepaliveIr;
import io.eg4j.model.ir.DurationIr;
import java.util.ArrayList;
import java.util.List;

/**
 * Envoy Gateway's {@code ClusterSettings}: how Envoy connects to a backend (circuit breaker,
 * connection buffer, DNS, load balancer, TCP keepalive, timeouts, PROXY protocol, active and
 * passive health checks). A policy's own backends carry them under {@code backendSettings}; a
 * BackendTrafficPolicy carries them at the top of its spec. Settings not in {@link #FIELDS} fail
 * closed where they are used.
 */
public final class ClusterSettingsTranslator {
  private ClusterSettingsTranslator() {}

  /** The cluster settings enforced, as paths under the object that holds them. */
  public static final List<String> FIELDS =
      List.of(
          "healthCheck.panicThreshold",
          "connection.preconnect.perEndpointPercent",
          "connection.preconnect.predictivePercent",
          "http2.initialStreamWindowSize",
          "http2.initialConnectionWindowSize",
          "http2.maxConcurrentStreams",
          "http2.onInvalidMessage",
          "circuitBreaker.maxConnections",
          "circuitBreaker.maxPendingRequests",
          "circuitBreaker.maxParallelRequests",
          "circuitBreaker.maxParallelRetries",
          "circuitBreaker.maxRequestsPerConnection",
          "circuitBreaker.perEndpoint",
          "circuitBreaker.perEndpoint.maxConnections",
          "circuitBreaker.retryBudget.percent.numerator",
          "circuitBreaker.retryBudget.percent.denominator",
          "circuitBreaker.retryBudget.minRetryConcurrency",
          "connection.socketBufferLimit",
          "http2.connectionKeepalive.interval",
          "http2.connectionKeepalive.timeout",
          "http2.connectionKeepalive.intervalJitter",
          "http2.connectionKeepalive.idleInterval",
          "connection.bufferLimit",
          "dns.dnsRefreshRate",
          "dns.respectDnsTtl",
          "dns.lookupFamily",
          "loadBalancer.type",
          "loadBalancer.slowStart.window",
          "loadBalancer.consistentHash.type",
          "loadBalancer.consistentHash.tableSize",
          "loadBalancer.consistentHash.header.name",
          "loadBalancer.consistentHash.headers[].name",
          "loadBalancer.consistentHash.cookie.name",
          "loadBalancer.consistentHash.cookie.ttl",
          "loadBalancer.consistentHash.cookie.attributes.**",
          "loadBalancer.consistentHash.queryParams[].name",
          "loadBalancer.backendUtilization",
          "loadBalancer.backendUtilization.blackoutPeriod",
          "loadBalancer.backendUtilization.weightExpirationPeriod",
          "loadBalancer.backendUtilization.weightUpdatePeriod",
          "loadBalancer.backendUtilization.errorUtilizationPenaltyPercent",
          "loadBalancer.backendUtilization.metricNamesForComputingUtilization[]",
          "loadBalancer.backendUtilization.keepResponseHeaders",
          "loadBalancer.backendUtilization.outOfBand",
          "loadBalancer.backendUtilization.outOfBand.reportingPeriod",
          "loadBalancer.backendUtilization.outOfBand.port",
          "loadBalancer.backendUtilization.outOfBand.authority",
          "loadBalancer.zoneAware.preferLocal",
          "loadBalancer.zoneAware.preferLocal.force",
          "loadBalancer.zoneAware.preferLocal.force.minEndpointsInZoneThreshold",
          "loadBalancer.zoneAware.preferLocal.minEndpointsThreshold",
          "loadBalancer.zoneAware.preferLocal.percentageEnabled",
          "loadBalancer.zoneAware.weightedZones[].zone",
          "loadBalancer.zoneAware.weightedZones[].weight",
          "loadBalancer.endpointOverride.extractFrom[].header",
          // An empty tcpKeepalive turns keepalive on with the system defaults; an empty connection
          // object changes nothing.
          "tcpKeepalive",
          "connection",
          "circuitBreaker",
          "tcpKeepalive.probes",
          "tcpKeepalive.idleTime",
          "tcpKeepalive.interval",
          "timeout.tcp.connectTimeout",
          "timeout.http.connectionIdleTimeout",
          "timeout.http.maxConnectionDuration",
          "timeout.http.requestTimeout",
          "proxyProtocol.version",
          "healthCheck.active.type",
          "healthCheck.active.timeout",
          "healthCheck.active.interval",
          "healthCheck.active.unhealthyThreshold",
          "healthCheck.active.healthyThreshold",
          "healthCheck.active.http.path",
          "healthCheck.active.http.method",
          "healthCheck.active.http.expectedStatuses[]",
          "healthCheck.active.http.expectedResponse.type",
          "healthCheck.active.http.expectedResponse.text",
          "healthCheck.active.http.expectedResponse.binary",
          "healthCheck.active.http.hostname",
          "healthCheck.active.http.requestBody.type",
          "healthCheck.active.http.requestBody.text",
          "healthCheck.active.http.requestBody.binary",
          "healthCheck.active.http.retriableStatuses[]",
          "healthCheck.active.initialJitter",
          "healthCheck.active.tcp.send.type",
          "healthCheck.active.tcp.send.text",
          "healthCheck.active.tcp.send.binary",
          "healthCheck.active.tcp.receive.type",
          "healthCheck.active.tcp.receive.text",
          "healthCheck.active.tcp.receive.binary",
          "healthCheck.active.grpc",
          "healthCheck.active.grpc.service",
          "healthCheck.active.overrides",
          "healthCheck.active.overrides.port",
          "healthCheck.active.healthCheckLog",
          "healthCheck.active.healthCheckLog.matches[]",
          "healthCheck.active.healthCheckLog.sinks[].type",
          "healthCheck.active.healthCheckLog.sinks[].file.path",
          "healthCheck.passive.baseEjectionTime",
          "healthCheck.passive.interval",
          "healthCheck.passive.maxEjectionPercent",
          "healthCheck.passive.consecutive5XxErrors",
          "healthCheck.passive.consecutiveGatewayErrors",
          "healthCheck.passive.consecutiveLocalOriginFailures",
          "healthCheck.passive.splitExternalLocalOriginErrors",
          "healthCheck.passive.failurePercentageThreshold",
          "healthCheck.passive.alwaysEjectOneEndpoint");

  /**
   * The cluster settings of {@code backendSettings} (raw JSON), or null when it sets none. Values
   * are checked as Envoy Gateway checks them; a bad one is a {@link PolicyException} naming it.
   */
  public static ClusterSettingsIr translate(JsonNode bs, String where) throws PolicyException {
    return translate(bs, where, false);
  }

  /**
   * The cluster settings, as {@link #translate(JsonNode, String)}; with {@code dynamicModules} a
   * {@code DynamicModule} load balancer is taken too, as a reference to the module by its registry
   * name that the caller resolves against the EnvoyProxy (a BackendTrafficPolicy's; Envoy Gateway
   * refuses it for a policy's own backends).
   */
  public static ClusterSettingsIr translate(JsonNode bs, String where, boolean dynamicModules)
      throws PolicyException {
    if (bs == null || !bs.isObject()) {
      return null;
    }
    JsonNode cb = bs.path("circuitBreaker");
    CircuitBreakerIr breaker =
        cb.isObject()
            ? new CircuitBreakerIr(
                count(cb, "maxConnections", where),
                count(cb, "maxPendingRequests", where),
                count(cb, "maxParallelRequests", where),
                count(cb, "maxParallelRetries", where),
                count(cb, "maxRequestsPerConnection", where),
                perEndpointConnections(cb.path("perEndpoint"), where),
                retryBudget(cb.path("retryBudget"), where + ".circuitBreaker.retryBudget"))
            : null;
    Long buffer = null;
    if (bs.path("connection").has("bufferLimit")) {
      buffer =
          quantity(
              bs.path("connection").path("bufferLimit").asText(),
              where + ".connection.bufferLimit");
    }
    Long socketBuffer = null;
    if (bs.path("connection").has("socketBufferLimit")) {
      socketBuffer =
          quantity(
              bs.path("connection").path("socketBufferLimit").asText(),
              where + ".connection.socketBufferLimit");
      // The kernel takes an int: Envoy's socket option is set with setsockopt.
      if (socketBuffer < 1 || socketBuffer > Integer.MAX_VALUE) {
        throw new PolicyException(
            where + ".connection.socketBufferLimit: must be 1 to 2147483647 bytes");
      }
    }
    DnsIr dns = null;
    JsonNode d = bs.path("dns");
    if (d.isObject()) {
      String family = d.path("lookupFamily").asText(null);
      if (family != null
          && !List.of("IPv4", "IPv6", "IPv4Preferred", "IPv6Preferred", "IPv4AndIPv6")
              .contains(family)) {
        throw new PolicyException(where + ".dns.lookupFamily: unknown " + family);
      }
      dns =
          new DnsIr(
              duration(d.get("dnsRefreshRate"), where + ".dns.dnsRefreshRate"),
              d.has("respectDnsTtl") ? d.path("respectDnsTtl").asBoolean() : null,
              family);
    }
    ClusterSettingsIr.LoadBalancerIr lb =
        loadBalancer(bs.path("loadBalancer"), where, dynamicModules);
    TcpKeepaliveIr keepalive = null;
    JsonNode k = bs.path("tcpKeepalive");
    if (k.isObject()) {
      keepalive =
          new TcpKeepaliveIr(
              k.has("probes") ? k.path("probes").asInt() : null,
              duration(k.get("idleTime"), where + ".tcpKeepalive.idleTime"),
              duration(k.get("interval"), where + ".tcpKeepalive.interval"));
    }
    JsonNode t = bs.path("timeout");
    String pp = bs.path("proxyProtocol").path("version").asText(null);
    if (pp != null && !pp.equals("V1") && !pp.equals("V2")) {
      throw new PolicyException(where + ".proxyProtocol.version must be V1 or V2");
    }
    ClusterSettingsIr out =
        new ClusterSettingsIr(
            breaker,
            buffer,
            dns,
            lb,
            keepalive,
            duration(t.path("tcp").get("connectTimeout"), where + ".timeout.tcp.connectTimeout"),
            duration(
                t.path("http").get("connectionIdleTimeout"),
                where + ".timeout.http.connectionIdleTimeout"),
            duration(
                t.path("http").get("maxConnectionDuration"),
                where + ".timeout.http.maxConnectionDuration"),
            duration(t.path("http").get("requestTimeout"), where + ".timeout.http.requestTimeout"),
            pp,
            active(bs.path("healthCheck").path("active"), where + ".healthCheck.active"),
            passive(bs.path("healthCheck").path("passive"), where + ".healthCheck.passive"),
            bs.path("useClientProtocol").asBoolean(false),
            panicThreshold(bs.path("healthCheck"), where),
            percentRatio(bs.path("connection").path("preconnect"), "perEndpointPercent", where),
            percentRatio(bs.path("connection").path("preconnect"), "predictivePercent", where),
            http2(bs.path("http2"), where),
            duration(
                t.path("http").get("streamIdleTimeout"), where + ".timeout.http.streamIdleTimeout"),
            duration(
                t.path("http").get("maxStreamDuration"), where + ".timeout.http.maxStreamDuration"),
            null,
            http2Keepalive(
                bs.path("http2").path("connectionKeepalive"), where + ".http2.connectionKeepalive"),
            socketBuffer);
    return out.equals(ClusterSettingsIr.NONE) ? null : out;
  }

  /** {@code <where>.loadBalancer}, or null when not set. */
  private static ClusterSettingsIr.LoadBalancerIr loadBalancer(
      JsonNode l, String where, boolean dynamicModules) throws PolicyException {
    if (!l.isObject()) {
      return null;
    }
    String type = l.path("type").asText("");
    if (type.equals("DynamicModule")) {
      return dynamicModule(l, where, dynamicModules);
    }
    if (!List.of("RoundRobin", "LeastRequest", "Random", "ConsistentHash", "BackendUtilization")
        .contains(type)) {
      throw new PolicyException(where + ".loadBalancer.type: unsupported " + type);
    }
    JsonNode bu = l.path("backendUtilization");
    if (type.equals("BackendUtilization") != bu.isObject()) {
      throw new PolicyException(
          where
              + ".loadBalancer.backendUtilization: set exactly when the type is"
              + " BackendUtilization");
    }
    ClusterSettingsIr.BackendUtilizationIr utilization = null;
    if (bu.isObject()) {
      String w = where + ".loadBalancer.backendUtilization";
      Integer penalty = null;
      if (bu.has("errorUtilizationPenaltyPercent")) {
        penalty = bu.path("errorUtilizationPenaltyPercent").asInt(-1);
        if (penalty < 0) {
          throw new PolicyException(w + ".errorUtilizationPenaltyPercent: must not be negative");
        }
      }
      List<String> metrics = new ArrayList<>();
      bu.path("metricNamesForComputingUtilization").forEach(m -> metrics.add(m.asText()));
      utilization =
          new ClusterSettingsIr.BackendUtilizationIr(
              duration(bu.get("blackoutPeriod"), w + ".blackoutPeriod"),
              duration(bu.get("weightExpirationPeriod"), w + ".weightExpirationPeriod"),
              duration(bu.get("weightUpdatePeriod"), w + ".weightUpdatePeriod"),
              penalty,
              metrics,
              bu.path("keepResponseHeaders").asBoolean(false),
              outOfBand(bu.path("outOfBand"), w + ".outOfBand"));
    }
    return new ClusterSettingsIr.LoadBalancerIr(
        type,
        tableSize(l, where),
        slowStart(l, where),
        utilization,
        zoneAware(l, type, where + ".loadBalancer.zoneAware"),
        endpointOverride(l.path("endpointOverride"), where + ".loadBalancer.endpointOverride"),
        null);
  }

  /**
   * A {@code DynamicModule} load balancer: the module's registry name, the load balancer's name in
   * it ({@code lbPolicyName}) and its config as JSON text; the source is left for the caller to
   * resolve. The CRD forbids the other balancer settings with it; they are refused here too.
   */
  private static ClusterSettingsIr.LoadBalancerIr dynamicModule(
      JsonNode l, String where, boolean allowed) throws PolicyException {
    String w = where + ".loadBalancer";
    if (!allowed) {
      throw new PolicyException(
          w + ".type: DynamicModule load balancing is not supported for a policy's own backends");
    }
    JsonNode dm = l.path("dynamicModule");
    if (!dm.isObject()) {
      throw new PolicyException(
          w + ": If LoadBalancer type is DynamicModule, dynamicModule field needs to be set.");
    }
    for (String other :
        List.of(
            "consistentHash", "backendUtilization", "slowStart", "zoneAware", "endpointOverride")) {
      if (l.has(other)) {
        throw new PolicyException(
            w + "." + other + ": not supported for DynamicModule load balancers");
      }
    }
    String module = dm.path("name").asText("");
    String name = dm.path("lbPolicyName").asText("");
    if (module.isEmpty() || name.isEmpty()) {
      throw new PolicyException(w + ".dynamicModule: name and lbPolicyName are required");
    }
    String config = null;
    JsonNode c = dm.path("config");
    if (!c.isMissingNode() && !c.isNull()) {
      try {
        config = io.eg4j.model.bus.Json.MAPPER.writeValueAsString(c);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new PolicyException(w + ".dynamicModule.config: " + e.getOriginalMessage());
      }
    }
    return new ClusterSettingsIr.LoadBalancerIr(
        "DynamicModule",
        null,
        null,
        null,
        null,
        List.of(),
        new io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr(
            module, name, config, false, false, false, null, null, null, null));
  }

  /**
   * {@code backendUtilization.outOfBand}: a reporting period above zero, a port from 1 to 65535, an
   * authority of 1 to 259 characters without NUL, CR or LF (the CRD's rules). Null when not set.
   */
  private static ClusterSettingsIr.OutOfBandIr outOfBand(JsonNode o, String where)
      throws PolicyException {
    if (!o.isObject()) {
      return null;
    }
    DurationIr period = duration(o.get("reportingPeriod"), where + ".reportingPeriod");
    if (period != null && period.millis() < 1) {
      throw new PolicyException(where + ".reportingPeriod: must be greater than 0");
    }
    Integer port = null;
    if (o.has("port")) {
      port = o.path("port").asInt(-1);
      if (!o.path("port").canConvertToInt() || port < 1 || port > 65535) {
        throw new PolicyException(where + ".port: must be 1 to 65535");
      }
    }
    String authority = o.path("authority").asText(null);
    if (authority != null
        && (authority.isEmpty()
            || authority.length() > 259
            || authority.matches("(?s).*[\\x00\\n\\r].*"))) {
      throw new PolicyException(where + ".authority: invalid " + authority);
    }
    return new ClusterSettingsIr.OutOfBandIr(period, port, authority);
  }

  /**
   * {@code loadBalancer.zoneAware}: prefer the local zone (not with a consistent-hash or
   * BackendUtilization balancer), or weigh the zones; never both. Null when not set.
   */
  private static ClusterSettingsIr.ZoneAwareIr zoneAware(JsonNode l, String type, String where)
      throws PolicyException {
    JsonNode z = l.path("zoneAware");
    if (!z.isObject()) {
      return null;
    }
    JsonNode p = z.path("preferLocal");
    JsonNode w = z.path("weightedZones");
    if (p.isObject() && w.isArray()) {
      throw new PolicyException(where + ": preferLocal and weightedZones cannot both be set");
    }
    if (p.isObject()) {
      if (type.equals("ConsistentHash") || type.equals("BackendUtilization")) {
        throw new PolicyException(
            where + ".preferLocal: not supported with a " + type + " load balancer");
      }
      Long min = null;
      if (p.has("minEndpointsThreshold")) {
        JsonNode m = p.path("minEndpointsThreshold");
        if (!m.canConvertToLong() || m.asLong() < 0) {
          throw new PolicyException(where + ".preferLocal.minEndpointsThreshold: must be >= 0");
        }
        min = m.asLong();
      }
      Integer pct = null;
      if (p.has("percentageEnabled")) {
        pct = p.path("percentageEnabled").asInt(-1);
        if (pct < 0 || pct > 100) {
          throw new PolicyException(where + ".preferLocal.percentageEnabled: must be 0 to 100");
        }
      }
      Integer force = null;
      JsonNode f = p.path("force");
      if (f.isObject()) {
        force = 1;
        if (f.has("minEndpointsInZoneThreshold")) {
          force = f.path("minEndpointsInZoneThreshold").asInt(-1);
          if (force < 0) {
            throw new PolicyException(
                where + ".preferLocal.force.minEndpointsInZoneThreshold: must be >= 0");
          }
        }
      }
      return new ClusterSettingsIr.ZoneAwareIr(
          new ClusterSettingsIr.PreferLocalIr(min, pct, force), List.of());
    }
    if (!w.isArray()) {
      // An empty zoneAware: Envoy's default locality handling, nothing to change.
      return null;
    }
    List<ClusterSettingsIr.WeightedZoneIr> zones = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (JsonNode e : w) {
      String zone = e.path("zone").asText("");
      if (zone.isEmpty()) {
        throw new PolicyException(where + ".weightedZones: each zone needs a name");
      }
      if (!seen.add(zone)) {
        throw new PolicyException(where + ".weightedZones: zone " + zone + " is listed twice");
      }
      JsonNode weight = e.path("weight");
      // Envoy takes locality weights from 1 up.
      if (!weight.canConvertToInt() || weight.asInt() < 1) {
        throw new PolicyException(
            where + ".weightedZones: the weight of zone " + zone + " must be at least 1");
      }
      zones.add(new ClusterSettingsIr.WeightedZoneIr(zone, weight.asInt()));
    }
    return zones.isEmpty() ? null : new ClusterSettingsIr.ZoneAwareIr(null, zones);
  }

  /** {@code loadBalancer.endpointOverride}: the headers naming the endpoint, 1 to 10. */
  private static List<String> endpointOverride(JsonNode o, String where) throws PolicyException {
    if (!o.isObject()) {
      return List.of();
    }
    List<String> headers = new ArrayList<>();
    for (JsonNode e : o.path("extractFrom")) {
      String h = e.path("header").asText("");
      if (!h.matches("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")) {
        throw new PolicyException(where + ".extractFrom: invalid header name '" + h + "'");
      }
      headers.add(h.toLowerCase(java.util.Locale.ROOT));
    }
    if (headers.isEmpty() || headers.size() > 10) {
      throw new PolicyException(where + ".extractFrom: 1 to 10 sources");
    }
    return headers;
  }

  /**
   * The slow start window: only round robin, least request and backend utilization balancers ramp
   * endpoints up.
   */
  private static io.eg4j.model.ir.DurationIr slowStart(JsonNode lb, String where)
      throws PolicyException {
    JsonNode w = lb.path("slowStart").get("window");
    if (w == null) {
      return null;
    }
    String type = lb.path("type").asText("");
    if (!List.of("RoundRobin", "LeastRequest", "BackendUtilization").contains(type)) {
      throw new PolicyException(
          where
              + ".loadBalancer.slowStart: only for RoundRobin, LeastRequest and"
              + " BackendUtilization, not "
              + type);
    }
    return duration(w, where + ".loadBalancer.slowStart.window");
  }

  private static Integer panicThreshold(JsonNode hc, String where) throws PolicyException {
    if (!hc.has("panicThreshold")) {
      return null;
    }
    int v = hc.path("panicThreshold").asInt(-1);
    if (v < 0 || v > 100) {
      throw new PolicyException(where + ".healthCheck.panicThreshold: must be 0 to 100");
    }
    return v;
  }

  /** A preconnect percentage as Envoy's ratio: 100 to 300 percent is 1.0 to 3.0. */
  private static Double percentRatio(JsonNode pre, String field, String where)
      throws PolicyException {
    if (!pre.has(field)) {
      return null;
    }
    int v = pre.path(field).asInt(-1);
    if (v < 100 || v > 300) {
      throw new PolicyException(
          where + ".connection.preconnect." + field + ": " + v + " is outside 100 to 300");
    }
    return v / 100.0;
  }

  /**
   * {@code <where>.http2}: windows (65535 bytes to 2 GiB), concurrent streams, what an invalid
   * message resets; null when not set. Downstream (ClientTrafficPolicy) and upstream alike.
   */
  public static io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2Ir http2(
      JsonNode h2, String where) throws PolicyException {
    if (!h2.isObject()) {
      return null;
    }
    Boolean terminateStream = null;
    if (h2.has("onInvalidMessage")) {
      switch (h2.path("onInvalidMessage").asText()) {
        case "TerminateStream" -> terminateStream = true;
        case "TerminateConnection" -> terminateStream = false;
        default ->
            throw new PolicyException(
                where
                    + ".http2.onInvalidMessage: unknown value "
                    + h2.path("onInvalidMessage").asText());
      }
    }
    return new io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2Ir(
        window(h2, "initialStreamWindowSize", where),
        window(h2, "initialConnectionWindowSize", where),
        h2.has("maxConcurrentStreams") ? h2.path("maxConcurrentStreams").asInt() : null,
        terminateStream);
  }

  private static Integer window(JsonNode h2, String name, String where) throws PolicyException {
    if (!h2.has(name)) {
      return null;
    }
    long bytes = quantity(h2.path(name).asText(), where + ".http2." + name);
    if (bytes < 65535 || bytes > 2147483647L) {
      throw new PolicyException(
          where + ".http2." + name + ": " + bytes + " bytes is outside 65535 to 2147483647");
    }
    return (int) bytes;
  }

  /**
   * {@code circuitBreaker.retryBudget}: the percentage is {@code numerator / denominator} (the
   * denominator 100 by default), or null when not set.
   */
  private static ClusterSettingsIr.RetryBudgetIr retryBudget(JsonNode rb, String where)
      throws PolicyException {
    if (!rb.isObject()) {
      return null;
    }
    JsonNode p = rb.path("percent");
    if (!p.path("numerator").canConvertToInt() || p.path("numerator").asInt() < 0) {
      throw new PolicyException(where + ".percent.numerator: a whole number from 0 is required");
    }
    int numerator = p.path("numerator").asInt();
    int denominator = 100;
    if (p.has("denominator")) {
      denominator = p.path("denominator").asInt(0);
      if (!p.path("denominator").canConvertToInt() || denominator < 1) {
        throw new PolicyException(where + ".percent.denominator: must be at least 1");
      }
    }
    if (numerator > denominator) {
      throw new PolicyException(
          where + ".percent: the numerator must not be greater than the denominator");
    }
    Integer min = null;
    if (rb.has("minRetryConcurrency")) {
      JsonNode m = rb.path("minRetryConcurrency");
      if (!m.canConvertToInt() || m.asInt() < 0) {
        throw new PolicyException(where + ".minRetryConcurrency: must not be negative");
      }
      min = m.asInt();
    }
    return new ClusterSettingsIr.RetryBudgetIr(100.0 * numerator / denominator, min);
  }

  /**
   * {@code http2.connectionKeepalive} to HTTP/2 backends: PINGs every interval (with jitter, 15% by
   * default) and before using a connection idle for the idle interval, the connection closed when a
   * PING goes unanswered for the timeout. Envoy needs the timeout whenever keepalive is configured,
   * and the CRD wants it shorter than the interval. Null when not set.
   */
  public static io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2KeepaliveIr http2Keepalive(
      JsonNode k, String where) throws PolicyException {
    if (!k.isObject()) {
      return null;
    }
    DurationIr interval = positive(k.get("interval"), where + ".interval");
    DurationIr timeout = positive(k.get("timeout"), where + ".timeout");
    DurationIr idle = positive(k.get("idleInterval"), where + ".idleInterval");
    if (timeout == null) {
      throw new PolicyException(
          where
              + ".timeout: required (Envoy closes a connection whose PING is not answered in it)");
    }
    if (interval != null && timeout.millis() >= interval.millis()) {
      throw new PolicyException(where + ": timeout must be less than interval");
    }
    Integer jitter = null;
    if (k.has("intervalJitter")) {
      jitter = k.path("intervalJitter").asInt(-1);
      if (!k.path("intervalJitter").canConvertToInt() || jitter < 0 || jitter > 100) {
        throw new PolicyException(where + ".intervalJitter: must be 0 to 100");
      }
    }
    return new io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2KeepaliveIr(
        interval == null ? null : interval.millis(),
        timeout.millis(),
        jitter,
        idle == null ? null : idle.millis());
  }

  /** A duration of at least 1 ms (Envoy's minimum for PING intervals), or null when absent. */
  private static DurationIr positive(JsonNode v, String where) throws PolicyException {
    DurationIr d = duration(v, where);
    if (d != null && d.millis() < 1) {
      throw new PolicyException(where + ": must be at least 1ms");
    }
    return d;
  }

  /** The Maglev table size: a prime, at most 5000011 (Envoy's limit). */
  private static Long tableSize(JsonNode lb, String where) throws PolicyException {
    JsonNode t = lb.path("consistentHash").path("tableSize");
    if (!t.canConvertToLong()) {
      return null;
    }
    long n = t.asLong();
    if (n < 2 || n > 5_000_011L || !java.math.BigInteger.valueOf(n).isProbablePrime(30)) {
      throw new PolicyException(
          where + ".loadBalancer.consistentHash.tableSize must be a prime up to 5000011: " + n);
    }
    return n;
  }

  private static ActiveHealthCheckIr active(JsonNode a, String where) throws PolicyException {
    if (!a.isObject()) {
      return null;
    }
    String type = a.path("type").asText("");
    if (!type.equals("HTTP") && !type.equals("TCP") && !type.equals("GRPC")) {
      throw new PolicyException(where + ".type: unsupported " + type + " (HTTP, TCP or GRPC)");
    }
    JsonNode h = a.path("http");
    if (type.equals("HTTP") && h.path("path").asText("").isEmpty()) {
      throw new PolicyException(where + ".http.path must be set");
    }
    List<Integer> statuses = statuses(h.path("expectedStatuses"), where + ".http.expectedStatuses");
    List<Integer> retriable =
        statuses(h.path("retriableStatuses"), where + ".http.retriableStatuses");
    PayloadIr body = payload(h.path("requestBody"), where + ".http.requestBody");
    if (body != null
        && !List.of("POST", "PUT")
            .contains(h.path("method").asText("").toUpperCase(java.util.Locale.ROOT))) {
      throw new PolicyException(
          where + ".http.requestBody: can only be set when the method is POST or PUT");
    }
    String hostname = h.path("hostname").asText(null);
    if (hostname != null
        && (hostname.isEmpty()
            || hostname.length() > 253
            || !hostname.matches(
                "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"))) {
      throw new PolicyException(where + ".http.hostname: invalid host name " + hostname);
    }
    DurationIr jitter = duration(a.get("initialJitter"), where + ".initialJitter");
    DurationIr timeout = duration(a.get("timeout"), where + ".timeout");
    DurationIr interval = duration(a.get("interval"), where + ".interval");
    return new ActiveHealthCheckIr(
        type,
        timeout == null ? new DurationIr(1000) : timeout,
        interval == null ? new DurationIr(3000) : interval,
        a.path("unhealthyThreshold").asInt(3),
        a.path("healthyThreshold").asInt(1),
        type.equals("HTTP") ? h.path("path").asText() : null,
        type.equals("HTTP") ? h.path("method").asText(null) : null,
        statuses,
        payload(h.path("expectedResponse"), where + ".http.expectedResponse"),
        payload(a.path("tcp").path("send"), where + ".tcp.send"),
        payload(a.path("tcp").path("receive"), where + ".tcp.receive"),
        type.equals("GRPC") ? a.path("grpc").path("service").asText(null) : null,
        healthCheckPort(a.path("overrides"), where + ".overrides.port"),
        healthCheckLog(a.path("healthCheckLog"), where + ".healthCheckLog"),
        type.equals("HTTP") ? hostname : null,
        type.equals("HTTP") ? body : null,
        type.equals("HTTP") ? retriable : List.of(),
        jitter);
  }

  /** HTTP statuses (100 to 599) of a health check list. */
  private static List<Integer> statuses(JsonNode list, String where) throws PolicyException {
    List<Integer> out = new ArrayList<>();
    for (JsonNode st : list) {
      int code = st.asInt();
      if (code < 100 || code > 599) {
        throw new PolicyException(where + ": invalid status " + code);
      }
      out.add(code);
    }
    return out;
  }

  private static Integer healthCheckPort(JsonNode o, String where) throws PolicyException {
    if (!o.has("port")) {
      return null;
    }
    int port = o.path("port").asInt(-1);
    if (port < 1 || port > 65535) {
      throw new PolicyException(where + ": " + o.path("port").asText() + " is outside 1 to 65535");
    }
    return port;
  }

  /**
   * {@code healthCheckLog}: every outcome when no match is given; otherwise {@code Failure} and
   * {@code Success} log every failed and passed check, while the first failure of a series and the
   * transitions to healthy are logged in any case. A failure type needs a success type and the
   * other way round (the CRD's rule).
   */
  private static ClusterSettingsIr.HealthCheckLogIr healthCheckLog(JsonNode l, String where)
      throws PolicyException {
    if (!l.isObject()) {
      return null;
    }
    java.util.Set<String> matches = new java.util.LinkedHashSet<>();
    for (JsonNode m : l.path("matches")) {
      String v = m.asText();
      if (!List.of("Failure", "FailureSeriesStart", "Success", "HealthyTransition").contains(v)) {
        throw new PolicyException(where + ".matches: unknown " + v);
      }
      matches.add(v);
    }
    boolean failure = matches.contains("Failure") || matches.contains("FailureSeriesStart");
    boolean success = matches.contains("Success") || matches.contains("HealthyTransition");
    if (failure != success) {
      throw new PolicyException(
          where + ".matches: a failure type and a success type must both be given");
    }
    String path = "/dev/stdout";
    JsonNode sinks = l.path("sinks");
    if (sinks.size() > 1) {
      throw new PolicyException(where + ".sinks: at most one sink");
    }
    for (JsonNode sink : sinks) {
      if (!sink.path("type").asText("").equals("File")) {
        throw new PolicyException(where + ".sinks: unsupported type " + sink.path("type").asText());
      }
      path = sink.path("file").path("path").asText("");
      if (path.isEmpty()) {
        throw new PolicyException(where + ".sinks: a File sink needs file.path");
      }
    }
    return new ClusterSettingsIr.HealthCheckLogIr(
        matches.isEmpty() || matches.contains("Failure"),
        matches.isEmpty() || matches.contains("Success"),
        path);
  }

  private static PayloadIr payload(JsonNode p, String where) throws PolicyException {
    if (!p.isObject()) {
      return null;
    }
    String type = p.path("type").asText("");
    if (type.equals("Text") && p.has("text")) {
      return new PayloadIr(p.path("text").asText(), null);
    }
    if (type.equals("Binary") && p.has("binary")) {
      String b = p.path("binary").asText();
      try {
        java.util.Base64.getDecoder().decode(b);
      } catch (IllegalArgumentException e) {
        throw new PolicyException(where + ".binary is not base64");
      }
      return new PayloadIr(null, b);
    }
    throw new PolicyException(where + ": type Text with text, or Binary with binary");
  }

  private static PassiveHealthCheckIr passive(JsonNode p, String where) throws PolicyException {
    if (!p.isObject()) {
      return null;
    }
    return new PassiveHealthCheckIr(
        duration(p.get("baseEjectionTime"), where + ".baseEjectionTime"),
        duration(p.get("interval"), where + ".interval"),
        p.has("maxEjectionPercent") ? p.path("maxEjectionPercent").asInt() : null,
        p.has("consecutive5XxErrors") ? p.path("consecutive5XxErrors").asInt() : null,
        p.has("consecutiveGatewayErrors") ? p.path("consecutiveGatewayErrors").asInt() : null,
        p.has("consecutiveLocalOriginFailures")
            ? p.path("consecutiveLocalOriginFailures").asInt()
            : null,
        p.has("splitExternalLocalOriginErrors")
            ? p.path("splitExternalLocalOriginErrors").asBoolean()
            : null,
        failurePercentage(p, where),
        p.has("alwaysEjectOneEndpoint") ? p.path("alwaysEjectOneEndpoint").asBoolean() : null);
  }

  private static Integer failurePercentage(JsonNode p, String where) throws PolicyException {
    if (!p.has("failurePercentageThreshold")) {
      return null;
    }
    int v = p.path("failurePercentageThreshold").asInt(-1);
    if (!p.path("failurePercentageThreshold").canConvertToInt() || v < 0 || v > 100) {
      throw new PolicyException(where + ".failurePercentageThreshold: must be 0 to 100");
    }
    return v;
  }

  /**
   * {@code circuitBreaker.perEndpoint.maxConnections}: the CRD's default, 1024, when {@code
   * perEndpoint} is given without it; null without {@code perEndpoint}.
   */
  private static Long perEndpointConnections(JsonNode pe, String where) throws PolicyException {
    if (!pe.isObject()) {
      return null;
    }
    JsonNode v = pe.path("maxConnections");
    if (v.isMissingNode() || v.isNull()) {
      return 1024L;
    }
    if (!v.canConvertToLong() || v.asLong() < 0 || v.asLong() > 0xFFFFFFFFL) {
      throw new PolicyException(
          where
              + ".circuitBreaker.perEndpoint.maxConnections: "
              + v.asText()
              + " is outside 0 to 4294967295");
    }
    return v.asLong();
  }

  /** A circuit breaker threshold: a whole number from 0 to 4294967295 (Envoy's uint32). */
  private static Long count(JsonNode n, String field, String where) throws PolicyException {
    if (!n.has(field)) {
      return null;
    }
    JsonNode v = n.path(field);
    if (!v.canConvertToLong() || v.asLong() < 0 || v.asLong() > 0xFFFFFFFFL) {
      throw new PolicyException(
          where + ".circuitBreaker." + field + ": " + v.asText() + " is outside 0 to 4294967295");
    }
    return v.asLong();
  }

  /** A Kubernetes quantity of bytes: 32768, 100M, 1Mi, 2G, 1Gi … */
  public static long quantity(String q, String where) throws PolicyException {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("^([0-9]+)(k|M|G|T|Ki|Mi|Gi|Ti)?$").matcher(q);
    if (!m.matches()) {
      throw new PolicyException(where + ": invalid quantity " + q);
    }
    long n = Long.parseLong(m.group(1));
    long unit =
        m.group(2) == null
            ? 1
            : switch (m.group(2)) {
              case "k" -> 1_000L;
              case "M" -> 1_000_000L;
              case "G" -> 1_000_000_000L;
              case "T" -> 1_000_000_000_000L;
              case "Ki" -> 1L << 10;
              case "Mi" -> 1L << 20;
              case "Gi" -> 1L << 30;
              default -> 1L << 40;
            };
    long bytes = n * unit;
    if (bytes > 0xFFFFFFFFL) {
      throw new PolicyException(where + ": " + q + " is larger than Envoy's 4 GiB limit");
    }
    return bytes;
  }

  /**
   * A Kubernetes duration field (Go syntax: {@code 0.2s}, {@code 1m30s}), or null when the field is
   * absent; a malformed one is a {@link PolicyException} naming {@code where}.
   */
  public static DurationIr duration(JsonNode v, String where) throws PolicyException {
    if (v == null || v.isMissingNode() || v.isNull()) {
      return null;
    }
    try {
      return DurationIr.parseGo(v.asText());
    } catch (IllegalArgumentException e) {
      throw new PolicyException(where + ": invalid duration " + v.asText());
    }
  }
}
