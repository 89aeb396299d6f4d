package io.eg4j.translator.core;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.translator.core.PolicyProcessor.Attachment;
import io.eg4j.translator.core.policy.security.SecurityPolicyTranslator;
import java.util.List;
import java.util.Map;

/**
 * Puts the SecurityPolicy in effect on every HTTP and gRPC route of the IR. Precedence follows
 * Envoy Gateway (GEP-713, most specific target wins): a route rule's section, the route, the
 * listener (of a ListenerSet or a Gateway), the ListenerSet, the Gateway. A route-level policy with
 * {@code mergeType} is merged, feature by feature, over the broader policy it would shadow.
 *
 * <p>Fail closed: when the policy in effect cannot be enforced (Accepted=False), the route answers
 * 500 and never reaches its backends (DESIGN.md invariant 9).
 */
final class SecurityPolicyApplier {
  static final String KIND = "SecurityPolicy";

  private final TranslationContext ctx;
  private final Map<String, Attachment> winners;

  SecurityPolicyApplier(TranslationContext ctx, PolicyProcessor policies) {
    this.ctx = ctx;
    this.winners = policies.winners.getOrDefault(KIND, Map.of());
  }

  void apply(Map<String, IrBuilders.XdsBuilder> xds) {
    PolicyChain.rewriteRoutes(ctx, xds, winners, this::rewrite);
  }

  private HttpRouteIr rewrite(HttpRouteIr r, List<Attachment> chain, ListenerContext lc) {
    SecurityPolicyTranslator.Result res = effective(chain, lc);
    if (res == null || res.ir() == null) {
      // The route answers 500. Like Envoy Gateway, it keeps the policy's translated features
      // (a policy whose translation succeeded but whose environment does not allow it): they
      // run before the direct response and can only refuse, never let a request through.
      HttpRouteIr closed = r.failClosed(500);
      if (chain.get(0).translation() instanceof SecurityPolicyTranslator.Result own
          && own.ir() != null
          && !own.ir().isEmpty()) {
        closed = closed.withSecurity(own.ir());
      }
      return closed;
    }
    if (res.ir().isEmpty()) {
      return r;
    }
    io.eg4j.model.ir.security.SecurityIr ir = res.ir();
    if (ir.authorization() != null && ir.authorization().usesGeoIp()) {
      // Geolocations are looked up with the provider of this route's Gateway.
      var provider = lc == null ? null : PolicyProcessor.geoIpProvider(lc.gateway.envoyProxy);
      if (provider == null) {
        return r.failClosed(500);
      }
      ir = ir.withAuthorization(ir.authorization().withGeoIp(provider));
    }
    return r.withSecurity(ir);
  }

  /**
   * Marks a merging policy Accepted=False on the Gateway where what it merges into is not applied
   * (on other Gateways the merge may well be enforced).
   */
  private void unenforceableMerge(Attachment top, Attachment parent, ListenerContext lc) {
    String message =
        "merged (mergeType) with "
            + KIND
            + " "
            + Nodes.namespace(parent.policy())
            + "/"
            + Nodes.name(parent.policy())
            + ", which is not applied: "
            + parent.error();
    for (StatusCollector.RefStatus rs : ctx.statuses.entry(top.policy()).ancestors) {
      if (lc == null
          || (lc.gateway.name.equals(rs.ref.path("name").asText())
              && lc.gateway.namespace.equals(rs.ref.path("namespace").asText()))) {
        rs.conditions.set(Condition.isFalse("Accepted", "Invalid", message));
      }
    }
  }

  /**
   * The translation in effect for a chain: the most specific policy's own, or, when it sets {@code
   * mergeType}, the merge of it over the next policy in the chain. Null when it cannot be enforced.
   */
  private SecurityPolicyTranslator.Result effective(List<Attachment> chain, ListenerContext lc) {
    Attachment top = chain.get(0);
    if (top.error() != null) {
      return null;
    }
    String mergeType = Nodes.text(Nodes.spec(top.policy()), "mergeType");
    if (mergeType == null || chain.size() < 2) {
      return (SecurityPolicyTranslator.Result) top.translation();
    }
    Attachment parent = chain.get(1);
    if (parent.error() != null) {
      // The broader policy cannot be enforced, so neither can a merge that includes it: the
      // route fails closed, and the route policy says why instead of claiming Accepted.
      unenforceableMerge(top, parent, lc);
      return null;
    }
    SecurityPolicyTranslator.Result own = (SecurityPolicyTranslator.Result) top.translation();
    SecurityPolicyTranslator.Result broader =
        (SecurityPolicyTranslator.Result) parent.translation();
    if (own == null || own.ir() == null || broader == null || broader.ir() == null) {
      return null;
    }
    return new SecurityPolicyTranslator.Result(own.ir().mergedOver(broader.ir()), null);
  }
}
