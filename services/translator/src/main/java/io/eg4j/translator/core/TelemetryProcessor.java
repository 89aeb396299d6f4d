package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.TelemetryIr;
import io.eg4j.model.ir.TelemetryIr.AccessLogIr;
import io.eg4j.model.ir.TelemetryIr.CustomTagIr;
import io.eg4j.model.ir.TelemetryIr.GrpcSinkIr;
import io.eg4j.model.ir.TelemetryIr.MetricsIr;
import io.eg4j.model.ir.TelemetryIr.TracingIr;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.security.BackendSettingsTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The EnvoyProxy {@code spec.telemetry} of a Gateway, in the IR: access-log sinks and the tracing
 * provider, with their collectors resolved to destinations (Envoy Gateway's {@code
 * processAccessLog} and {@code processTracing}).
 *
 * <p>The order and the failure rule are Envoy Gateway's: access logs first, then tracing; when the
 * access logs' references do not resolve, the Gateway has no access log and no tracing; when the
 * tracing's do not, it keeps its access logs without tracing. {@link EnvoyProxyValidator} reports
 * the same failures on the Gateway's status.
 */
final class TelemetryProcessor {
  private final TranslationContext ctx;
  private final BackendRefProcessor backends;

  TelemetryProcessor(TranslationContext ctx) {
    this.ctx = ctx;
    this.backends = new BackendRefProcessor(ctx, new BackendTlsPolicyProcessor(ctx));
  }

  /** Thrown when a collector reference does not resolve. */
  static final class Unresolved extends Exception {
    Unresolved(String message) {
      super(message);
    }
  }

  /**
   * The telemetry IR of a Gateway, or null when its EnvoyProxy sets no telemetry that changes Envoy
   * Gateway's defaults.
   *
   * @param g the Gateway with its EnvoyProxy in effect
   * @param serviceName the tracing service name when the provider sets none: {@code
   *     gateway.namespace}, or the GatewayClass name when gateways are merged
   * @param refsChecked true when {@link EnvoyProxyValidator#telemetryError} found every reference
   *     resolvable: a collector that still cannot be built is one eg4j does not support, and only
   *     its sink is left out; false applies Envoy Gateway's rule for unresolved references
   */
  TelemetryIr translate(GatewayContext g, String serviceName, boolean refsChecked) {
    JsonNode telemetry = Nodes.obj(g.envoyProxy, "telemetry");
    if (telemetry.isMissingNode()) {
      return null;
    }
    // The stats settings hold whatever happens to the sinks' references (Envoy Gateway's
    // processMetrics is independent of its access log and tracing steps).
    MetricsIr metrics = metrics(Nodes.obj(telemetry, "metrics"));
    ObjectNode ep = envoyProxyObject(g);
    // requestID.tracing: the UUID request ID extension's settings (the CRD's enum; the API
    // server refuses other values, which are left to Envoy's default here).
    String requestId = Nodes.obj(telemetry, "requestID").path("tracing").asText(null);
    if (requestId != null
        && !List.of("PackAndSample", "Sample", "Pack", "Disable").contains(requestId)) {
      requestId = null;
    }
    List<AccessLogIr> logs;
    try {
      logs = accessLogs(Nodes.obj(telemetry, "accessLog"), ep, refsChecked);
    } catch (Unresolved e) {
      return new TelemetryIr(List.of(), null, metrics, requestId);
    }
    TracingIr tracing;
    try {
      tracing = tracing(Nodes.obj(telemetry, "tracing"), ep, serviceName, refsChecked);
    } catch (Unresolved e) {
      tracing = null;
    }
    if (logs == null && tracing == null && metrics == null && requestId == null) {
      return null;
    }
    return new TelemetryIr(logs, tracing, metrics, requestId);
  }

