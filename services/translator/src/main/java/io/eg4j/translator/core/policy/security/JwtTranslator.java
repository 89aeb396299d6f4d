package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.security.JwtIr;
import io.eg4j.model.ir.security.JwtIr.ClaimToHeaderIr;
import io.eg4j.model.ir.security.JwtIr.JwtProviderIr;
import io.eg4j.model.ir.security.JwtIr.TokenHeaderIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.UriClusters;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.Jwt;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.jwt.Providers;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.jwt.providers.ClaimToHeaders;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.jwt.providers.LocalJWKS;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.jwt.providers.RemoteJWKS;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.jwt.providers.extractfrom.Headers;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.jwt.providers.remotejwks.BackendRefs;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * SecurityPolicy {@code jwt}: providers for Envoy's jwt_authn filter. A remote JWKS is fetched from
 * its URI through a cluster to the URI's host and port (TLS with the system trust store for https,
 * as Envoy Gateway does) or through the provider's backendRefs; a local JWKS is inline or read from
 * a ConfigMap ({@code jwks} key).
 */
final class JwtTranslator {
  static final List<String> SUPPORTED =
      BackendSettingsTranslator.withSupported(
          "jwt.providers[].remoteJWKS",
          List.of(
              "jwt.optional",
              "jwt.failOpen",
              "jwt.providers[].name",
              "jwt.providers[].issuer",
              "jwt.providers[].audiences[]",
              "jwt.providers[].claimToHeaders[].claim",
              "jwt.providers[].claimToHeaders[].header",
              "jwt.providers[].recomputeRoute",
              "jwt.providers[].extractFrom.headers[].name",
              "jwt.providers[].extractFrom.headers[].valuePrefix",
              "jwt.providers[].extractFrom.params[]",
              "jwt.providers[].extractFrom.cookies[]",
              "jwt.providers[].remoteJWKS.uri",
              "jwt.providers[].remoteJWKS.cacheDuration",
              "jwt.providers[].remoteJWKS.failedRefetchDuration",
              "jwt.providers[].remoteJWKS.backendRef.group",
              "jwt.providers[].remoteJWKS.backendRef.kind",
              "jwt.providers[].remoteJWKS.backendRef.name",
              "jwt.providers[].remoteJWKS.backendRef.namespace",
              "jwt.providers[].remoteJWKS.backendRef.port",
              "jwt.providers[].remoteJWKS.backendRefs[].group",
              "jwt.providers[].remoteJWKS.backendRefs[].kind",
              "jwt.providers[].remoteJWKS.backendRefs[].name",
              "jwt.providers[].remoteJWKS.backendRefs[].namespace",
              "jwt.providers[].remoteJWKS.backendRefs[].port",
              "jwt.providers[].remoteJWKS.backendRefs[].weight",
              "jwt.providers[].localJWKS.type",
              "jwt.providers[].localJWKS.inline",
              "jwt.providers[].localJWKS.valueRef.group",
              "jwt.providers[].localJWKS.valueRef.kind",
              "jwt.providers[].localJWKS.valueRef.name"));

  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+\\-.^_`|~]+");

  private JwtTranslator() {}

  static JwtIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    Jwt jwt = spec.getJwt();
    if (jwt == null) {
      return null;
    }
    List<Providers> providers = jwt.getProviders() == null ? List.of() : jwt.getProviders();
    if (providers.isEmpty()) {
      throw new PolicyException("spec.jwt.providers must name at least one provider");
    }
    String policyId =
        "securitypolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    Set<String> names = new HashSet<>();
    List<JwtProviderIr> out = new ArrayList<>();
    for (int i = 0; i < providers.size(); i++) {
      Providers p = providers.get(i);
      String where = "spec.jwt.providers[" + i + "]";
      if (p.getName() == null || p.getName().isEmpty()) {
        throw new PolicyException(where + ".name is required");
      }
      if (!names.add(p.getName())) {
        throw new PolicyException(where + ".name: provider " + p.getName() + " appears twice");
      }
      out.add(provider(p, where, policyId, policy, env));
    }
    return new JwtIr(
        out, Boolean.TRUE.equals(jwt.getOptional()), Boolean.TRUE.equals(jwt.getFailOpen()));
  }

  private static JwtProviderIr provider(
      Providers p, String where, String policyId, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    RemoteJWKS remote = p.getRemoteJWKS();
    LocalJWKS local = p.getLocalJWKS();
    if ((remote == null) == (local == null)) {
      throw new PolicyException(where + ": exactly one of remoteJWKS and localJWKS is required");
    }
    String uri = null;
    RouteDestinationIr cluster = null;
    DurationIr cache = null;
    String jwks = null;
    if (remote != null) {
      uri = remote.getUri();
      URI parsed;
      try {
        parsed = URI.create(uri == null ? "" : uri);
      } catch (IllegalArgumentException e) {
        throw new PolicyException(where + ".remoteJWKS.uri: invalid URI " + uri);
      }
      String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("https") && !scheme.equals("http") || parsed.getHost() == null) {
        throw new PolicyException(where + ".remoteJWKS.uri must be an http or https URL: " + uri);
      }
      List<ObjectRef> refs = new ArrayList<>();
      if (remote.getBackendRef() != null) {
        var r = remote.getBackendRef();
        refs.add(
            new ObjectRef(
                r.getGroup(), r.getKind(), r.getName(), r.getNamespace(), port(r.getPort())));
      }
      if (remote.getBackendRefs() != null) {
        for (BackendRefs r : remote.getBackendRefs()) {
          refs.add(
              new ObjectRef(
                  r.getGroup(), r.getKind(), r.getName(), r.getNamespace(), port(r.getPort())));
        }
      }
      if (!refs.isEmpty()) {
        List<com.fasterxml.jackson.databind.JsonNode> refNodes = new ArrayList<>();
        var remoteNode = io.eg4j.model.bus.Json.MAPPER.valueToTree(remote);
        if (remoteNode.path("backendRef").isObject()) {
          refNodes.add(remoteNode.path("backendRef"));
        }
        remoteNode.path("backendRefs").forEach(refNodes::add);
        cluster =
            PolicyBackendGroups.of(
                env,
                policy,
                policyId + "/jwt/" + p.getName(),
                refNodes,
                "HTTP",
                where + ".remoteJWKS");
      } else {
        cluster = uriCluster(parsed, scheme);
      }
      cluster =
          cluster.withCluster(
              BackendSettingsTranslator.cluster(
                  io.eg4j.model.bus.Json.MAPPER.valueToTree(remote.getBackendSettings()),
                  where + ".remoteJWKS.backendSettings"));
      if (remote.getCacheDuration() != null) {
        try {
          cache = DurationIr.parse(remote.getCacheDuration());
        } catch (IllegalArgumentException e) {
          throw new PolicyException(
              where + ".remoteJWKS.cacheDuration: invalid duration " + remote.getCacheDuration());
        }
      }
    } else {
      String type = local.getType() == null ? "Inline" : local.getType().toString();
      if (type.equals("ValueRef")) {
        if (local.getValueRef() == null) {
          throw new PolicyException(where + ".localJWKS.valueRef is required for type ValueRef");
        }
        Map<String, String> data =
            env.configMap(
                policy,
                new ObjectRef(
                    local.getValueRef().getGroup(),
                    local.getValueRef().getKind() == null
                        ? "ConfigMap"
                        : local.getValueRef().getKind(),
                    local.getValueRef().getName(),
                    null,
                    null));
        jwks = data.get("jwks");
        if (jwks == null && data.size() == 1) {
          jwks = data.values().iterator().next();
        }
        if (jwks == null) {
          throw new PolicyException(
              where
                  + ".localJWKS.valueRef: ConfigMap "
                  + local.getValueRef().getName()
                  + " has no jwks key");
        }
      } else {
        jwks = local.getInline();
        if (jwks == null || jwks.isBlank()) {
          throw new PolicyException(where + ".localJWKS.inline is required for type Inline");
        }
      }
    }
    if (jwks != null) {
      validateJwks(jwks, where + ".localJWKS");
    }
    List<ClaimToHeaderIr> claims = new ArrayList<>();
    if (p.getClaimToHeaders() != null) {
      for (int j = 0; j < p.getClaimToHeaders().size(); j++) {
        ClaimToHeaders c = p.getClaimToHeaders().get(j);
        String at = where + ".claimToHeaders[" + j + "]";
        // Both are required (the CRD's and Envoy's JwtClaimToHeader, which takes an HTTP header
        // name).
        if (c == null || c.getClaim() == null || c.getClaim().isEmpty()) {
          throw new PolicyException(at + ".claim is required");
        }
        if (c.getHeader() == null || !HEADER_NAME.matcher(c.getHeader()).matches()) {
          throw new PolicyException(
              at
                  + ".header must be an HTTP header name: "
                  + (c.getHeader() == null ? "" : c.getHeader()));
        }
        claims.add(new ClaimToHeaderIr(c.getClaim(), c.getHeader()));
      }
    }
    List<TokenHeaderIr> headers = new ArrayList<>();
    List<String> params = List.of();
    List<String> cookies = List.of();
    if (p.getExtractFrom() != null) {
      if (p.getExtractFrom().getHeaders() != null) {
        for (Headers h : p.getExtractFrom().getHeaders()) {
          headers.add(new TokenHeaderIr(h.getName(), h.getValuePrefix()));
        }
      }
      params = p.getExtractFrom().getParams();
      cookies = p.getExtractFrom().getCookies();
    }
    return new JwtProviderIr(
        p.getName(),
        p.getIssuer(),
        p.getAudiences(),
        uri,
        cluster,
        cache,
        jwks,
        claims,
        Boolean.TRUE.equals(p.getRecomputeRoute()),
        headers,
        params,
        cookies,
        remote == null
            ? null
            : BackendSettingsTranslator.retry(
                io.eg4j.model.bus.Json.MAPPER.valueToTree(remote.getBackendSettings()),
                where + ".remoteJWKS.backendSettings"),
        remote == null || remote.getFailedRefetchDuration() == null
            ? null
            : ClusterSettingsTranslator.duration(
                com.fasterxml.jackson.databind.node.TextNode.valueOf(
                    remote.getFailedRefetchDuration()),
                where + ".remoteJWKS.failedRefetchDuration"));
  }

  /**
   * Checks a local JWKS the way Envoy will load it, so that a bad one is a status on the policy and
   * never a configuration Envoy rejects (a rejected route configuration freezes every route of its
   * listener): JSON with a {@code keys} list, each key with its type's members, base64url encoded,
   * RSA moduli odd and at least 512 bits.
   */
  static void validateJwks(String jwks, String where) throws PolicyException {
    com.fasterxml.jackson.databind.JsonNode root;
    try {
      root = io.eg4j.model.bus.Json.MAPPER.readTree(jwks);
    } catch (Exception e) {
      throw new PolicyException(where + ": the JWKS is not JSON");
    }
    com.fasterxml.jackson.databind.JsonNode keys = root == null ? null : root.get("keys");
    if (keys == null || !keys.isArray() || keys.isEmpty()) {
      throw new PolicyException(where + ": the JWKS has no keys");
    }
    for (com.fasterxml.jackson.databind.JsonNode k : keys) {
      String kty = k.path("kty").asText("");
      switch (kty) {
        case "RSA" -> {
          byte[] n = b64url(k, "n", where);
          byte[] e = b64url(k, "e", where);
          java.math.BigInteger modulus = new java.math.BigInteger(1, n);
          if (modulus.bitLength() < 512 || !modulus.testBit(0) || e.length == 0) {
            throw new PolicyException(where + ": RSA key n is not a usable modulus");
          }
        }
        case "EC" -> {
          b64url(k, "x", where);
          b64url(k, "y", where);
        }
        case "oct" -> b64url(k, "k", where);
        case "OKP" -> b64url(k, "x", where);
        default -> throw new PolicyException(where + ": unsupported key type " + kty);
      }
    }
  }

  private static byte[] b64url(
      com.fasterxml.jackson.databind.JsonNode key, String member, String where)
      throws PolicyException {
    String v = key.path(member).asText("");
    try {
      byte[] b = java.util.Base64.getUrlDecoder().decode(v);
      if (b.length == 0) {
        throw new IllegalArgumentException("empty");
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw new PolicyException(where + ": key member " + member + " is not base64url");
    }
  }

  private static Integer port(Object port) {
    return port == null ? null : ((Number) port).intValue();
  }

  /** The cluster of a JWKS URI with no backendRefs: see {@link UriClusters#of}. */
  static RouteDestinationIr uriCluster(URI uri, String scheme) {
    return UriClusters.of(uri, scheme);
  }
}
