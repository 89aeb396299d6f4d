package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.security.AuthorizationIr;
import io.eg4j.model.ir.security.AuthorizationIr.ClaimIr;
import io.eg4j.model.ir.security.AuthorizationIr.GeoLocationIr;
import io.eg4j.model.ir.security.AuthorizationIr.HeaderIr;
import io.eg4j.model.ir.security.AuthorizationIr.JwtPrincipalIr;
import io.eg4j.model.ir.security.AuthorizationIr.RuleIr;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * SecurityPolicy {@code authorization}: ordered allow and deny rules by client CIDR, request
 * headers, JWT claims and scopes (of a provider of the same policy) and HTTP methods, for Envoy's
 * RBAC filter. The default action is Deny, as in Envoy Gateway.
 */
final class AuthorizationTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "authorization",
          "authorization.defaultAction",
          "authorization.rules[].name",
          "authorization.rules[].action",
          "authorization.rules[].principal.clientCIDRs[]",
          "authorization.rules[].principal.headers[].name",
          "authorization.rules[].principal.headers[].values[]",
          "authorization.rules[].principal.jwt.provider",
          "authorization.rules[].principal.jwt.scopes[]",
          "authorization.rules[].principal.jwt.claims[].name",
          "authorization.rules[].principal.jwt.claims[].valueType",
          "authorization.rules[].principal.jwt.claims[].values[]",
          "authorization.rules[].operation.methods[]",
          "authorization.rules[].principal.clientIPGeoLocations[].country",
          "authorization.rules[].principal.clientIPGeoLocations[].region",
          "authorization.rules[].principal.clientIPGeoLocations[].city",
          "authorization.rules[].principal.clientIPGeoLocations[].asn",
          "authorization.rules[].principal.clientIPGeoLocations[].isp",
          "authorization.rules[].principal.clientIPGeoLocations[].anonymous.isAnonymous",
          "authorization.rules[].principal.clientIPGeoLocations[].anonymous.isVPN",
          "authorization.rules[].principal.clientIPGeoLocations[].anonymous.isHosting",
          "authorization.rules[].principal.clientIPGeoLocations[].anonymous.isTor",
          "authorization.rules[].principal.clientIPGeoLocations[].anonymous.isProxy");

  private static final Pattern CIDR =
      Pattern.compile("^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-fA-F:]+)/[0-9]{1,3}$");

  private AuthorizationTranslator() {}

  static AuthorizationIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    if (spec.getAuthorization() == null) {
      return null;
    }
    JsonNode a = Json.MAPPER.valueToTree(spec.getAuthorization());
    String policyId =
        "securitypolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    List<String> jwtProviders = new ArrayList<>();
    if (spec.getJwt() != null && spec.getJwt().getProviders() != null) {
      spec.getJwt().getProviders().forEach(p -> jwtProviders.add(p.getName()));
    }
    List<RuleIr> rules = new ArrayList<>();
    JsonNode list = a.path("rules");
    for (int i = 0; i < list.size(); i++) {
      JsonNode r = list.get(i);
      String where = "spec.authorization.rules[" + i + "]";
      String action = r.path("action").asText("");
      if (!action.equals("Allow") && !action.equals("Deny")) {
        throw new PolicyException(where + ".action must be Allow or Deny");
      }
      String name = r.path("name").asText(policyId + "/authorization/rule/" + i);
      if (name.isEmpty() || name.length() > 253) {
        // The CRD's bounds; Envoy's RBAC matcher needs a non-empty action name.
        throw new PolicyException(where + ".name must be 1-253 characters");
      }
      JsonNode principal = r.path("principal");
      List<String> cidrs = new ArrayList<>();
      for (JsonNode c : principal.path("clientCIDRs")) {
        if (!CIDR.matcher(c.asText()).matches()) {
          throw new PolicyException(where + ".principal.clientCIDRs: invalid CIDR " + c.asText());
        }
        cidrs.add(c.asText());
      }
      List<HeaderIr> headers = new ArrayList<>();
      for (JsonNode h : principal.path("headers")) {
        List<String> values = new ArrayList<>();
        h.path("values").forEach(v -> values.add(v.asText()));
        headers.add(new HeaderIr(h.path("name").asText(), values));
      }
      JwtPrincipalIr jwt = null;
      JsonNode j = principal.path("jwt");
      if (j.isObject()) {
        String provider = j.path("provider").asText(null);
        if (provider == null && jwtProviders.size() == 1) {
          provider = jwtProviders.get(0);
        }
        if (provider == null || !jwtProviders.contains(provider)) {
          throw new PolicyException(
              where
                  + ".principal.jwt: the provider must name a JWT provider of this policy"
                  + (provider == null ? "" : " (" + provider + ")"));
        }
        List<ClaimIr> claims = new ArrayList<>();
        for (JsonNode c : j.path("claims")) {
          List<String> values = new ArrayList<>();
          c.path("values").forEach(v -> values.add(v.asText()));
          claims.add(
              new ClaimIr(
                  c.path("name").asText(),
                  "StringArray".equals(c.path("valueType").asText("String")),
                  values));
        }
        List<String> scopes = new ArrayList<>();
        j.path("scopes").forEach(s -> scopes.add(s.asText()));
        jwt = new JwtPrincipalIr(policyId + "/" + provider, claims, scopes);
      }
      List<String> methods = new ArrayList<>();
      r.path("operation").path("methods").forEach(m -> methods.add(m.asText()));
      List<GeoLocationIr> geo = new ArrayList<>();
      for (JsonNode g : principal.path("clientIPGeoLocations")) {
        geo.add(geoLocation(g, where));
      }
      if (cidrs.isEmpty()
          && headers.isEmpty()
          && jwt == null
          && methods.isEmpty()
          && geo.isEmpty()) {
        throw new PolicyException(where + " must set a principal or an operation");
      }
      rules.add(new RuleIr(name, action, cidrs, headers, jwt, methods, geo));
    }
    // The geolocation provider is the Gateway's (its EnvoyProxy): set per Gateway when applied.
    return new AuthorizationIr(a.path("defaultAction").asText("Deny"), rules, null);
  }

  private static GeoLocationIr geoLocation(JsonNode g, String where) throws PolicyException {
    JsonNode anon = g.path("anonymous");
    GeoLocationIr out =
        new GeoLocationIr(
            text(g, "country"),
            text(g, "region"),
            text(g, "city"),
            g.path("asn").canConvertToInt() ? g.path("asn").asInt() : null,
            text(g, "isp"),
            flag(anon, "isAnonymous"),
            flag(anon, "isVPN"),
            flag(anon, "isHosting"),
            flag(anon, "isTor"),
            flag(anon, "isProxy"));
    if (out.equals(new GeoLocationIr(null, null, null, null, null, null, null, null, null, null))) {
      throw new PolicyException(
          where
              + ".principal.clientIPGeoLocations: each location must set country, region, city,"
              + " asn, isp or anonymous");
    }
    return out;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
  }

  private static Boolean flag(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isBoolean() ? v.asBoolean() : null;
  }
}