  /**
   * The optional stats of {@code telemetry.metrics} that the xDS configuration carries, or null
   * when none is switched on.
   */
  static MetricsIr metrics(JsonNode metrics) {
    MetricsIr m =
        new MetricsIr(
            Nodes.bool(metrics, "enableVirtualHostStats", false),
            Nodes.bool(metrics, "enablePerEndpointStats", false),
            Nodes.bool(metrics, "enableRequestResponseSizesStats", false));
    return m.isDefault() ? null : m;
  }

  /** The EnvoyProxy object in effect, for status ancestors and the default ALS log name. */
  private ObjectNode envoyProxyObject(GatewayContext g) {
    if (g.envoyProxyFromGateway != null) {
      return g.envoyProxyFromGateway;
    }
    String ns =
        g.envoyProxyNamespace == null ? ctx.config.controllerNamespace() : g.envoyProxyNamespace;
    if (g.envoyProxyName != null) {
      ObjectNode ep = ctx.envoyProxies.get(ns + "/" + g.envoyProxyName);
      if (ep != null) {
        return ep;
      }
    }
    // The EnvoyGateway configuration's default EnvoyProxy has no object of its own.
    ObjectNode ep = Nodes.object();
    ep.put("apiVersion", TranslationContext.EG_GROUP + "/v1alpha1");
    ep.put("kind", "EnvoyProxy");
    ObjectNode meta = ep.putObject("metadata");
    meta.put("namespace", ns);
    meta.put("name", g.envoyProxyName == null ? "" : g.envoyProxyName);
    return ep;
  }

  /** Null for Envoy Gateway's default access log, empty when disabled. */
  private List<AccessLogIr> accessLogs(JsonNode accessLog, ObjectNode ep, boolean refsChecked)
      throws Unresolved {
    if (Nodes.bool(accessLog, "disable", false)) {
      return List.of();
    }
    List<JsonNode> settings = Nodes.list(accessLog, "settings");
    if (settings.isEmpty()) {
      return null;
    }
    List<AccessLogIr> out = new ArrayList<>();
    for (int i = 0; i < settings.size(); i++) {
      JsonNode setting = settings.get(i);
      String logType = Nodes.text(setting, "type");
      JsonNode format = Nodes.obj(setting, "format");
      List<String> matches = new ArrayList<>();
      for (JsonNode m : Nodes.list(setting, "matches")) {
        if (CelSyntax.error(m.asText()) != null) {
          throw new Unresolved("invalid CEL expression: " + m.asText());
        }
        matches.add(m.asText());
      }
      List<JsonNode> sinks = Nodes.list(setting, "sinks");
      if (sinks.isEmpty()) {
        // No sink: Envoy Gateway logs JSON to standard output.
        out.add(
            new AccessLogIr(
                "File", logType, matches, null, Nodes.map(format, "json"), "/dev/stdout", null));
      }
      for (int j = 0; j < sinks.size(); j++) {
        try {
          AccessLogIr sinkLog = sink(sinks.get(j), i, j, logType, matches, format, ep, refsChecked);
          if (sinkLog != null) {
            out.add(sinkLog);
          }
        } catch (Unresolved e) {
          if (refsChecked) {
            // The references resolved when the Gateway was checked, so this is a collector eg4j
            // cannot call (a Unix-socket Backend, say): that sink is left out, the others log.
            continue;
          }
          throw e;
        }
      }
    }
    return out;
  }

