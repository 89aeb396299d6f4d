package io.eg4j.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * {@code rateLimit.telemetry} of the EnvoyGateway configuration: the global rate limit service's
 * Prometheus endpoint and its OpenTelemetry traces, read as Envoy Gateway reads them.
 *
 * <p>Prometheus is on unless {@code metrics.prometheus.disable} is true (Envoy Gateway's default);
 * tracing is on when {@code tracing.provider.url} is set. The service's own statsd output stays off
 * ({@code USE_STATSD=false}), as Envoy Gateway runs it: its API has no statsd sink for the service.
 *
 * @param prometheus the service serves Prometheus metrics
 * @param tracingEndpoint the OTLP collector the service sends spans to ({@code http://} added when
 *     the URL has no scheme, as Envoy Gateway does), or null when tracing is off
 * @param samplingRate {@code tracing.samplingRate}, a percentage (0 to 100, default 100)
 */
public record RateLimitTelemetry(boolean prometheus, String tracingEndpoint, int samplingRate) {
  /** The port Envoy Gateway's rate limit pods serve Prometheus metrics on. */
  public static final int PROMETHEUS_PORT = 19001;

  /** What Envoy Gateway runs with no {@code telemetry}: Prometheus on, no traces. */
  public static final RateLimitTelemetry DEFAULTS = new RateLimitTelemetry(true, null, 100);

  private static final Set<String> TELEMETRY = Set.of("metrics", "tracing");
  private static final Set<String> METRICS = Set.of("prometheus");
  private static final Set<String> PROMETHEUS = Set.of("disable");
  private static final Set<String> TRACING = Set.of("samplingRate", "provider");
  private static final Set<String> PROVIDER = Set.of("type", "url");

  /**
   * The telemetry of a {@code rateLimit} section.
   *
   * @throws IllegalArgumentException naming the field, for a field Envoy Gateway's API does not
   *     have or a value it cannot take
   */
  public static RateLimitTelemetry from(JsonNode rateLimit) {
    JsonNode t = rateLimit == null ? null : rateLimit.get("telemetry");
    if (t == null || t.isNull()) {
      return DEFAULTS;
    }
    String at = "rateLimit.telemetry";
    object(t, at, TELEMETRY);
    boolean prometheus = true;
    JsonNode metrics = t.get("metrics");
    if (metrics != null && !metrics.isNull()) {
      object(metrics, at + ".metrics", METRICS);
      JsonNode prom = metrics.get("prometheus");
      if (prom != null && !prom.isNull()) {
        object(prom, at + ".metrics.prometheus", PROMETHEUS);
        JsonNode disable = prom.get("disable");
        if (disable != null && !disable.isNull()) {
          if (!disable.isBoolean()) {
            throw invalid(at + ".metrics.prometheus.disable", "must be true or false", disable);
          }
          prometheus = !disable.asBoolean();
        }
      }
    }
    String endpoint = null;
    int rate = 100;
    JsonNode tracing = t.get("tracing");
    if (tracing != null && !tracing.isNull()) {
      object(tracing, at + ".tracing", TRACING);
      JsonNode sr = tracing.get("samplingRate");
      if (sr != null && !sr.isNull()) {
        if (!sr.canConvertToInt() || !sr.isIntegralNumber() || sr.asInt() < 0 || sr.asInt() > 100) {
          throw invalid(at + ".tracing.samplingRate", "must be an integer from 0 to 100", sr);
        }
        rate = sr.asInt();
      }
      JsonNode provider = tracing.get("provider");
      if (provider == null || provider.isNull()) {
        throw new IllegalArgumentException(
            at + ".tracing.provider is required: the OpenTelemetry collector's url");
      }
      object(provider, at + ".tracing.provider", PROVIDER);
      JsonNode type = provider.get("type");
      if (type != null && !type.isNull() && !"OpenTelemetry".equals(type.asText())) {
        throw invalid(
            at + ".tracing.provider.type",
            "must be OpenTelemetry (the only exporter the rate limit service has)",
            type);
      }
      JsonNode url = provider.get("url");
      if (url == null || !url.isTextual() || url.asText().isBlank()) {
        throw new IllegalArgumentException(
            at + ".tracing.provider.url is required: the OTLP collector's address");
      }
      String u = url.asText().trim();
      endpoint = u.startsWith("http://") ? u : "http://" + u;
    }
    return new RateLimitTelemetry(prometheus, endpoint, rate);
  }

  /** True when the service sends traces. */
  public boolean tracing() {
    return tracingEndpoint != null;
  }

  /**
   * The service's {@code TRACING_SAMPLING_RATE}: the percentage as a fraction with one decimal, as
   * Envoy Gateway writes it (100 is {@code 1.0}, 25 is {@code 0.2}: to the nearest, ties to even).
   */
  public String samplingFraction() {
    return new BigDecimal(samplingRate / 100.0).setScale(1, RoundingMode.HALF_EVEN).toPlainString();
  }

  /**
   * The statsd-exporter mapping the service turns its stats into Prometheus metrics with ({@code
   * PROMETHEUS_MAPPER_YAML}): one metric per rate limit statistic, labelled by domain and
   * descriptor keys, plus the gRPC call and configuration load counters; the rest is dropped.
   */
  public static String prometheusMapping() {
    try (InputStream in =
        RateLimitTelemetry.class.getResourceAsStream("ratelimit-prometheus-mapping.yaml")) {
      if (in == null) {
        throw new IllegalStateException(
            "ratelimit-prometheus-mapping.yaml is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void object(JsonNode n, String at, Set<String> fields) {
    if (!n.isObject()) {
      throw new IllegalArgumentException(at + " must be an object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.contains(f)) {
        throw new IllegalArgumentException(
            at
                + "."
                + f
                + " is not a field of Envoy Gateway's rate limit telemetry (allowed: "
                + String.join(", ", fields.stream().sorted().toList())
                + ")");
      }
    }
  }

  private static IllegalArgumentException invalid(String at, String why, JsonNode value) {
    return new IllegalArgumentException(at + " " + why + ", not " + value);
  }
}
