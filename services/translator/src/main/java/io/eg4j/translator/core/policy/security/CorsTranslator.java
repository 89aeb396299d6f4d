package io.eg4j.translator.core.policy.security;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.HttpRouteIr.CorsIr;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.Cors;
import java.util.List;

/** SecurityPolicy {@code cors}: the CORS filter's per-route policy. */
final class CorsTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "cors.allowOrigins[]",
          "cors.allowMethods[]",
          "cors.allowHeaders[]",
          "cors.exposeHeaders[]",
          "cors.maxAge",
          "cors.allowCredentials");

  private CorsTranslator() {}

  static CorsIr translate(SecurityPolicySpec spec) throws PolicyException {
    Cors c = spec.getCors();
    if (c == null) {
      return null;
    }
    Long maxAge = null;
    if (c.getMaxAge() != null) {
      try {
        maxAge = DurationIr.parse(c.getMaxAge()).millis() / 1000;
      } catch (IllegalArgumentException e) {
        throw new PolicyException("spec.cors.maxAge: invalid duration " + c.getMaxAge());
      }
    }
    return new CorsIr(
        c.getAllowOrigins(),
        c.getAllowMethods(),
        c.getAllowHeaders(),
        c.getExposeHeaders(),
        maxAge,
        Boolean.TRUE.equals(c.getAllowCredentials()));
  }
}
