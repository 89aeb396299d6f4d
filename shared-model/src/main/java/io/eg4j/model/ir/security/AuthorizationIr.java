package io.eg4j.model.ir.security;

import java.util.List;

/**
 * Authorization rules (Envoy's RBAC filter, matcher form): the first rule that matches decides;
 * when none does, the default action applies.
 *
 * @param defaultAction {@code Allow} or {@code Deny}
 * @param rules the rules, in order
 * @param geoIp the Gateway's IP geolocation provider, set when a rule matches geolocations (the
 *     translator sets it per Gateway, from the Gateway's EnvoyProxy); null otherwise
 */
public record AuthorizationIr(String defaultAction, List<RuleIr> rules, GeoIpIr geoIp) {
  public AuthorizationIr {
    rules = rules == null ? List.of() : List.copyOf(rules);
    if (!"Allow".equals(defaultAction) && !"Deny".equals(defaultAction)) {
      throw new IllegalArgumentException("authorization default action must be Allow or Deny");
    }
  }

  /** True when a rule matches client geolocations (the geoip filter must run first). */
  public boolean usesGeoIp() {
    return rules.stream().anyMatch(r -> !r.geoLocations().isEmpty());
  }

  /** These rules with the Gateway's geolocation provider. */
  public AuthorizationIr withGeoIp(GeoIpIr provider) {
    return new AuthorizationIr(defaultAction, rules, provider);
  }

  /**
   * One rule: every condition it sets must hold for it to match.
   *
   * @param name the rule name (Envoy's action name, seen in stats and logs)
   * @param action {@code Allow} or {@code Deny}
   * @param clientCidrs client address ranges, any of which matches; empty for any client
   * @param headers request headers, each with the values any of which matches
   * @param jwt JWT claims and scopes, or null
   * @param methods HTTP methods, any of which matches; empty for any
   * @param geoLocations client geolocations, any of which matches; empty for any
   */
  public record RuleIr(
      String name,
      String action,
      List<String> clientCidrs,
      List<HeaderIr> headers,
      JwtPrincipalIr jwt,
      List<String> methods,
      List<GeoLocationIr> geoLocations) {
    public RuleIr {
      geoLocations = geoLocations == null ? List.of() : List.copyOf(geoLocations);
      clientCidrs = clientCidrs == null ? List.of() : List.copyOf(clientCidrs);
      headers = headers == null ? List.of() : List.copyOf(headers);
      methods = methods == null ? List.of() : List.copyOf(methods);
    }
  }

  /**
   * A header condition.
   *
   * @param name header name
   * @param values accepted values (exact)
   */
  public record HeaderIr(String name, List<String> values) {
    public HeaderIr {
      values = values == null ? List.of() : List.copyOf(values);
    }
  }

  /**
   * JWT conditions, read from the payload the jwt_authn filter verified.
   *
   * @param metadataKey where jwt_authn put the provider's payload (the provider's filter name)
   * @param claims claims, all of which must match
   * @param scopes scopes, all of which the token's {@code scope} or {@code scp} must hold
   */
  public record JwtPrincipalIr(String metadataKey, List<ClaimIr> claims, List<String> scopes) {
    public JwtPrincipalIr {
      claims = claims == null ? List.of() : List.copyOf(claims);
      scopes = scopes == null ? List.of() : List.copyOf(scopes);
    }
  }

  /**
   * A claim condition.
   *
   * @param name claim name, nested claims with dots
   * @param list true when the claim is a list of strings (StringArray)
   * @param values accepted values, any of which matches
   */
  public record ClaimIr(String name, boolean list, List<String> values) {
    public ClaimIr {
      values = values == null ? List.of() : List.copyOf(values);
    }
  }

  /**
   * A client geolocation: every field set must match what the geoip filter found for the client
   * address (names compare case-insensitively); a field not set matches anything.
   *
   * @param country ISO 3166-1 alpha-2 country code, or null
   * @param region ISO 3166-2 subdivision code, or null
   * @param city city name (English), or null
   * @param asn autonomous system number, or null
   * @param isp ISP name, or null
   * @param anonymous whether the address is anonymous (any kind), or null
   * @param vpn whether it is a VPN exit, or null
   * @param hosting whether it belongs to a hosting provider, or null
   * @param tor whether it is a Tor exit node, or null
   * @param proxy whether it is a public proxy, or null
   */
  public record GeoLocationIr(
      String country,
      String region,
      String city,
      Integer asn,
      String isp,
      Boolean anonymous,
      Boolean vpn,
      Boolean hosting,
      Boolean tor,
      Boolean proxy) {}
}
