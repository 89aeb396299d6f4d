package io.eg4j.model.ir;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The EnvoyProxy {@code spec.telemetry} of one xDS IR: where Envoy sends its access logs and
 * traces. Upstreams the sinks call are destinations, served as one cluster each like a filter's
 * upstream.
 *
 * @param accessLogs the access logs of every listener and connection manager; null means Envoy
 *     Gateway's default (one JSON line per request on standard output), an empty list means access
 *     logging is disabled
 * @param tracing the tracing provider of every HTTP connection manager, or null for none
 * @param metrics the stats Envoy keeps for the IR's virtual hosts and clusters, or null for Envoy
 *     Gateway's defaults (none of the optional stats)
 * @param requestIdTracing {@code spec.telemetry.requestID.tracing}: how the UUID request ID
 *     extension of every HTTP connection manager packs the trace decision and samples by request ID
 *     ({@code PackAndSample}, {@code Sample}, {@code Pack}, {@code Disable}), or null for Envoy's
 *     default (no extension configured)
 */
public record TelemetryIr(
    List<AccessLogIr> accessLogs,
    TracingIr tracing,
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        MetricsIr metrics,
    @com.fasterxml.jackson.annotation.JsonInclude(
            com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        String requestIdTracing) {
  public TelemetryIr {
    // null and empty differ (default vs disabled): keep null as it is.
    accessLogs = accessLogs == null ? null : List.copyOf(accessLogs);
    if (requestIdTracing != null
        && !List.of("PackAndSample", "Sample", "Pack", "Disable").contains(requestIdTracing)) {
      throw new IllegalArgumentException("unknown request ID tracing " + requestIdTracing);
    }
  }

  /** Access logs and tracing, with Envoy Gateway's default stats and Envoy's request IDs. */
  public TelemetryIr(List<AccessLogIr> accessLogs, TracingIr tracing) {
    this(accessLogs, tracing, null, null);
  }

  /** This telemetry with other stats settings. */
  public TelemetryIr withMetrics(MetricsIr newMetrics) {
    return new TelemetryIr(accessLogs, tracing, newMetrics, requestIdTracing);
  }

  /**
   * The optional stats of the EnvoyProxy {@code spec.telemetry.metrics} that live in the xDS
   * configuration (the Prometheus endpoint, the stats matcher and the metrics sinks live in the
   * bootstrap, which the provisioner renders).
   *
   * @param virtualHostStats {@code enableVirtualHostStats}: one virtual cluster per virtual host,
   *     so Envoy keeps {@code vhost.<host>.vcluster.<host>.*} stats
   * @param perEndpointStats {@code enablePerEndpointStats}: per-endpoint stats on every cluster
   * @param requestResponseSizes {@code enableRequestResponseSizesStats}: request and response size
   *     histograms on every cluster
   */
  public record MetricsIr(
      boolean virtualHostStats, boolean perEndpointStats, boolean requestResponseSizes) {
    /** True when no optional stat is switched on. */
    public boolean isDefault() {
      return !virtualHostStats && !perEndpointStats && !requestResponseSizes;
    }
  }

  /** The name of the tracing collector's cluster (Envoy Gateway's). */
  public static final String TRACING_CLUSTER = "tracing";

  /**
   * True for the name of a telemetry collector's cluster: {@code tracing}, {@code
   * accesslog_als_I_J}, {@code accesslog_otel_I_J} (setting I, sink J) or {@code metrics_otel_I},
   * as Envoy Gateway names them (EnvoyPatchPolicies written for it name these clusters).
   */
  public static boolean isCollector(String clusterName) {
    return clusterName.equals(TRACING_CLUSTER)
        || clusterName.matches("accesslog_(als|otel)_[0-9]+_[0-9]+|metrics_otel_[0-9]+");
  }

  /** The upstreams the sinks call, each served as one cluster named after it. */
  public List<RouteDestinationIr> destinations() {
    List<RouteDestinationIr> out = new java.util.ArrayList<>();
    if (accessLogs != null) {
      for (AccessLogIr a : accessLogs) {
        if (a.grpc() != null) {
          out.add(a.grpc().destination());
        }
      }
    }
    if (tracing != null) {
      out.add(tracing.destination());
    }
    return out;
  }

  /**
   * One access log sink with its format and filter.
   *
   * @param sink {@code File}, {@code HttpGrpc} (ALS of type HTTP), {@code TcpGrpc} (ALS of type
   *     TCP) or {@code OpenTelemetry}
   * @param logType {@code Route} (connection managers and TCP proxies only), {@code Listener}
   *     (connections no filter chain took only), or null for both
   * @param matches CEL expressions; a request is logged only when all are true; empty for all
   * @param text the text format (command operators), or null
   * @param json the JSON format's fields (name to command operator), sorted; null or empty with a
   *     null {@code text} means Envoy Gateway's default JSON format
   * @param path the file path of a {@code File} sink, else null
   * @param grpc the collector of a gRPC sink, else null
   */
  public record AccessLogIr(
      String sink,
      String logType,
      List<String> matches,
      String text,
      Map<String, String> json,
      String path,
      GrpcSinkIr grpc) {
    public AccessLogIr {
      Objects.requireNonNull(sink, "access log sink");
      matches = XdsIr.copy(matches);
      json = json == null ? null : new TreeMap<>(json);
      if (sink.equals("File")) {
        IrValidation.requireName(path, "access log file path");
      } else if (grpc == null) {
        throw new IllegalArgumentException("access log sink " + sink + " needs a collector");
      }
    }
  }

  /**
   * A gRPC collector of access logs (ALS or OpenTelemetry).
   *
   * @param destination its upstream, served as one HTTP/2 cluster named after it
   * @param authority the {@code :authority} of the gRPC calls, or null for Envoy's default
   * @param logName the log name (ALS) or null
   * @param requestHeaders request headers an HTTP ALS sink logs
   * @param responseHeaders response headers an HTTP ALS sink logs
   * @param responseTrailers response trailers an HTTP ALS sink logs
   * @param resourceAttributes OpenTelemetry resource attributes, sorted
   */
  public record GrpcSinkIr(
      RouteDestinationIr destination,
      String authority,
      String logName,
      List<String> requestHeaders,
      List<String> responseHeaders,
      List<String> responseTrailers,
      Map<String, String> resourceAttributes) {
    public GrpcSinkIr {
      Objects.requireNonNull(destination, "collector");
      requestHeaders = XdsIr.copy(requestHeaders);
      responseHeaders = XdsIr.copy(responseHeaders);
      responseTrailers = XdsIr.copy(responseTrailers);
      resourceAttributes =
          resourceAttributes == null ? Map.of() : new TreeMap<>(resourceAttributes);
    }
  }

  /**
   * The tracing provider.
   *
   * @param provider {@code OpenTelemetry}, {@code Zipkin} or {@code Datadog}
   * @param destination the collector, served as one cluster named after it
   * @param authority the {@code :authority} of OpenTelemetry's gRPC calls, or null
   * @param serviceName the service name spans carry
   * @param samplingRate the share of requests traced, in percent (0 to 100)
   * @param customTags tags added to every span, sorted by tag
   * @param traceId128Bit Zipkin: 128-bit trace ids
   * @param sharedSpanContext Zipkin: client and server spans share one span context
   * @param spanName the names of the spans, or null for the tracer's (a route's
   *     BackendTrafficPolicy names its own)
   */
  public record TracingIr(
      String provider,
      RouteDestinationIr destination,
      String authority,
      String serviceName,
      double samplingRate,
      List<CustomTagIr> customTags,
      boolean traceId128Bit,
      boolean sharedSpanContext,
      io.eg4j.model.ir.traffic.TrafficIr.SpanNameIr spanName) {
    public TracingIr {
      IrValidation.requireName(provider, "tracing provider");
      Objects.requireNonNull(destination, "tracing collector");
      if (samplingRate < 0 || samplingRate > 100) {
        throw new IllegalArgumentException("tracing sampling rate out of 0..100: " + samplingRate);
      }
      customTags = XdsIr.sorted(customTags, java.util.Comparator.comparing(CustomTagIr::tag));
    }
  }

  /**
   * One custom span tag.
   *
   * @param tag the tag name
   * @param type {@code Literal}, {@code Environment} or {@code RequestHeader}
   * @param value the literal value, the environment variable or the header name
   * @param defaultValue the value when the variable or header is missing, or null
   */
  public record CustomTagIr(String tag, String type, String value, String defaultValue) {
    public CustomTagIr {
      IrValidation.requireName(tag, "tag");
      IrValidation.requireName(type, "tag type");
      Objects.requireNonNull(value, "tag value");
    }
  }
}
