package io.eg4j.model.ir.security;

import java.util.List;

/**
 * OpenID Connect login (Envoy's oauth2 filter).
 *
 * @param clientId the OAuth client ID
 * @param clientSecret the OAuth client secret; secret material
 * @param hmacSecret the key that signs the filter's cookies; secret material
 * @param authorizationEndpoint where users are sent to log in
 * @param tokenEndpoint where the code is exchanged for tokens
 * @param redirectUrl the callback URL
 * @param scopes requested scopes
 */
public record OidcIr(
    String clientId,
    String clientSecret,
    String hmacSecret,
    String authorizationEndpoint,
    String tokenEndpoint,
    String redirectUrl,
    List<String> scopes) {
  public OidcIr {
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
  }

  @Override
  public String toString() {
    return "OidcIr[clientId=" + clientId + ", tokenEndpoint=" + tokenEndpoint + "]";
  }
}
