package io.eg4j.model.ir.traffic;

import io.eg4j.model.ir.IrValidation;

/**
 * The ClientTrafficPolicy in effect on one listener (a listener section policy over the Gateway's):
 * how Envoy treats downstream connections and requests (TLS, keepalive, client IP detection,
 * headers, timeouts, HTTP/1, HTTP/2, HTTP/3 …). Each feature is its own record in this package,
 * null when the policy does not set it.
 *
 * @param policy the policy's stable id, {@code clienttrafficpolicy/<namespace>/<name>}
 */
public record ClientTrafficIr(String policy) {
  public ClientTrafficIr {
    IrValidation.requireName(policy, "client traffic policy");
  }
}
