package io.eg4j.model.ir.traffic;

import io.eg4j.model.ir.IrValidation;

/**
 * The BackendTrafficPolicy in effect on one route, after target precedence (route rule over route
 * over listener over Gateway) and merging ({@code mergeType}): how Envoy talks to the route's
 * backends (load balancing, timeouts, retries, circuit breaking, health checks …). Each feature is
 * its own record in this package, null when the policy does not set it.
 *
 * <p>Only an enforceable policy becomes a {@code TrafficIr}: a policy that sets a field eg4j does
 * not enforce is {@code Accepted=False} and leaves the route as it is (DESIGN.md invariant 9).
 *
 * @param policy the policy's stable id, {@code backendtrafficpolicy/<namespace>/<name>}
 * @param cluster how Envoy connects to the route's backends (the policy's cluster settings), or
 *     null when it sets none
 * @param hash what a consistent-hash load balancer hashes, in order; empty when it does not hash
 * @param retry how failed requests are retried (unless the route rule sets its own), or null
 * @param routingType {@code Service} to send requests to a Service's cluster IP (kube-proxy picks
 *     the pod), {@code Endpoint} to the pods directly, or null for the EnvoyProxy's choice
 * @param localRateLimit the local rate limit, or null
 * @param globalRateLimit the global rate limit (counted by the rate limit service), or null
 * @param httpUpgrade the upgrade types the route accepts ({@code websocket}, {@code spdy/3.1} …),
 *     or null for Envoy Gateway's default (websocket). With {@code CONNECT} the route matches
 *     CONNECT requests (on any path) instead of its path match
 * @param connectTerminate with a CONNECT upgrade, true when Envoy terminates the CONNECT request
 *     and sends the tunnelled bytes to the backend as a TCP stream, false to forward the CONNECT
 * @param compression the response compressors, the preferred first; empty for none
 * @param fault the fault injected into requests, or null
 * @param requestBufferBytes the size up to which request bodies are buffered before they are sent,
 *     or null for streaming
 * @param requestKbps the request bandwidth limit in KiB per second, or null
 * @param responseKbps the response bandwidth limit in KiB per second, or null
 * @param responseTrailerPrefix the prefix of the trailers the response bandwidth limit adds, or
 *     null
 * @param telemetry the route's stats name and tracing, or null
 * @param responseOverrides responses replaced by local ones or internal redirects, the first that
 *     matches applies; empty for none
 * @param compressionMinContentLength per compressor type, the smallest response (bytes) it
 *     compresses ({@code compression[].minContentLength}); empty for Envoy's default (30)
 */
