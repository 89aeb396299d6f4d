package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.security.OidcIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.OidcDiscovery;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.Oidc;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * SecurityPolicy {@code oidc}: Envoy's oauth2 filter. The provider's authorization and token
 * endpoints must be given (issuer discovery is not done, so a policy that names only an issuer is
 * not enforced and says so); the token endpoint is reached through a cluster to its host and port
 * (TLS with the system trust store for https) or the provider's backendRefs. The client secret
 * comes from the referenced Secret ({@code client-secret}), the client ID from the spec or a Secret
 * ({@code client-id}); the cookies are signed with the control plane's HMAC secret ({@code
 * envoy-oidc-hmac} in the controller namespace, key {@code hmac-secret}).
 */
final class OidcTranslator {
  static final String HMAC_SECRET = io.eg4j.model.k8s.ControllerSecrets.OIDC_HMAC;

  static final List<String> SUPPORTED =
      BackendSettingsTranslator.withSupported(
          "oidc.provider",
          List.of(
              "oidc.provider.issuer",
              "oidc.provider.authorizationEndpoint",
              "oidc.provider.tokenEndpoint",
              "oidc.provider.backendRef.group",
              "oidc.provider.backendRef.kind",
              "oidc.provider.backendRef.name",
              "oidc.provider.backendRef.namespace",
              "oidc.provider.backendRef.port",
              "oidc.provider.backendRefs[].group",
              "oidc.provider.backendRefs[].kind",
              "oidc.provider.backendRefs[].name",
              "oidc.provider.backendRefs[].namespace",
              "oidc.provider.backendRefs[].port",
              "oidc.provider.backendRefs[].weight",
              "oidc.clientID",
              "oidc.clientIDRef.group",
              "oidc.clientIDRef.kind",
              "oidc.clientIDRef.name",
              "oidc.clientIDRef.namespace",
              "oidc.clientSecret.group",
              "oidc.clientSecret.kind",
              "oidc.clientSecret.name",
              "oidc.clientSecret.namespace",
              "oidc.redirectURL",
              "oidc.logoutPath",
              "oidc.scopes[]",
              "oidc.resources[]",
              "oidc.forwardAccessToken",
              "oidc.refreshToken",
              "oidc.defaultTokenTTL",
              "oidc.defaultRefreshTokenTTL",
              "oidc.cookieDomain",
              "oidc.cookieConfig.sameSite",
              "oidc.csrfTokenTTL",
              "oidc.forwardIDToken.header",
              "oidc.disableTokenEncryption",
              "oidc.cookieNames.accessToken",
              "oidc.cookieNames.idToken",
              "oidc.passThroughAuthHeader",
              "oidc.denyRedirect.headers[].name",
              "oidc.denyRedirect.headers[].type",
              "oidc.denyRedirect.headers[].value"));

  private OidcTranslator() {}

