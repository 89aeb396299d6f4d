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
 */
public record TrafficIr(String policy, io.eg4j.model.ir.ClusterSettingsIr cluster) {
  public TrafficIr {
    IrValidation.requireName(policy, "backend traffic policy");
  }
}
