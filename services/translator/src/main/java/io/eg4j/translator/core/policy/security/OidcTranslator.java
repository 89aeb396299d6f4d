package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.security.OidcIr;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import java.util.List;

/**
 * SecurityPolicy {@code oidc}. Not enforced yet: {@link #SUPPORTED} is empty, so a policy that sets
 * it is Accepted=False and its routes fail closed.
 */
final class OidcTranslator {
  static final List<String> SUPPORTED = List.of();

  private OidcTranslator() {}

  static OidcIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    return null;
  }
}
