package io.eg4j.model.ir.security;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import java.util.List;

/**
 * OpenID Connect login (Envoy's oauth2 filter): a request without a valid session cookie is
 * redirected to the provider; the callback exchanges the code for tokens at the token endpoint and
 * sets the session cookies, signed with the HMAC secret.
 *
 * @param clientId the OAuth client ID
 * @param clientSecret the OAuth client secret; secret material, served to Envoy over SDS
 * @param hmacSecret the key that signs the filter's cookies (the control plane's own, generated
 *     once); secret material, served over SDS
 * @param authorizationEndpoint where users are sent to log in
 * @param tokenEndpoint where the code is exchanged for tokens
 * @param tokenCluster the upstream of the token endpoint
 * @param redirectUrl the callback URL
 * @param redirectPath the callback URL's path, which the filter intercepts
 * @param logoutPath the path that clears the session
 * @param scopes requested scopes ({@code openid} first)
 * @param resources requested resource indicators
 * @param forwardAccessToken true to forward the access token to the backend as a bearer token
 * @param refreshToken true to refresh expired access tokens with the refresh token
 * @param defaultTokenTtl the access token lifetime when the provider gives none, or null
 * @param defaultRefreshTokenTtl the refresh token lifetime when the provider gives none, or null
 * @param cookieDomain the session cookies' domain, or null for the request host
 * @param cookieSuffix appended to the default cookie names, unique per policy
 * @param accessTokenCookie the access token cookie's name, or null for the default
 * @param idTokenCookie the ID token cookie's name, or null for the default
 * @param passThroughAuthHeader true to let requests with an Authorization header through (the
 *     backend checks the token)
 * @param denyRedirectHeaders requests with these headers get 401 instead of a redirect (header name
 *     to exact value; an empty value means present)
 * @param cookieSameSite the SameSite attribute of every OIDC cookie ({@code Lax}, {@code Strict} or
 *     {@code None}), or null to set none
 */
public record OidcIr(
    @io.eg4j.model.bus.SecretMaterial String clientId,
    @io.eg4j.model.bus.SecretMaterial String clientSecret,
    @io.eg4j.model.bus.SecretMaterial String hmacSecret,
    String authorizationEndpoint,
    String tokenEndpoint,
    RouteDestinationIr tokenCluster,
    String redirectUrl,
    String redirectPath,
    String logoutPath,
    List<String> scopes,
    List<String> resources,
    boolean forwardAccessToken,
    boolean refreshToken,
    DurationIr defaultTokenTtl,
    DurationIr defaultRefreshTokenTtl,
    String cookieDomain,
    String cookieSuffix,
    String accessTokenCookie,
    String idTokenCookie,
    boolean passThroughAuthHeader,
    List<io.eg4j.model.ir.HttpRouteIr.StringMatchIr> denyRedirectHeaders,
    PolicyRetryIr tokenRetry,
    String cookieSameSite,
    DurationIr csrfTokenTtl,
    String forwardIdTokenHeader,
    boolean disableTokenEncryption) {
  public OidcIr {
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
    resources = resources == null ? List.of() : List.copyOf(resources);
    denyRedirectHeaders =
        denyRedirectHeaders == null ? List.of() : List.copyOf(denyRedirectHeaders);
    if (clientId == null || clientSecret == null || hmacSecret == null || tokenCluster == null) {
      throw new IllegalArgumentException(
          "OIDC needs a client, its secret, an HMAC key and a token endpoint");
    }
  }

  @Override
  public String toString() {
    return "OidcIr[clientId=" + clientId + ", tokenEndpoint=" + tokenEndpoint + "]";
  }
}
