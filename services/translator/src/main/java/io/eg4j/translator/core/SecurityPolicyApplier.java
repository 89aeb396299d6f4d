package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.translator.core.PolicyProcessor.Attachment;
import io.eg4j.translator.core.policy.security.SecurityPolicyTranslator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Puts the SecurityPolicy in effect on every HTTP and gRPC route of the IR. Precedence follows
 * Envoy Gateway (GEP-713, most specific target wins): a route rule's section, the route, the
 * listener (of a ListenerSet or a Gateway), the ListenerSet, the Gateway. A route-level policy with
 * {@code mergeType} is merged over the broader policy it would shadow.
 *
 * <p>Fail closed: when the policy in effect cannot be enforced (Accepted=False), the route answers
 * 500 and never reaches its backends (DESIGN.md invariant 9).
 */
final class SecurityPolicyApplier {
  static final String KIND = "SecurityPolicy";

  private final TranslationContext ctx;
  private final Map<String, Attachment> winners;
  private final SecurityPolicyTranslator translator;
  private final Map<ObjectNode, Map<ObjectNode, SecurityPolicyTranslator.Result>> merged =
      new IdentityHashMap<>();

  SecurityPolicyApplier(TranslationContext ctx, PolicyProcessor policies) {
    this.ctx = ctx;
    this.winners = policies.winners.getOrDefault(KIND, Map.of());
    this.translator = new SecurityPolicyTranslator(new PolicyEnvironment(ctx));
  }

  void apply(Map<String, IrBuilders.XdsBuilder> xds) {
    if (winners.isEmpty()) {
      return;
    }
    Map<String, ListenerContext> listeners = PolicyChain.listenersByIrName(ctx);
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.HttpListener l : b.http.values()) {
        ListenerContext lc = listeners.get(l.name);
        for (int i = 0; i < l.routes.size(); i++) {
          HttpRouteIr r = l.routes.get(i);
          List<Attachment> chain = PolicyChain.forRoute(winners, r, lc);
          if (chain.isEmpty()) {
            continue;
          }
          SecurityPolicyTranslator.Result res = effective(chain);
          if (res == null || res.ir() == null) {
            l.routes.set(i, r.failClosed(500));
          } else if (!res.ir().isEmpty()) {
            l.routes.set(i, r.withSecurity(res.ir()));
          }
        }
      }
    }
  }

  /**
   * The translation in effect for a chain: the most specific policy's own, or, when it sets {@code
   * mergeType}, the merge of it over the next policy in the chain. Null when it cannot be enforced.
   */
  private SecurityPolicyTranslator.Result effective(List<Attachment> chain) {
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
      // The broader policy cannot be enforced, so neither can a merge that includes it.
      return null;
    }
    return merged
        .computeIfAbsent(top.policy(), k -> new IdentityHashMap<>())
        .computeIfAbsent(
            parent.policy(),
            k ->
                translator.translate(
                    top.policy(),
                    mergePatch(Nodes.spec(parent.policy()), Nodes.spec(top.policy()))));
  }

  /**
   * JSON merge patch (RFC 7386) of {@code patch} over {@code base}, without the attachment fields.
   * For CRDs, a strategic merge is the same: lists are replaced, objects merged field by field.
   */
  static JsonNode mergePatch(JsonNode base, JsonNode patch) {
    ObjectNode out = base.isObject() ? ((ObjectNode) base).deepCopy() : Nodes.object();
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNull()) {
        out.remove(e.getKey());
      } else if (v.isObject() && out.path(e.getKey()).isObject()) {
        out.set(e.getKey(), mergePatch(out.get(e.getKey()), v));
      } else {
        out.set(e.getKey(), v.deepCopy());
      }
    }
    for (String attachment : List.of("targetRef", "targetRefs", "targetSelectors", "mergeType")) {
      out.remove(attachment);
    }
    return out;
  }
}
