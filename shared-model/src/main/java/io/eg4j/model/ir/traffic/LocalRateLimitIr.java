package io.eg4j.model.ir.traffic;

import java.util.List;

/**
 * A local rate limit ({@code rateLimit.local}): each Envoy counts on its own. Requests that match
 * no rule's selectors take the default bucket (the rule without selectors, or no limit); requests
 * that match a rule's selectors also take that rule's bucket.
 *
 * @param defaultBucket the limit of every request, or null for none
 * @param rules the rules with client selectors, in order
 * @param rateLimitHeaders true to send the {@code x-ratelimit-*} headers (draft 03)
 * @param explicitHeaders true when a rule sets {@code xRateLimitHeaders} itself, which wins over
 *     the listener's ClientTrafficPolicy
 */
public record LocalRateLimitIr(
    TokenBucketIr defaultBucket,
    List<RuleIr> rules,
    boolean rateLimitHeaders,
    boolean explicitHeaders) {
  public LocalRateLimitIr {
    rules = rules == null ? List.of() : List.copyOf(rules);
  }

  /**
   * This limit on a listener whose ClientTrafficPolicy leaves out the {@code x-ratelimit-*}
   * headers: off unless a rule asks for them.
   */
  public LocalRateLimitIr withListenerHeadersOff() {
    return explicitHeaders ? this : new LocalRateLimitIr(defaultBucket, rules, false, false);
  }

  /** True when a rule's bucket is shared by the policy's routes. */
  public boolean hasShared() {
    return rules.stream().anyMatch(RuleIr::shared);
  }

  /** True when a rule counts each header value or client address apart (a wildcard descriptor). */
  public boolean hasDistinct() {
    return rules.stream()
        .anyMatch(r -> r.matches().stream().anyMatch(m -> "Distinct".equals(m.type())));
  }

  /**
   * A number of requests per interval.
   *
   * @param requests requests allowed per interval
   * @param intervalSeconds the interval
   */
  public record TokenBucketIr(long requests, long intervalSeconds) {}

  /**
   * A rule: the requests that match every selector share its bucket.
   *
   * @param matches the selectors, all of which must match
   * @param bucket its limit
   * @param shadowMode true to count and report, never refuse
   * @param requestCost the tokens a request takes from the bucket, or null for 1
   * @param shared true when every route of the policy on a listener takes from one bucket
   */
  public record RuleIr(
      List<MatchIr> matches,
      TokenBucketIr bucket,
      boolean shadowMode,
      GlobalRateLimitIr.CostIr requestCost,
      boolean shared) {
    public RuleIr {
      matches = List.copyOf(matches);
    }

    /** A rule of the route's own. */
    public RuleIr(
        List<MatchIr> matches,
        TokenBucketIr bucket,
        boolean shadowMode,
        GlobalRateLimitIr.CostIr requestCost) {
      this(matches, bucket, shadowMode, requestCost, false);
    }

    /** A rule whose requests take one token each. */
    public RuleIr(List<MatchIr> matches, TokenBucketIr bucket, boolean shadowMode) {
      this(matches, bucket, shadowMode, null);
    }
  }

  /**
   * One selector.
   *
   * @param on {@code Header}, {@code Method}, {@code Path}, {@code QueryParam} or {@code
   *     SourceCIDR}
   * @param name the header or query parameter name; null otherwise
   * @param type {@code Exact}, {@code PathPrefix} or {@code RegularExpression}; {@code Distinct}
   *     (Header, QueryParam and SourceCIDR) for a bucket per header value, query parameter value or
   *     client address
   * @param value the value (for SourceCIDR, the CIDR; for Method, a regular expression of methods);
   *     null for a Distinct header
   * @param invert true to select the requests that do not match
   */
  public record MatchIr(String on, String name, String type, String value, boolean invert) {}
}