  /** One sink of access-log setting {@code i}; null when its type's block is missing. */
  private AccessLogIr sink(
      JsonNode sink,
      int i,
      int j,
      String logType,
      List<String> matches,
      JsonNode format,
      ObjectNode ep,
      boolean refsChecked)
      throws Unresolved {
    String formatType = Nodes.text(format, "type");
    String text = Nodes.text(format, "text");
    Map<String, String> json = Nodes.map(format, "json");
    // File and ALS sinks use one of text or JSON (JSON when the type is not Text); an
    // OpenTelemetry sink may use both (text as the body, JSON as attributes) when no type is set.
    boolean isText = "Text".equals(formatType);
    switch (Nodes.text(sink, "type", "")) {
      case "File" -> {
        JsonNode file = Nodes.obj(sink, "file");
        if (file.isMissingNode()) {
          return null;
        }
        return new AccessLogIr(
            "File",
            logType,
            matches,
            isText ? text : null,
            isText ? null : json,
            Nodes.text(file, "path", "/dev/stdout"),
            null);
      }
      case "ALS" -> {
        JsonNode als = Nodes.obj(sink, "als");
        if (als.isMissingNode()) {
          return null;
        }
        String name = "accesslog_als_" + i + "_" + j;
        RouteDestinationIr dest = collector(name, als, ep, "GRPC", refsChecked);
        if (dest == null) {
          throw new Unresolved("the ALS sink has no backendRefs");
        }
        boolean http = "HTTP".equals(Nodes.text(als, "type", "HTTP"));
        JsonNode h = Nodes.obj(als, "http");
        String logName = Nodes.text(als, "logName", Nodes.namespace(ep) + "/" + Nodes.name(ep));
        return new AccessLogIr(
            http ? "HttpGrpc" : "TcpGrpc",
            logType,
            matches,
            isText ? text : null,
            isText ? null : json,
            null,
            new GrpcSinkIr(
                dest,
                null,
                logName,
                http ? texts(h, "requestHeaders") : List.of(),
                http ? texts(h, "responseHeaders") : List.of(),
                http ? texts(h, "responseTrailers") : List.of(),
                null));
      }
      case "OpenTelemetry" -> {
        JsonNode otel = Nodes.obj(sink, "openTelemetry");
        if (otel.isMissingNode()) {
          return null;
        }
        String name = "accesslog_otel_" + i + "_" + j;
        RouteDestinationIr dest = collector(name, otel, ep, "GRPC", refsChecked);
        String authority = dest == null ? null : authority(dest, otel, Nodes.namespace(ep));
        if (dest == null) {
          dest = hostPort(name, otel, "GRPC");
          authority = dest == null ? null : Nodes.text(otel, "host");
        }
        if (dest == null) {
          throw new Unresolved("the OpenTelemetry sink has no backendRefs");
        }
        return new AccessLogIr(
            "OpenTelemetry",
            logType,
            matches,
            formatType == null || isText ? text : null,
            formatType == null || !isText ? json : null,
            null,
            new GrpcSinkIr(
                dest,
                authority,
                null,
                List.of(),
                List.of(),
                List.of(),
                Nodes.map(otel, "resourceAttributes")));
      }
      default -> {
        // The CRD's enum refuses other sink types.
        return null;
      }
    }
  }

  private TracingIr tracing(
      JsonNode tracing, ObjectNode ep, String defaultServiceName, boolean refsChecked)
      throws Unresolved {
    if (tracing.isMissingNode()) {
      return null;
    }
    JsonNode provider = Nodes.obj(tracing, "provider");
    String type = Nodes.text(provider, "type", "OpenTelemetry");
    String protocol = type.equals("OpenTelemetry") ? "GRPC" : "HTTP";
    RouteDestinationIr dest =
        collector(TelemetryIr.TRACING_CLUSTER, provider, ep, protocol, refsChecked);
    String authority = dest == null ? null : authority(dest, provider, Nodes.namespace(ep));
    if (dest == null) {
      dest = hostPort(TelemetryIr.TRACING_CLUSTER, provider, protocol);
      authority = dest == null ? null : Nodes.text(provider, "host");
    }
    if (dest == null) {
      throw new Unresolved("the tracing provider has no backendRefs");
    }
    JsonNode zipkin = Nodes.obj(provider, "zipkin");
    return new TracingIr(
        type,
        dest,
        authority,
        Nodes.text(provider, "serviceName", defaultServiceName),
        samplingRate(tracing),
        customTags(Nodes.obj(tracing, "customTags")),
        Nodes.bool(zipkin, "enable128BitTraceID", false),
        !Nodes.bool(zipkin, "disableSharedSpanContext", false),
        spanName(Nodes.obj(tracing, "spanName")));
  }