  static OidcIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    Oidc o = spec.getOidc();
    if (o == null) {
      return null;
    }
    String policyId =
        "securitypolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    if (o.getProvider() == null) {
      throw new PolicyException("spec.oidc.provider must be set");
    }
    String authorizationEndpoint = o.getProvider().getAuthorizationEndpoint();
    String discoveredToken = null;
    if (authorizationEndpoint == null || o.getProvider().getTokenEndpoint() == null) {
      // The endpoints not written come from the issuer's discovery document.
      String issuer = o.getProvider().getIssuer();
      if (issuer == null || issuer.isEmpty()) {
        throw new PolicyException(
            "spec.oidc.provider: the issuer is needed to discover the endpoints not set");
      }
      OidcDiscovery.Endpoints found = OidcDiscovery.discover(issuer);
      if (authorizationEndpoint == null) {
        authorizationEndpoint = found.authorizationEndpoint();
      }
      discoveredToken = found.tokenEndpoint();
    }
    String tokenEndpoint =
        o.getProvider().getTokenEndpoint() != null
            ? o.getProvider().getTokenEndpoint()
            : discoveredToken;
    URI token;
    try {
      token = URI.create(tokenEndpoint);
    } catch (IllegalArgumentException e) {
      throw new PolicyException("spec.oidc.provider.tokenEndpoint: invalid URL " + tokenEndpoint);
    }
    String scheme = token.getScheme() == null ? "" : token.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || token.getHost() == null) {
      throw new PolicyException(
          "spec.oidc.provider.tokenEndpoint must be an http or https URL: " + tokenEndpoint);
    }
    JsonNode provider = Json.MAPPER.valueToTree(o.getProvider());
    List<JsonNode> refs = new ArrayList<>();
    if (provider.path("backendRef").isObject()) {
      refs.add(provider.path("backendRef"));
    }
    provider.path("backendRefs").forEach(refs::add);
    RouteDestinationIr cluster;
    if (!refs.isEmpty()) {
      cluster =
          PolicyBackendGroups.of(
              env, policy, policyId + "/oidc", refs, "HTTP", "spec.oidc.provider");
    } else {
      cluster = JwtTranslator.uriCluster(token, scheme);
    }
    cluster =
        cluster.withCluster(
            BackendSettingsTranslator.cluster(
                provider.get("backendSettings"), "spec.oidc.provider.backendSettings"));
    String clientId = o.getClientID();
    if (clientId == null && o.getClientIDRef() != null) {
      clientId =
          env.secret(
                  policy,
                  new ObjectRef(
                      o.getClientIDRef().getGroup(),
                      o.getClientIDRef().getKind(),
                      o.getClientIDRef().getName(),
                      o.getClientIDRef().getNamespace(),
                      null))
              .get("client-id");
    }
    if (clientId == null || clientId.isEmpty()) {
      throw new PolicyException("spec.oidc: clientID or clientIDRef (key client-id) is required");
    }
    if (o.getClientSecret() == null) {
      throw new PolicyException("spec.oidc.clientSecret is required");
    }
    String clientSecret =
        env.secret(
                policy,
                new ObjectRef(
                    o.getClientSecret().getGroup(),
                    o.getClientSecret().getKind(),
                    o.getClientSecret().getName(),
                    o.getClientSecret().getNamespace(),
                    null))
            .get("client-secret");
    if (clientSecret == null) {
      throw new PolicyException(
          "Secret "
              + o.getClientSecret().getName()
              + " has no client-secret key (spec.oidc.clientSecret)");
    }
    Map<String, String> hmac = env.controllerSecret(HMAC_SECRET);
    if (hmac == null || hmac.get("hmac-secret") == null) {
      throw new PolicyException(
          "the OIDC HMAC secret "
              + env.controllerNamespace()
              + "/"
              + HMAC_SECRET
              + " (key hmac-secret) does not exist; the control plane creates it at install");
    }
    String redirectUrl =
        o.getRedirectURL() == null
            ? "%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback"
            : o.getRedirectURL();
    String redirectPath = "/oauth2/callback";
    if (o.getRedirectURL() != null) {
      try {
        String p = URI.create(o.getRedirectURL()).getPath();
        redirectPath = p == null || p.isEmpty() ? "/" : p;
      } catch (IllegalArgumentException e) {
        throw new PolicyException("spec.oidc.redirectURL: invalid URL " + o.getRedirectURL());
      }
    }
    List<String> scopes = new ArrayList<>(List.of("openid"));
    if (o.getScopes() != null) {
      o.getScopes().stream().filter(s -> !scopes.contains(s)).forEach(scopes::add);
    }
    List<io.eg4j.model.ir.HttpRouteIr.StringMatchIr> deny = new ArrayList<>();
    JsonNode dr = Json.MAPPER.valueToTree(o.getDenyRedirect());
    if (dr != null) {
      for (JsonNode h : dr.path("headers")) {
        deny.add(
            new io.eg4j.model.ir.HttpRouteIr.StringMatchIr(
                h.path("name").asText(),
                h.path("type").asText("Exact"),
                h.path("value").asText(""),
                false));
      }
    }
    return new OidcIr(
        clientId,
        clientSecret,
        hmac.get("hmac-secret"),
        authorizationEndpoint,
        tokenEndpoint,
        cluster,
        redirectUrl,
        redirectPath,
        o.getLogoutPath() == null ? "/logout" : o.getLogoutPath(),
        scopes,
        o.getResources(),
        Boolean.TRUE.equals(o.getForwardAccessToken()),
        !Boolean.FALSE.equals(o.getRefreshToken()),
        duration(o.getDefaultTokenTTL(), "defaultTokenTTL"),
        duration(o.getDefaultRefreshTokenTTL(), "defaultRefreshTokenTTL"),
        BasicAuthTranslator.emptyToNull(o.getCookieDomain()),
        suffix(policyId),
        o.getCookieNames() == null ? null : o.getCookieNames().getAccessToken(),
        o.getCookieNames() == null ? null : o.getCookieNames().getIdToken(),
        Boolean.TRUE.equals(o.getPassThroughAuthHeader()),
        deny,
        BackendSettingsTranslator.retry(
            provider.get("backendSettings"), "spec.oidc.provider.backendSettings"),
        o.getCookieConfig() == null || o.getCookieConfig().getSameSite() == null
            ? null
            : o.getCookieConfig().getSameSite().getValue(),
        duration(o.getCsrfTokenTTL(), "csrfTokenTTL"),
        forwardIdToken(o),
        Boolean.TRUE.equals(o.getDisableTokenEncryption()));
  }

  private static String forwardIdToken(io.envoyproxy.gateway.v1alpha1.securitypolicyspec.Oidc o)
      throws PolicyException {
    if (o.getForwardIDToken() == null) {
      return null;
    }
    String h = o.getForwardIDToken().getHeader();
    if (h == null || !h.matches("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$") || h.equalsIgnoreCase("host")) {
      throw new PolicyException("spec.oidc.forwardIDToken.header: not a header name: " + h);
    }
    if (h.equalsIgnoreCase("authorization")) {
      // Envoy writes the ID token as "Bearer <token>" there; the header then has one owner.
      if (Boolean.TRUE.equals(o.getForwardAccessToken())) {
        throw new PolicyException(
            "spec.oidc: forwardAccessToken cannot be true when forwardIDToken.header is"
                + " Authorization");
      }
      if (Boolean.TRUE.equals(o.getPassThroughAuthHeader())) {
        throw new PolicyException(
            "spec.oidc.forwardIDToken.header: the ID token cannot be forwarded in Authorization"
                + " with passThroughAuthHeader, which lets requests with their own Authorization"
                + " header through (Envoy refuses a pass-through on the header it forwards the"
                + " token in)");
      }
    }
    return h;
  }

  private static DurationIr duration(String s, String field) throws PolicyException {
    if (s == null) {
      return null;
    }
    try {
      return DurationIr.parse(s);
    } catch (IllegalArgumentException e) {
      throw new PolicyException("spec.oidc." + field + ": invalid duration " + s);
    }
  }

  /** Eight hex digits of the policy id: two policies on one host never share session cookies. */
  private static String suffix(String policyId) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(policyId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
