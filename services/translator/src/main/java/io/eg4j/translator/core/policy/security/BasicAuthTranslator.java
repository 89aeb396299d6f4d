package io.eg4j.translator.core.policy.security;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.security.BasicAuthIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.BasicAuth;
import java.util.List;
import java.util.Map;

/**
 * SecurityPolicy {@code basicAuth}: the users of an htpasswd file (the {@code .htpasswd} key of the
 * referenced Secret) checked by Envoy's basic_auth filter; the user name can be forwarded.
 */
final class BasicAuthTranslator {
  static final String KEY = ".htpasswd";

  static final List<String> SUPPORTED =
      List.of(
          "basicAuth.users.group",
          "basicAuth.users.kind",
          "basicAuth.users.name",
          "basicAuth.users.namespace",
          "basicAuth.forwardUsernameHeader");

  private BasicAuthTranslator() {}

  static BasicAuthIr translate(SecurityPolicySpec spec, ObjectNode policy, PolicyEnv env)
      throws PolicyException {
    BasicAuth b = spec.getBasicAuth();
    if (b == null) {
      return null;
    }
    if (b.getUsers() == null) {
      throw new PolicyException("spec.basicAuth.users is required");
    }
    Map<String, String> data =
        env.secret(
            policy,
            new ObjectRef(
                b.getUsers().getGroup(),
                b.getUsers().getKind() == null ? "Secret" : b.getUsers().getKind(),
                b.getUsers().getName(),
                b.getUsers().getNamespace(),
                null));
    String users = data.get(KEY);
    if (users == null) {
      throw new PolicyException(
          "Secret " + b.getUsers().getName() + " has no " + KEY + " key (spec.basicAuth.users)");
    }
    return new BasicAuthIr(users, emptyToNull(b.getForwardUsernameHeader()));
  }

  static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
