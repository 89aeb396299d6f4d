package io.eg4j.translator.core.policy.security;

import io.eg4j.model.ir.security.CsrfIr;
import io.eg4j.translator.core.policy.PolicyException;
import io.envoyproxy.gateway.v1alpha1.SecurityPolicySpec;
import io.envoyproxy.gateway.v1alpha1.securitypolicyspec.Csrf;
import java.util.List;

/** SecurityPolicy {@code csrf}: the CSRF filter's per-route policy. */
final class CsrfTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "csrf",
          "csrf.additionalOrigins[]",
          "csrf.shadowFraction",
          "csrf.shadowFraction.numerator",
          "csrf.shadowFraction.denominator");

  private CsrfTranslator() {}

  static CsrfIr translate(SecurityPolicySpec spec) throws PolicyException {
    Csrf c = spec.getCsrf();
    if (c == null) {
      return null;
    }
    int numerator = 0;
    int denominator = 100;
    if (c.getShadowFraction() != null) {
      numerator =
          c.getShadowFraction().getNumerator() == null
              ? 0
              : c.getShadowFraction().getNumerator().intValue();
      if (c.getShadowFraction().getDenominator() != null) {
        denominator = c.getShadowFraction().getDenominator().intValue();
      }
    }
    try {
      return new CsrfIr(c.getAdditionalOrigins(), numerator, denominator);
    } catch (IllegalArgumentException e) {
      throw new PolicyException("spec.csrf.shadowFraction: " + e.getMessage());
    }
  }
}