public record TrafficIr(
    String policy,
    io.eg4j.model.ir.ClusterSettingsIr cluster,
    java.util.List<HashIr> hash,
    RetryIr retry,
    String routingType,
    LocalRateLimitIr localRateLimit,
    GlobalRateLimitIr globalRateLimit,
    java.util.List<String> httpUpgrade,
    boolean connectTerminate,
    java.util.List<String> compression,
    FaultIr fault,
    Long requestBufferBytes,
    Long requestKbps,
    Long responseKbps,
    String responseTrailerPrefix,
    TelemetryIr telemetry,
    java.util.List<ResponseOverrideIr> responseOverrides,
    java.util.Map<String, Long> compressionMinContentLength) {
  /**
   * An override of the responses that match: a local response (Envoy's custom response filter with
   * a local response policy) or, with {@code redirect}, an internal redirect of the request whose
   * response is sent instead (a redirect policy).
   *
   * @param statusCodes the status codes the override applies to; empty when only headers match
   * @param contentType the Content-Type of the local response, or null
   * @param body the local response's body, or null to keep the response's
   * @param statusCode the local response's status, or null to keep the response's
   * @param headers response headers added ({@code add}) or set ({@code set})
   * @param responseHeaders headers of the response that must all match (and one of the status
   *     codes, when there are any); empty: status codes alone
   * @param redirect the internal redirect, or null for a local response
   * @param source {@code Local} (only Envoy's own replies), {@code Backend} (only upstream
   *     responses), or null for both
   */
  public record ResponseOverrideIr(
      java.util.List<Integer> statusCodes,
      String contentType,
      String body,
      Integer statusCode,
      java.util.List<HeaderIr> headers,
      java.util.List<HeaderMatchIr> responseHeaders,
      RedirectIr redirect,
      String source) {
    public ResponseOverrideIr {
      statusCodes = statusCodes == null ? java.util.List.of() : java.util.List.copyOf(statusCodes);
      headers = headers == null ? java.util.List.of() : java.util.List.copyOf(headers);
      responseHeaders =
          responseHeaders == null ? java.util.List.of() : java.util.List.copyOf(responseHeaders);
    }

    /**
     * One header of the local response.
     *
     * @param op {@code add} (appended) or {@code set} (replaces)
     */
    public record HeaderIr(String name, String value, String op) {}

    /**
     * A match on one header of the response.
     *
     * @param type {@code Exact}, {@code Prefix}, {@code Suffix} or {@code RegularExpression}
     */
    public record HeaderMatchIr(String name, String type, String value) {}

    /**
     * Where the request is redirected to internally; a null part keeps the request's.
     *
     * @param scheme {@code http} or {@code https}, or null
     * @param hostname the new host, or null
     * @param port the new port, or null
     * @param path the new full path, or null
     * @param statusCode the status sent with the redirected response (when it is not an error)
     */
    public record RedirectIr(
        String scheme, String hostname, Integer port, String path, int statusCode) {}
  }

  /**
   * Telemetry of the route ({@code spec.telemetry}).
   *
   * @param routeStatName the route's {@code stat_prefix} pattern, or null: {@code %ROUTE_NAME%},
   *     {@code %ROUTE_NAMESPACE%}, {@code %ROUTE_KIND%} and {@code %ROUTE_RULE_NAME%} stand for the
   *     xRoute's name, namespace, kind and rule name ({@code -} for an unnamed rule)
   * @param tracing the route's tracing settings, or null
   */
  public record TelemetryIr(String routeStatName, TracingIr tracing) {
    /** The stats name of a route with this metadata (kind, namespace, name, sectionName). */
    public String statName(java.util.Map<String, String> metadata) {
      if (routeStatName == null) {
        return null;
      }
      return routeStatName
          .replace("%ROUTE_NAME%", metadata.getOrDefault("name", ""))
          .replace("%ROUTE_NAMESPACE%", metadata.getOrDefault("namespace", ""))
          .replace("%ROUTE_KIND%", metadata.getOrDefault("kind", ""))
          .replace("%ROUTE_RULE_NAME%", metadata.getOrDefault("sectionName", "-"));
    }
  }

  /**
   * Tracing of the route's requests, over the proxy's tracing settings.
   *
   * @param samplingNumerator with {@code samplingDenominator}, the share of requests traced, or
   *     null for the proxy's
   * @param samplingDenominator the denominator of the sampling fraction
   * @param tags span tags, in name order
   * @param clientSampling the share of requests traced when the client asks for it ({@code
   *     x-client-trace-id}), or null for Envoy's
   * @param overallSampling the share of requests traced after every other sampling decision, or
   *     null for Envoy's
   * @param spanName the names of the route's spans, or null for the tracer's
   */
  public record TracingIr(
      Integer samplingNumerator,
      Integer samplingDenominator,
      java.util.List<TagIr> tags,
      FractionIr clientSampling,
      FractionIr overallSampling,
      SpanNameIr spanName) {
    public TracingIr {
      tags = tags == null ? java.util.List.of() : java.util.List.copyOf(tags);
    }

    /** Tracing with only the random sampling fraction and tags. */
    public TracingIr(
        Integer samplingNumerator, Integer samplingDenominator, java.util.List<TagIr> tags) {
      this(samplingNumerator, samplingDenominator, tags, null, null, null);
    }
  }

  /**
   * The names of a route's spans (Envoy command operators allowed).
   *
   * @param client the downstream span's name (Envoy's route tracing {@code operation})
   * @param server the upstream span's name (Envoy's route tracing {@code upstream_operation})
   */
  public record SpanNameIr(String client, String server) {}

  /** A fraction of requests: {@code numerator} out of {@code denominator}. */
  public record FractionIr(int numerator, int denominator) {}

  /**
   * One span tag.
   *
   * @param name the tag name
   * @param type {@code Literal}, {@code Environment} or {@code RequestHeader}
   * @param value the literal value, environment variable or request header name
   * @param defaultValue for Environment and RequestHeader, the value when absent, or null
   */
  public record TagIr(String name, String type, String value, String defaultValue) {}

  /**
   * Fault injection.
   *
   * @param httpStatus the status of aborted requests, or null
   * @param grpcStatus the gRPC status of aborted requests, or null
   * @param abortPercent the share of requests aborted, 0 to 100, or null for no abort
   * @param delay the delay added, or null for none
   * @param delayPercent the share of requests delayed, 0 to 100
   */
  public record FaultIr(
      Integer httpStatus,
      Integer grpcStatus,
      Double abortPercent,
      io.eg4j.model.ir.DurationIr delay,
      double delayPercent) {}

  /**
   * Retries.
   *
   * @param numRetries how many times a request is retried
   * @param triggers Envoy retry conditions ({@code 5xx}, {@code reset}, {@code cancelled} …)
   * @param statusCodes response statuses that trigger a retry
   * @param perTryTimeout the timeout of each try, or null
   * @param baseInterval the back-off base interval, or null for Envoy's 25 ms
   * @param maxInterval the back-off cap, or null for ten times the base
   * @param attemptsPerPriority tries before moving to another priority, or null
   */
  public record RetryIr(
      int numRetries,
      java.util.List<String> triggers,
      java.util.List<Integer> statusCodes,
      io.eg4j.model.ir.DurationIr perTryTimeout,
      io.eg4j.model.ir.DurationIr baseInterval,
      io.eg4j.model.ir.DurationIr maxInterval,
      Integer attemptsPerPriority) {
    public RetryIr {
      triggers = triggers == null ? java.util.List.of() : java.util.List.copyOf(triggers);
      statusCodes = statusCodes == null ? java.util.List.of() : java.util.List.copyOf(statusCodes);
    }
  }

  /**
   * One input of the consistent hash.
   *
   * @param type {@code SourceIP}, {@code Header}, {@code Cookie} or {@code QueryParameter}
   * @param name the header, cookie or query parameter name; null for SourceIP
   * @param ttl for Cookie, the lifetime of the cookie Envoy sets when the request has none, or null
   * @param cookieAttributes for Cookie, more attributes of the cookie Envoy sets (name to value,
   *     sorted by name); empty otherwise
   */
  public record HashIr(
      String type,
      String name,
      io.eg4j.model.ir.DurationIr ttl,
      java.util.Map<String, String> cookieAttributes) {
    public HashIr {
      cookieAttributes =
          cookieAttributes == null
              ? java.util.Map.of()
              : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(cookieAttributes));
    }
  }

  /** True when the route accepts CONNECT requests (and matches them instead of its path). */
  public boolean connect() {
    return httpUpgrade != null && httpUpgrade.contains("CONNECT");
  }

  public TrafficIr {
    IrValidation.requireName(policy, "backend traffic policy");
    hash = hash == null ? java.util.List.of() : java.util.List.copyOf(hash);
    httpUpgrade = httpUpgrade == null ? null : java.util.List.copyOf(httpUpgrade);
    compression = compression == null ? java.util.List.of() : java.util.List.copyOf(compression);
    responseOverrides =
        responseOverrides == null ? java.util.List.of() : java.util.List.copyOf(responseOverrides);
    compressionMinContentLength =
        compressionMinContentLength == null
            ? java.util.Map.of()
            : java.util.Map.copyOf(compressionMinContentLength);
  }

  /** These settings with the global rate limit replaced. */
  public TrafficIr withGlobalRateLimit(GlobalRateLimitIr g) {
    return new TrafficIr(
        policy,
        cluster,
        hash,
        retry,
        routingType,
        localRateLimit,
        g,
        httpUpgrade,
        connectTerminate,
        compression,
        fault,
        requestBufferBytes,
        requestKbps,
        responseKbps,
        responseTrailerPrefix,
        telemetry,
        responseOverrides,
        compressionMinContentLength);
  }

  /** These settings with the local rate limit replaced. */
  public TrafficIr withLocalRateLimit(LocalRateLimitIr l) {
    return new TrafficIr(
        policy,
        cluster,
        hash,
        retry,
        routingType,
        l,
        globalRateLimit,
        httpUpgrade,
        connectTerminate,
        compression,
        fault,
        requestBufferBytes,
        requestKbps,
        responseKbps,
        responseTrailerPrefix,
        telemetry,
        responseOverrides,
        compressionMinContentLength);
  }

  /** These settings with the cluster settings replaced. */
  public TrafficIr withCluster(io.eg4j.model.ir.ClusterSettingsIr c) {
    return new TrafficIr(
        policy,
        c,
        hash,
        retry,
        routingType,
        localRateLimit,
        globalRateLimit,
        httpUpgrade,
        connectTerminate,
        compression,
        fault,
        requestBufferBytes,
        requestKbps,
        responseKbps,
        responseTrailerPrefix,
        telemetry,
        responseOverrides,
        compressionMinContentLength);
  }
}
