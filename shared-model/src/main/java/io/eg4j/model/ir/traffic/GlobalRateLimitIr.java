package io.eg4j.model.ir.traffic;

import java.util.List;

/**
 * A global rate limit ({@code rateLimit.global}): Envoy asks the rate limit service (envoyproxy/
 * ratelimit, counting in Redis) about each request's descriptors, so every proxy shares the same
 * counters. Each rule is one Envoy {@code rate_limits} entry, whose descriptor starts with the
 * route (or, for a shared rule, the policy) and continues with the rule's selectors; the service
 * holds the same descriptors with their limits.
 *
 * @param domain the rate limit domain of the route's own rules: the IR name of the listener the
 *     route is on (set when the policy is applied to a route), or null before that
 * @param policyNamespace the policy's namespace
 * @param policyName the policy's name
 * @param rules the rules, in order
 * @param service where the rate limit service is and how Envoy calls it
 * @param listenerHeadersOff true when the listener's ClientTrafficPolicy leaves out the {@code
 *     x-ratelimit-*} headers (sent by default, draft 03); a rule's own {@code rateLimitHeaders}
 *     wins
 */
public record GlobalRateLimitIr(
    String domain,
    String policyNamespace,
    String policyName,
    List<RuleIr> rules,
    ServiceIr service,
    boolean listenerHeadersOff) {
  public GlobalRateLimitIr {
    rules = List.copyOf(rules);
  }

  /** This limit on a route of the listener {@code listenerName}. */
  public GlobalRateLimitIr withDomain(String listenerName) {
    return new GlobalRateLimitIr(
        listenerName, policyNamespace, policyName, rules, service, listenerHeadersOff);
  }

  /** This limit on a listener whose ClientTrafficPolicy leaves out the x-ratelimit-* headers. */
  public GlobalRateLimitIr withListenerHeadersOff() {
    return new GlobalRateLimitIr(domain, policyNamespace, policyName, rules, service, true);
  }

  /** The domain of the shared rules: one per policy, whatever the listener. */
  public String sharedDomain() {
    return policyNamespace + "/" + policyName;
  }

  /**
   * The rate limit service.
   *
   * @param host its host name or IP address
   * @param port its gRPC port
   * @param failClosed true to refuse requests when the service cannot answer
   * @param timeoutMillis how long Envoy waits for its answer, or null for Envoy's default
   * @param tls mutual TLS to the service, or null for plaintext
   */
  public record ServiceIr(
      String host, int port, boolean failClosed, Long timeoutMillis, TlsFilesIr tls) {}

  /**
   * Mutual TLS from the proxy to the rate limit service.
   *
   * @param caFile the CA file on the proxy that the service's certificate must chain to
   * @param certFile the proxy's certificate chain, a file on the proxy (when no {@code
   *     clientCertificate})
   * @param keyFile the proxy's private key, a file on the proxy (when no {@code clientCertificate})
   * @param clientCertificate the proxy's certificate, served over SDS under its name ({@code
   *     <controller-namespace>/envoy}, as Envoy Gateway serves it), or null for the files
   */
  public record TlsFilesIr(
      String caFile,
      String certFile,
      String keyFile,
      io.eg4j.model.ir.TlsIr.CertificateIr clientCertificate) {
    /** The proxy's certificate and key from files on the proxy. */
    public TlsFilesIr(String caFile, String certFile, String keyFile) {
      this(caFile, certFile, keyFile, null);
    }
  }

  /**
   * One rule.
   *
   * @param headers the header selectors, in order
   * @param methods the methods selected (one {@code :method} match), or empty
   * @param methodsInvert true to select the requests whose method is not one of {@code methods}
   * @param path the {@code :path} selector, or null
   * @param cidr the client address selector, or null
   * @param requests requests allowed per unit
   * @param unit {@code Second}, {@code Minute}, {@code Hour}, {@code Day}, {@code Month} or {@code
   *     Year}
   * @param shadowMode true to count and report, never refuse
   * @param shared true when every route of the policy shares the rule's counter
   * @param requestCost what a request adds to the counter, or null for 1
   * @param responseCost what a response adds to the counter when the stream ends, or null for
   *     nothing
   * @param limitFromMetadata the dynamic metadata (namespace and key) whose number, when a request
   *     has it, replaces {@code requests} (per {@code unit}), or null
   * @param rateLimitHeaders {@code Off} or {@code DraftVersion03} to override the listener's {@code
   *     x-ratelimit-*} headers for this rule, or null
   * @param queryParams the query parameter selectors, in order
   */
  public record RuleIr(
      List<HeaderMatchIr> headers,
      List<String> methods,
      boolean methodsInvert,
      PathMatchIr path,
      CidrIr cidr,
      long requests,
      String unit,
      boolean shadowMode,
      boolean shared,
      CostIr requestCost,
      CostIr responseCost,
      CostIr limitFromMetadata,
      String rateLimitHeaders,
      List<HeaderMatchIr> queryParams) {
    public RuleIr {
      headers = List.copyOf(headers);
      methods = List.copyOf(methods);
      queryParams = queryParams == null ? List.of() : List.copyOf(queryParams);
    }

    /** A rule without query parameter selectors. */
    public RuleIr(
        List<HeaderMatchIr> headers,
        List<String> methods,
        boolean methodsInvert,
        PathMatchIr path,
        CidrIr cidr,
        long requests,
        String unit,
        boolean shadowMode,
        boolean shared,
        CostIr requestCost,
        CostIr responseCost,
        CostIr limitFromMetadata,
        String rateLimitHeaders) {
      this(
          headers,
          methods,
          methodsInvert,
          path,
          cidr,
          requests,
          unit,
          shadowMode,
          shared,
          requestCost,
          responseCost,
          limitFromMetadata,
          rateLimitHeaders,
          List.of());
    }

    /** True when the rule selects requests by something (otherwise it counts every request). */
    public boolean hasMatch() {
      return !headers.isEmpty()
          || !methods.isEmpty()
          || path != null
          || cidr != null
          || !queryParams.isEmpty();
    }
  }

  /**
   * A header selector, or a query parameter selector ({@code queryParams}).
   *
   * @param name the header (or query parameter) name
   * @param type {@code Exact}, {@code RegularExpression} or {@code Distinct} (one counter per
   *     value)
   * @param value the value or regular expression (null for Distinct)
   * @param invert true to select the requests that do not match
   */
  public record HeaderMatchIr(String name, String type, String value, boolean invert) {}

  /**
   * A path selector.
   *
   * @param type {@code Exact}, {@code PathPrefix} or {@code RegularExpression}
   * @param value the path, prefix or regular expression
   * @param invert true to select the requests that do not match
   */
  public record PathMatchIr(String type, String value, boolean invert) {}

  /**
   * A client address selector.
   *
   * @param address the network address, such as {@code 192.168.0.0}
   * @param prefixLength the prefix length
   * @param distinct true for one counter per client address, false for one for the whole range
   * @param invert true to select the clients outside the range
   */
  public record CidrIr(String address, int prefixLength, boolean distinct, boolean invert) {
    /** A range that selects the clients inside it. */
    public CidrIr(String address, int prefixLength, boolean distinct) {
      this(address, prefixLength, distinct, false);
    }

    /** The range as {@code address/prefix}. */
    public String cidr() {
      return address + "/" + prefixLength;
    }
  }

  /**
   * What a request or response adds to a counter.
   *
   * @param number a fixed number, or null
   * @param metadataNamespace with {@code metadataKey}, the dynamic metadata that holds the number,
   *     or null
   * @param metadataKey the key in that namespace
   */
  public record CostIr(Long number, String metadataNamespace, String metadataKey) {}
}
