package io.eg4j.model.ir.security;

import io.eg4j.model.ir.HttpRouteIr.CorsIr;
import io.eg4j.model.ir.IrValidation;

/**
 * The SecurityPolicy in effect on one route, after target precedence (route rule over route over
 * listener over Gateway) and merging ({@code mergeType}). Each feature is its own record and is
 * null when the policy does not set it. The xds-server gives each feature one HTTP filter class.
 *
 * <p>Only an enforceable policy becomes a {@code SecurityIr}: a policy with an invalid or
 * unsupported field is {@code Accepted=False} and its routes answer 500 instead (DESIGN.md
 * invariant 9).
 *
 * @param policy the policy's stable id, {@code securitypolicy/<namespace>/<name>}; filters that
 *     Envoy needs once per policy (oauth2, ext_authz, basic_auth) are named after it
 * @param cors cross-origin resource sharing
 * @param basicAuth HTTP basic authentication
 * @param apiKeyAuth API key authentication
 * @param jwt JWT authentication
 * @param oidc OpenID Connect (Envoy's oauth2 filter)
 * @param extAuth external authorization (HTTP or gRPC)
 * @param authorization allow and deny rules (Envoy's RBAC filter)
 * @param csrf cross-site request forgery protection
 */
public record SecurityIr(
    String policy,
    CorsIr cors,
    BasicAuthIr basicAuth,
    ApiKeyAuthIr apiKeyAuth,
    JwtIr jwt,
    OidcIr oidc,
    ExtAuthIr extAuth,
    AuthorizationIr authorization,
    CsrfIr csrf) {
  public SecurityIr {
    IrValidation.requireName(policy, "security policy");
  }

  /**
   * This (route-level) policy merged over a broader one ({@code mergeType}), feature by feature as
   * Envoy Gateway merges them: each feature this policy sets replaces the broader policy's, the
   * others come from the broader policy. Each policy was translated in its own namespace, so its
   * references resolved where it wrote them. The merged policy keeps this policy's id.
   */
  public SecurityIr mergedOver(SecurityIr broader) {
    return new SecurityIr(
        policy,
        cors != null ? cors : broader.cors,
        basicAuth != null ? basicAuth : broader.basicAuth,
        apiKeyAuth != null ? apiKeyAuth : broader.apiKeyAuth,
        jwt != null ? jwt : broader.jwt,
        oidc != null ? oidc : broader.oidc,
        extAuth != null ? extAuth : broader.extAuth,
        authorization != null ? authorization : broader.authorization,
        csrf != null ? csrf : broader.csrf);
  }

  /**
   * This policy with other authorization rules (the same rules with the Gateway's geoIP provider).
   */
  public SecurityIr withAuthorization(AuthorizationIr a) {
    return new SecurityIr(policy, cors, basicAuth, apiKeyAuth, jwt, oidc, extAuth, a, csrf);
  }

  /** True when the policy sets no feature at all (it then changes nothing on the route). */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isEmpty() {
    return cors == null
        && basicAuth == null
        && apiKeyAuth == null
        && jwt == null
        && oidc == null
        && extAuth == null
        && authorization == null
        && csrf == null;
  }

  /**
   * Every upstream the policy calls besides the route's own backends (the external authorization
   * service, remote JWKS and OIDC provider endpoints). The xds-server builds a cluster for each;
   * the translator's endpoint fast path translates in full when one of them changes.
   */
  public java.util.List<io.eg4j.model.ir.RouteDestinationIr> destinations() {
    java.util.List<io.eg4j.model.ir.RouteDestinationIr> out = new java.util.ArrayList<>();
    if (extAuth != null && extAuth.destination() != null) {
      out.add(extAuth.destination());
    }
    if (oidc != null) {
      out.add(oidc.tokenCluster());
    }
    if (jwt != null) {
      for (JwtIr.JwtProviderIr p : jwt.providers()) {
        if (p.jwksCluster() != null) {
          out.add(p.jwksCluster());
        }
      }
    }
    return out;
  }

  /** The policy name as a filter-name suffix: {@code securitypolicy/<namespace>/<name>}. */
  @Override
  public String toString() {
    return "SecurityIr[" + policy + "]";
  }
}
