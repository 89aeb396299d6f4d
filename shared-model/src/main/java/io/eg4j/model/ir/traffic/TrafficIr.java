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
 */
public record TrafficIr(
    String policy, io.eg4j.model.ir.ClusterSettingsIr cluster, java.util.List<HashIr> hash) {
  /**
   * One input of the consistent hash.
   *
   * @param type {@code SourceIP}, {@code Header}, {@code Cookie} or {@code QueryParameter}
   * @param name the header, cookie or query parameter name; null for SourceIP
   * @param ttl for Cookie, the lifetime of the cookie Envoy sets when the request has none, or null
   */
  public record HashIr(String type, String name, io.eg4j.model.ir.DurationIr ttl) {}

  public TrafficIr {
    IrValidation.requireName(policy, "backend traffic policy");
    hash = hash == null ? java.util.List.of() : java.util.List.copyOf(hash);
  }
}
