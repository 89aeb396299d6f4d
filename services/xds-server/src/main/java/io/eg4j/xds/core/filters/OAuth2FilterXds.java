package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.OidcIr;
import io.eg4j.model.ir.security.SecurityIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.OAuth2;
import io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.OAuth2Config;
import io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.OAuth2Credentials;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.GenericSecret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * OpenID Connect: one oauth2 filter per SecurityPolicy, disabled on the listener and enabled on the
 * policy's routes. The client secret and the HMAC key reach Envoy over SDS, never inline in the
 * listener.
 */
final class OAuth2FilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.oauth2";

  @Override
  public String type() {
    return TYPE;
  }

  static String filterName(SecurityIr s) {
    return TYPE + "/" + s.policy();
  }

  static String clientSecretName(SecurityIr s) {
    return "oauth2/client_secret/" + s.policy();
  }

  static String hmacSecretName(SecurityIr s) {
    return "oauth2/hmac_secret/" + s.policy();
  }

  private static Map<String, SecurityIr> policies(List<HttpRouteIr> routes) {
    Map<String, SecurityIr> out = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.security() != null && r.security().oidc() != null) {
        out.putIfAbsent(filterName(r.security()), r.security());
      }
    }
    return out;
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    policies(routes)
        .forEach(
            (name, s) ->
                filters.add(
                    HttpFilter.newBuilder()
                        .setName(name)
                        .setTypedConfig(typedConfig(s))
                        .setDisabled(true)
                        .build()));
  }

  /**
   * The filter's config. The CSRF token lifetime, ID token forwarding and token encryption switch
   * are fields newer than the protos eg4j builds with: with any of them the config travels as a
   * TypedStruct, which Envoy reads with its own descriptors.
   */
  static com.google.protobuf.Any typedConfig(SecurityIr s) {
    OAuth2 filter = OAuth2.newBuilder().setConfig(config(s)).build();
    OidcIr o = s.oidc();
    if (o.csrfTokenTtl() == null
        && o.forwardIdTokenHeader() == null
        && !o.disableTokenEncryption()) {
      return any(filter);
    }
    return Protos.anyWithFields(
        filter,
        json -> {
          var c = (com.fasterxml.jackson.databind.node.ObjectNode) json.get("config");
          if (o.csrfTokenTtl() != null) {
            c.put("csrf_token_expires_in", (o.csrfTokenTtl().millis() / 1000.0) + "s");
          }
          if (o.forwardIdTokenHeader() != null) {
            c.putObject("forward_id_token").put("header", o.forwardIdTokenHeader());
          }
          if (o.disableTokenEncryption()) {
            c.put("disable_token_encryption", true);
          }
        });
  }

  static OAuth2Config config(SecurityIr s) {
    OidcIr o = s.oidc();
    String cluster = FilterResources.policyServiceCluster(o.tokenCluster());
    String sfx = "-" + o.cookieSuffix();
    OAuth2Credentials.CookieNames.Builder cookies =
        OAuth2Credentials.CookieNames.newBuilder()
            .setBearerToken(
                o.accessTokenCookie() != null ? o.accessTokenCookie() : "AccessToken" + sfx)
            .setIdToken(o.idTokenCookie() != null ? o.idTokenCookie() : "IdToken" + sfx)
            .setOauthHmac("OauthHMAC" + sfx)
            .setOauthExpires("OauthExpires" + sfx)
            .setRefreshToken("RefreshToken" + sfx)
            .setOauthNonce("OauthNonce" + sfx);
    OAuth2Credentials.Builder creds =
        OAuth2Credentials.newBuilder()
            .setClientId(o.clientId())
            .setTokenSecret(sds(clientSecretName(s)))
            .setHmacSecret(sds(hmacSecretName(s)))
            .setCookieNames(cookies);
    if (o.cookieDomain() != null) {
      creds.setCookieDomain(o.cookieDomain());
    }
    OAuth2Config.Builder c =
        OAuth2Config.newBuilder()
            .setTokenEndpoint(
                HttpUri.newBuilder()
                    .setUri(o.tokenEndpoint())
                    .setCluster(cluster)
                    .setTimeout(PolicyRetries.requestTimeout(o.tokenCluster())))
            .setAuthorizationEndpoint(o.authorizationEndpoint())
            .setCredentials(creds)
            .setRedirectUri(o.redirectUrl())
            .setRedirectPathMatcher(exactPath(o.redirectPath()))
            .setSignoutPath(exactPath(o.logoutPath()))
            .setForwardBearerToken(o.forwardAccessToken())
            .addAllAuthScopes(o.scopes())
            .addAllResources(o.resources())
            .setAuthType(OAuth2Config.AuthType.BASIC_AUTH)
            .setUseRefreshToken(com.google.protobuf.BoolValue.of(o.refreshToken()))
            .setStatPrefix(s.policy());
    if (o.tokenRetry() != null) {
      c.setRetryPolicy(PolicyRetries.of(o.tokenRetry()));
    }
    if (o.cookieSameSite() != null) {
      // The same SameSite attribute on every cookie the filter sets.
      var cfg =
          io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.CookieConfig.newBuilder()
              .setSameSite(
                  switch (o.cookieSameSite()) {
                    case "Strict" ->
                        io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.CookieConfig.SameSite
                            .STRICT;
                    case "None" ->
                        io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.CookieConfig.SameSite
                            .NONE;
                    default ->
                        io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.CookieConfig.SameSite
                            .LAX;
                  })
              .build();
      c.setCookieConfigs(
          io.envoyproxy.envoy.extensions.filters.http.oauth2.v3.CookieConfigs.newBuilder()
              .setBearerTokenCookieConfig(cfg)
              .setOauthHmacCookieConfig(cfg)
              .setOauthExpiresCookieConfig(cfg)
              .setIdTokenCookieConfig(cfg)
              .setRefreshTokenCookieConfig(cfg)
              .setOauthNonceCookieConfig(cfg)
              .setCodeVerifierCookieConfig(cfg));
    }
    if (o.defaultTokenTtl() != null) {
      c.setDefaultExpiresIn(Protos.millis(o.defaultTokenTtl().millis()));
    }
    if (o.defaultRefreshTokenTtl() != null) {
      c.setDefaultRefreshTokenExpiresIn(Protos.millis(o.defaultRefreshTokenTtl().millis()));
    }
    if (o.passThroughAuthHeader()) {
      c.addPassThroughMatcher(
          HeaderMatcher.newBuilder().setName("authorization").setPresentMatch(true));
    }
    for (io.eg4j.model.ir.HttpRouteIr.StringMatchIr h : o.denyRedirectHeaders()) {
      StringMatcher.Builder m = StringMatcher.newBuilder();
      switch (h.type()) {
        case "Prefix" -> m.setPrefix(h.value());
        case "Suffix" -> m.setSuffix(h.value());
        case "RegularExpression" ->
            m.setSafeRegex(
                io.envoyproxy.envoy.type.matcher.v3.RegexMatcher.newBuilder().setRegex(h.value()));
        default -> m.setExact(h.value());
      }
      c.addDenyRedirectMatcher(HeaderMatcher.newBuilder().setName(h.name()).setStringMatch(m));
    }
    return c.build();
  }

  private static PathMatcher exactPath(String path) {
    return PathMatcher.newBuilder().setPath(StringMatcher.newBuilder().setExact(path)).build();
  }

  private static SdsSecretConfig sds(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(Protos.ads()).build();
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.security() == null || ir.security().oidc() == null) {
      return;
    }
    // A per-route FilterConfig turns the listener's (disabled) filter on for this route.
    route.putTypedPerFilterConfig(
        filterName(ir.security()),
        any(
            FilterConfig.newBuilder()
                .setConfig(com.google.protobuf.Any.getDefaultInstance())
                .build()));
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    policies(routes)
        .values()
        .forEach(
            s -> {
              out.addPolicyService(s.oidc().tokenCluster());
              out.addSecret(generic(clientSecretName(s), s.oidc().clientSecret()));
              out.addSecret(generic(hmacSecretName(s), s.oidc().hmacSecret()));
            });
  }

  private static Secret generic(String name, String value) {
    return Secret.newBuilder()
        .setName(name)
        .setGenericSecret(
            GenericSecret.newBuilder().setSecret(DataSource.newBuilder().setInlineString(value)))
        .build();
  }
}
