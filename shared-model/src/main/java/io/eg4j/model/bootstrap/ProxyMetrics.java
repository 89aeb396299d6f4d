package io.eg4j.model.bootstrap;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The part of the EnvoyProxy {@code spec.telemetry.metrics} that lives in Envoy's bootstrap: the
 * Prometheus endpoint (a stats listener serving {@code /stats/prometheus}, on by default), the
 * stats matcher ({@code matches}) and the OpenTelemetry stats sinks ({@code sinks}). The stats that
 * live in the xDS configuration (virtual host, per-endpoint and size stats, cluster stat names) are
 * the translator's.
 *
 * @param statsAddress the address the stats listener binds ({@code 0.0.0.0} in a pod)
 * @param statsPort the port of the stats listener (Envoy Gateway's 19001 in a pod)
 * @param prometheus false when {@code prometheus.disable} is set: no stats listener
 * @param compression {@code Gzip}, {@code Brotli} or {@code Zstd} to compress the Prometheus
 *     responses ({@code prometheus.compression.type}), or null
 * @param minContentLength the smallest response compressed, in bytes, or null for Envoy's default
 * @param matches the stats Envoy keeps ({@code matches}); empty for all
 * @param sinks the OpenTelemetry collectors Envoy pushes its stats to, without duplicates
 */
public record ProxyMetrics(
    String statsAddress,
    int statsPort,
    boolean prometheus,
    String compression,
    Long minContentLength,
    List<StatsMatch> matches,
    List<OtelSink> sinks) {

  /** Envoy Gateway's stats port in a pod. */
  public static final int DEFAULT_STATS_PORT = 19001;

  /** The path Prometheus scrapes. */
  public static final String PROMETHEUS_PATH = "/stats/prometheus";

  public ProxyMetrics {
    Objects.requireNonNull(statsAddress, "statsAddress");
    if (statsPort < 1 || statsPort > 65535) {
      throw new IllegalArgumentException("statsPort out of range: " + statsPort);
    }
    matches = matches == null ? List.of() : List.copyOf(matches);
    sinks = sinks == null ? List.of() : List.copyOf(sinks);
  }

  /** Envoy Gateway's defaults: the Prometheus endpoint only. */
  public static ProxyMetrics defaults(String statsAddress, int statsPort) {
    return new ProxyMetrics(statsAddress, statsPort, true, null, null, List.of(), List.of());
  }

  /**
   * One stats matcher pattern.
   *
   * @param type {@code Exact}, {@code Prefix}, {@code Suffix} or {@code RegularExpression}
   * @param value the string or expression
   */
  public record StatsMatch(String type, String value) {
    public StatsMatch {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(value, "value");
    }
  }

  /**
   * One OpenTelemetry collector of Envoy's stats.
   *
   * @param host its host name or IP address
   * @param port its OTLP gRPC port
   * @param countersAsDeltas report counters as deltas ({@code reportCountersAsDeltas})
   * @param histogramsAsDeltas report histograms as deltas ({@code reportHistogramsAsDeltas})
   * @param headers gRPC metadata sent with each export ({@code headers}), name to value, in order
   */
  public record OtelSink(
      String host,
      int port,
      boolean countersAsDeltas,
      boolean histogramsAsDeltas,
      List<java.util.Map.Entry<String, String>> headers) {
    public OtelSink {
      Objects.requireNonNull(host, "host");
      headers = headers == null ? List.of() : List.copyOf(headers);
    }
  }

  /**
   * Reads the bootstrap part of an EnvoyProxy {@code spec.telemetry.metrics}.
   *
   * <p>A sink's collector is its {@code host} and {@code port}, or its first backendRef: a Service
   * is reached by its cluster DNS name {@code <name>.<namespace>.svc}, as Envoy Gateway renders it.
   * A backendRef of another kind (a Backend) names no address the bootstrap can hold, so that sink
   * is left out; {@link #unsupportedSinks} says which.
   *
   * @param metrics the {@code metrics} object, or null / missing for the defaults
   * @param defaultNamespace the namespace of a backendRef that names none (the EnvoyProxy's)
   * @param statsAddress the address the stats listener binds
   * @param statsPort the port of the stats listener
   */
  public static ProxyMetrics fromSpec(
      JsonNode metrics, String defaultNamespace, String statsAddress, int statsPort) {
    if (metrics == null || !metrics.isObject()) {
      return defaults(statsAddress, statsPort);
    }
    JsonNode prom = metrics.path("prometheus");
    boolean prometheus = !prom.path("disable").asBoolean(false);
    JsonNode comp = prom.path("compression");
    String compression = comp.isObject() ? text(comp, "type") : null;
    Long minLength = comp.isObject() ? quantity(comp.path("minContentLength")) : null;
    List<StatsMatch> matches = new ArrayList<>();
    for (JsonNode m : metrics.path("matches")) {
      String value = text(m, "value");
      if (value != null) {
        String type = text(m, "type");
        matches.add(new StatsMatch(type == null ? "Exact" : type, value));
      }
    }
    List<OtelSink> sinks = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (JsonNode s : metrics.path("sinks")) {
      JsonNode otel = s.path("openTelemetry");
      if (!"OpenTelemetry".equals(text(s, "type")) || !otel.isObject()) {
        continue;
      }
      String host = text(otel, "host");
      int port = otel.path("port").asInt(4317);
      JsonNode ref = otel.path("backendRefs").path(0);
      if (ref.isObject()) {
        if (!isService(ref) || !ref.path("port").canConvertToInt()) {
          continue;
        }
        String ns = text(ref, "namespace");
        host = text(ref, "name") + "." + (ns == null ? defaultNamespace : ns) + ".svc";
        port = ref.path("port").asInt();
      }
      if (host == null || port < 1 || port > 65535 || !seen.add(host + ":" + port)) {
        continue;
      }
      List<java.util.Map.Entry<String, String>> headers = new ArrayList<>();
      for (JsonNode h : otel.path("headers")) {
        if (text(h, "name") != null) {
          headers.add(java.util.Map.entry(text(h, "name"), h.path("value").asText("")));
        }
      }
      sinks.add(
          new OtelSink(
              host,
              port,
              otel.path("reportCountersAsDeltas").asBoolean(false),
              otel.path("reportHistogramsAsDeltas").asBoolean(false),
              headers));
    }
    return new ProxyMetrics(
        statsAddress, statsPort, prometheus, compression, minLength, matches, sinks);
  }

  /**
   * The OpenTelemetry sinks of {@code metrics} that the bootstrap cannot hold (a backendRef that is
   * not a Service, or one without a port), as messages; empty when every sink is served.
   */
  public static List<String> unsupportedSinks(JsonNode metrics) {
    List<String> out = new ArrayList<>();
    if (metrics == null) {
      return out;
    }
    int i = 0;
    for (JsonNode s : metrics.path("sinks")) {
      JsonNode ref = s.path("openTelemetry").path("backendRefs").path(0);
      if (ref.isObject() && (!isService(ref) || !ref.path("port").canConvertToInt())) {
        out.add(
            "metrics sink "
                + i
                + ": backendRef "
                + text(ref, "name")
                + " is not a Service with a port; only Service collectors reach the bootstrap");
      }
      i++;
    }
    return out;
  }

  private static boolean isService(JsonNode ref) {
    String kind = text(ref, "kind");
    String group = text(ref, "group");
    return (kind == null || kind.equals("Service")) && (group == null || group.isEmpty());
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
  }

  /** A Kubernetes quantity of bytes (an integer, or a string with a binary or decimal suffix). */
  static Long quantity(JsonNode v) {
    if (v == null || v.isMissingNode() || v.isNull()) {
      return null;
    }
    if (v.canConvertToLong()) {
      return v.asLong();
    }
    String s = v.asText().trim();
    String[][] suffixes = {
      {"Ki", "1024"},
      {"Mi", "1048576"},
      {"Gi", "1073741824"},
      {"k", "1000"},
      {"M", "1000000"},
      {"G", "1000000000"}
    };
    for (String[] suf : suffixes) {
      if (s.endsWith(suf[0])) {
        try {
          return Long.parseLong(s.substring(0, s.length() - suf[0].length()))
              * Long.parseLong(suf[1]);
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