  /** {@code spanName}, or null when it is not set or lacks a name (both are required). */
  private static io.eg4j.model.ir.traffic.TrafficIr.SpanNameIr spanName(JsonNode n) {
    String client = Nodes.text(n, "client", "");
    String server = Nodes.text(n, "server", "");
    return client.isEmpty() || server.isEmpty()
        ? null
        : new io.eg4j.model.ir.traffic.TrafficIr.SpanNameIr(client, server);
  }

  /** The sampling rate in percent: samplingRate, else samplingFraction, else 100. */
  static double samplingRate(JsonNode tracing) {
    Integer rate = Nodes.integer(tracing, "samplingRate");
    if (rate != null) {
      return Math.max(0, Math.min(100, rate));
    }
    JsonNode fraction = Nodes.obj(tracing, "samplingFraction");
    Integer numerator = Nodes.integer(fraction, "numerator");
    if (numerator == null) {
      return 100;
    }
    Integer denominator = Nodes.integer(fraction, "denominator");
    int d = denominator == null ? 100 : denominator;
    if (d <= 0) {
      return 0;
    }
    return Math.max(0, Math.min(100, numerator * 100.0 / d));
  }

  private static List<CustomTagIr> customTags(JsonNode tags) {
    List<CustomTagIr> out = new ArrayList<>();
    tags.fields()
        .forEachRemaining(
            e -> {
              JsonNode t = e.getValue();
              String type = Nodes.text(t, "type", "Literal");
              switch (type) {
                case "Literal" ->
                    out.add(
                        new CustomTagIr(
                            e.getKey(),
                            type,
                            Nodes.text(Nodes.obj(t, "literal"), "value", ""),
                            null));
                case "Environment" -> {
                  JsonNode env = Nodes.obj(t, "environment");
                  out.add(
                      new CustomTagIr(
                          e.getKey(),
                          type,
                          Nodes.text(env, "name", ""),
                          Nodes.text(env, "defaultValue")));
                }
                case "RequestHeader" -> {
                  JsonNode h = Nodes.obj(t, "requestHeader");
                  out.add(
                      new CustomTagIr(
                          e.getKey(),
                          type,
                          Nodes.text(h, "name", ""),
                          Nodes.text(h, "defaultValue")));
                }
                default -> {
                  // The CRD's enum refuses other types.
                }
              }
            });
    return out;
  }

  /**
   * The collector of a sink's {@code backendRefs}, one cluster named {@code name} whose backends
   * are its localities; null when there are no backendRefs.
   */
  private RouteDestinationIr collector(
      String name, JsonNode holder, ObjectNode ep, String protocol, boolean refsChecked)
      throws Unresolved {
    List<JsonNode> refs = Nodes.list(holder, "backendRefs");
    if (refs.isEmpty()) {
      return null;
    }
    List<DestinationSettingIr> settings = new ArrayList<>();
    for (int i = 0; i < refs.size(); i++) {
      BackendRefProcessor.Result r =
          backends.resolveForEnvoyProxy(
              name + "/backend/" + i, EnvoyProxyValidator.normalizedRef(refs.get(i)), ep, protocol);
      if (r.setting() == null) {
        if (r.error() != null && r.error().type().equals("BackendsAvailable")) {
          // No ready endpoints yet: the cluster exists and fills when they appear.
          settings.add(
              new DestinationSettingIr(name + "/backend/" + i, 1, protocol, "IP", List.of(), null));
          continue;
        }
        if (refsChecked) {
          // It resolved when the Gateway was checked: a backend eg4j cannot call (a Unix-socket
          // Backend, say) is left out of the collector; the other backends serve.
          continue;
        }
        throw new Unresolved(r.error() == null ? "unresolved backendRef" : r.error().message());
      }
      settings.add(withCollectorSni(r.setting()));
    }
    if (settings.isEmpty()) {
      throw new Unresolved("no backendRef of " + name + " can be served");
    }
    ClusterSettingsIr cluster;
    try {
      cluster = BackendSettingsTranslator.cluster(holder.get("backendSettings"), "backendSettings");
    } catch (PolicyException e) {
      throw new Unresolved(e.getMessage());
    }
    return new RouteDestinationIr(name, settings, 0).withCluster(cluster);
  }

