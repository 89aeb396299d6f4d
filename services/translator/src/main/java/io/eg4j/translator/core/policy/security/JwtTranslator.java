package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.security.JwtIr;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import java.util.List;

/**
 * SecurityPolicy {@code jwt}. Not enforced yet: {@link #SUPPORTED} is empty, so a policy that sets
 * it is Accepted=False and its routes fail closed.
 */
final class JwtTranslator {
  static final List<String> SUPPORTED = List.of();

  private JwtTranslator() {}

  static JwtIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    return null;
  }
}
