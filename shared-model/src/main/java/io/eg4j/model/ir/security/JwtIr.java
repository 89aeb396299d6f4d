package io.eg4j.model.ir.security;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import java.util.List;

/**
 * JWT authentication (Envoy's jwt_authn filter): a request must carry a token that one of the
 * providers accepts, unless the policy makes it optional.
 *
 * @param providers the providers, any of which may accept the token
 * @param optional true to let requests without a token through (a bad token is still refused)
 * @param failOpen true to let requests through whose token is missing or invalid (the claims of a
 *     valid token are still copied)
 */
public record JwtIr(List<JwtProviderIr> providers, boolean optional, boolean failOpen) {
  public JwtIr {
    providers = providers == null ? List.of() : List.copyOf(providers);
    if (providers.isEmpty()) {
      throw new IllegalArgumentException("JWT needs at least one provider");
    }
  }

  /**
   * One JWT provider.
   *
   * @param name the provider name, unique within the policy
   * @param issuer the required {@code iss}, or null for any
   * @param audiences accepted {@code aud} values; empty for any
   * @param remoteUri the URI the JWKS is fetched from, or null for a local JWKS
   * @param jwksCluster the upstream of the remote JWKS (the URI's host and port, or the policy's
   *     backendRefs), or null for a local JWKS
   * @param cacheDuration how long a fetched JWKS is kept, or null for Envoy's default
   * @param localJwks the JWKS itself (JSON), or null for a remote one
   * @param claimToHeaders claims copied into request headers
   * @param recomputeRoute true to pick the route again after the claims were copied
   * @param fromHeaders headers the token is taken from (with an optional value prefix); empty for
   *     the Authorization bearer header and the access_token query parameter (Envoy's default)
   * @param fromParams query parameters the token is taken from
   * @param fromCookies cookies the token is taken from
   * @param jwksRetry retries of the remote JWKS fetch, or null
   * @param failedRefetch how soon a failed JWKS fetch is tried again, or null for Envoy's default
   */
  public record JwtProviderIr(
      String name,
      String issuer,
      List<String> audiences,
      String remoteUri,
      RouteDestinationIr jwksCluster,
      DurationIr cacheDuration,
      String localJwks,
      List<ClaimToHeaderIr> claimToHeaders,
      boolean recomputeRoute,
      List<TokenHeaderIr> fromHeaders,
      List<String> fromParams,
      List<String> fromCookies,
      PolicyRetryIr jwksRetry,
      io.eg4j.model.ir.DurationIr failedRefetch) {
    public JwtProviderIr {
      audiences = audiences == null ? List.of() : List.copyOf(audiences);
      claimToHeaders = claimToHeaders == null ? List.of() : List.copyOf(claimToHeaders);
      fromHeaders = fromHeaders == null ? List.of() : List.copyOf(fromHeaders);
      fromParams = fromParams == null ? List.of() : List.copyOf(fromParams);
      fromCookies = fromCookies == null ? List.of() : List.copyOf(fromCookies);
      if ((remoteUri == null) == (localJwks == null)) {
        throw new IllegalArgumentException(
            "JWT provider " + name + " needs exactly one of a remote and a local JWKS");
      }
    }
  }

  /**
   * A claim copied into a request header.
   *
   * @param claim the claim (nested claims with dots)
   * @param header the header name
   */
  public record ClaimToHeaderIr(String claim, String header) {}

  /**
   * A header a token is read from.
   *
   * @param name header name
   * @param valuePrefix prefix stripped before the token (for example {@code Bearer }), or null
   */
  public record TokenHeaderIr(String name, String valuePrefix) {}
}
