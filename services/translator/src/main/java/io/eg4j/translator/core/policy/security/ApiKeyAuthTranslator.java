package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.security.ApiKeyAuthIr;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import java.util.List;

/**
 * SecurityPolicy {@code apiKeyAuth}. Not enforced yet: {@link #SUPPORTED} is empty, so a policy
 * that sets it is Accepted=False and its routes fail closed.
 */
final class ApiKeyAuthTranslator {
  static final List<String> SUPPORTED = List.of();

  private ApiKeyAuthTranslator() {}

  static ApiKeyAuthIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    return null;
  }
}