  /**
   * A collector's TLS names its host: Envoy's gRPC and HTTP clients for telemetry send no request
   * host it could take the SNI from, so a Backend TLS without an SNI of its own sends the host name
   * of the collector's first endpoint, and the certificate is checked against it, as Envoy Gateway
   * does. A collector known only by its IP address is left as it is.
   */
  private static DestinationSettingIr withCollectorSni(DestinationSettingIr s) {
    if (s.tls() == null || s.tls().sni() != null || s.tls().autoHostSni()) {
      return s;
    }
    for (EndpointIr e : s.endpoints()) {
      if (!e.unix() && !IpLiteral.is(e.host())) {
        return new DestinationSettingIr(
            s.name(),
            s.weight(),
            s.protocol(),
            s.addressType(),
            s.endpoints(),
            s.tls().withSni(e.host()),
            s.requestHeaders(),
            s.responseHeaders());
      }
    }
    return s;
  }

  /** A DNS name: labels of letters, digits and hyphens, at most 253 characters in all. */
  private static final java.util.regex.Pattern DNS_NAME =
      java.util.regex.Pattern.compile(
          "(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
              + "(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\\.?");

  /**
   * The deprecated {@code host} and {@code port} of a sink, as a destination; null when unset or
   * when the host is neither an IP address nor a DNS name.
   */
  private static RouteDestinationIr hostPort(String name, JsonNode holder, String protocol) {
    String host = Nodes.text(holder, "host");
    Integer port = Nodes.integer(holder, "port");
    if (host == null || host.isEmpty() || port == null || port <= 0) {
      return null;
    }
    if (!IpLiteral.is(host) && !DNS_NAME.matcher(host).matches()) {
      // Not a host Envoy can resolve (nor one an EnvoyProxy the API server admits would hold):
      // like a reference that does not resolve, so the sink is left out.
      return null;
    }
    String addressType = IpLiteral.is(host) ? "IP" : "FQDN";
    return new RouteDestinationIr(
        name,
        List.of(
            new DestinationSettingIr(
                name + "/backend/-1",
                1,
                protocol,
                addressType,
                List.of(new EndpointIr(host, port)),
                null)));
  }

  /**
   * The gRPC authority of a collector, Envoy Gateway's way: the TLS SNI, else the first endpoint's
   * host name, else the referenced Service ({@code name.namespace.svc}) or Backend ({@code
   * name.namespace}); null when only an IP is known.
   */
  private static String authority(RouteDestinationIr dest, JsonNode holder, String defaultNs) {
    DestinationSettingIr s = dest.settings().get(0);
    if (s.tls() != null && s.tls().sni() != null && !s.tls().sni().isEmpty()) {
      return s.tls().sni();
    }
    if (!s.endpoints().isEmpty() && !IpLiteral.is(s.endpoints().get(0).host())) {
      return s.endpoints().get(0).host();
    }
    JsonNode ref = EnvoyProxyValidator.normalizedRef(Nodes.list(holder, "backendRefs").get(0));
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", defaultNs);
    return "Backend".equals(Nodes.text(ref, "kind")) ? name + "." + ns : name + "." + ns + ".svc";
  }

  private static List<String> texts(JsonNode holder, String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : Nodes.list(holder, field)) {
      out.add(v.asText());
    }
    return out;
  }
}
