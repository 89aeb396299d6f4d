package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.security.ApiKeyAuthIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.ApiKeyAuth;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.apikeyauth.CredentialRefs;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.apikeyauth.ExtractFrom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SecurityPolicy {@code apiKeyAuth}: Envoy's api_key_auth filter with the keys of the referenced
 * Secrets (each data key is a client ID, its value that client's API key). The first Secret that
 * names a client wins for that client; a key shared by two clients is refused (the policy processor
 * reports it as Invalid before this runs). {@code forwardClientIDHeader} names a request header
 * that carries the authenticated client's ID to the backend; {@code sanitize} removes the key from
 * the request before it is forwarded.
 */
final class ApiKeyAuthTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "apiKeyAuth.credentialRefs[].group",
          "apiKeyAuth.credentialRefs[].kind",
          "apiKeyAuth.credentialRefs[].name",
          "apiKeyAuth.credentialRefs[].namespace",
          "apiKeyAuth.extractFrom[].headers[]",
          "apiKeyAuth.extractFrom[].params[]",
          "apiKeyAuth.extractFrom[].cookies[]",
          "apiKeyAuth.forwardClientIDHeader",
          "apiKeyAuth.sanitize");

  /** An HTTP header name (RFC 9110 token); pseudo-headers are not names a request can carry. */
  private static final java.util.regex.Pattern HEADER_NAME =
      java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private ApiKeyAuthTranslator() {}

  static ApiKeyAuthIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    ApiKeyAuth a = spec.getApiKeyAuth();
    if (a == null) {
      return null;
    }
    Map<String, String> credentials = new LinkedHashMap<>();
    for (CredentialRefs ref : nonNull(a.getCredentialRefs())) {
      Map<String, String> data =
          env.secret(
              policy,
              new ObjectRef(
                  ref.getGroup(),
                  ref.getKind() == null ? "Secret" : ref.getKind(),
                  ref.getName(),
                  ref.getNamespace(),
                  null));
      data.forEach(credentials::putIfAbsent);
    }
    if (credentials.isEmpty()) {
      throw new PolicyException("spec.apiKeyAuth.credentialRefs: no API keys found");
    }
    List<ApiKeyAuthIr.ExtractFromIr> from = new ArrayList<>();
    for (ExtractFrom e : nonNull(a.getExtractFrom())) {
      from.add(new ApiKeyAuthIr.ExtractFromIr(e.getHeaders(), e.getParams(), e.getCookies()));
    }
    if (from.isEmpty()) {
      throw new PolicyException("spec.apiKeyAuth.extractFrom must name at least one place");
    }
    String forward = a.getForwardClientIDHeader();
    if (forward != null && forward.isEmpty()) {
      forward = null;
    }
    if (forward != null && !HEADER_NAME.matcher(forward).matches()) {
      throw new PolicyException(
          "spec.apiKeyAuth.forwardClientIDHeader: not a valid header name: " + forward);
    }
    return new ApiKeyAuthIr(credentials, from, forward, Boolean.TRUE.equals(a.getSanitize()));
  }

  private static <T> List<T> nonNull(List<T> l) {
    return l == null ? List.of() : l;
  }
}
