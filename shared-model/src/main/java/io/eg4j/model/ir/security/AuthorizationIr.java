package io.eg4j.model.ir.security;

import java.util.List;

/**
 * Authorization rules (Envoy's RBAC filter): the first rule that matches decides; when none does,
 * the default action applies.
 *
 * @param defaultAction {@code Allow} or {@code Deny}
 * @param rules the rules, in order
 */
public record AuthorizationIr(String defaultAction, List<RuleIr> rules) {
  public AuthorizationIr {
    rules = rules == null ? List.of() : List.copyOf(rules);
  }

  /**
   * One rule.
   *
   * @param name the rule name
   * @param action {@code Allow} or {@code Deny}
   * @param clientCidrs client address ranges; empty for any
   */
  public record RuleIr(String name, String action, List<String> clientCidrs) {
    public RuleIr {
      clientCidrs = clientCidrs == null ? List.of() : List.copyOf(clientCidrs);
    }
  }
}
