package io.eg4j.model.ir.security;

import java.util.List;

/**
 * JWT authentication (Envoy's jwt_authn filter): a request must carry a token that one of the
 * providers accepts, unless the policy makes it optional.
 *
 * @param providers the providers, any of which may accept the token
 * @param optional true to let requests without a token through (a bad token is still refused)
 */
public record JwtIr(List<JwtProviderIr> providers, boolean optional) {
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
   */
  public record JwtProviderIr(String name, String issuer, List<String> audiences) {
    public JwtProviderIr {
      audiences = audiences == null ? List.of() : List.copyOf(audiences);
    }
  }
}
