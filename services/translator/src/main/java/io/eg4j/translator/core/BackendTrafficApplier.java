package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.translator.core.PolicyProcessor.Attachment;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.traffic.BackendTrafficPolicyTranslator;
import java.util.List;
import java.util.Map;

/**
 * Puts the BackendTrafficPolicy in effect on every HTTP and gRPC route of the IR, with the same
 * precedence as every policy kind (route rule, route, listener, ListenerSet, Gateway). A
 * route-level policy with {@code mergeType} is merged over the broader one as JSON (its fields win,
 * objects merge field by field, lists are replaced) and the merge is translated. A policy that sets
 * a field eg4j does not enforce yet leaves the route as it is; an invalid one makes the route
 * answer 500, as Envoy Gateway does.
 */
final class BackendTrafficApplier {
  static final String KIND = "BackendTrafficPolicy";

  private final TranslationContext ctx;
  private final PolicyProcessor policies;
  private final Map<String, Attachment> winners;

  BackendTrafficApplier(TranslationContext ctx, PolicyProcessor policies) {
    this.ctx = ctx;
    this.policies = policies;
    this.winners = policies.winners.getOrDefault(KIND, Map.of());
  }

  void apply(Map<String, IrBuilders.XdsBuilder> xds) {
    PolicyChain.rewriteRoutes(ctx, xds, winners, (r, chain, lc) -> rewrite(r, chain));
  }

  private HttpRouteIr rewrite(HttpRouteIr r, List<Attachment> chain) {
    if (invalid(chain.get(0))) {
      // As Envoy Gateway does, a route whose policy is invalid answers 500 rather than reach its
      // backends without the settings its owner asked for.
      return r.failClosed(500);
    }
    TrafficIr ir = effective(chain);
    if (ir == null) {
      return r;
    }
    HttpRouteIr out = r.withTraffic(ir);
    if (ir.cluster() != null) {
      if (out.destination() != null) {
        out = out.withDestination(out.destination().withCluster(ir.cluster()));
      }
      if (ir.cluster().requestTimeout() != null && out.timeout() == null) {
        // The route rule's own timeouts.request wins over the policy's.
        out = out.withTimeout(ir.cluster().requestTimeout());
      }
    }
    return out;
  }

  /**
   * True when the policy's settings are invalid (its translation failed on a value). A policy that
   * is refused only because it sets a field eg4j does not enforce yet leaves its routes as they
   * are.
   */
  private static boolean invalid(Attachment a) {
    return a.error() != null
        && a.translation() instanceof BackendTrafficPolicyTranslator.Result r
        && r.error() != null
        && !FieldSupport.isUnsupported(r.error());
  }

  private TrafficIr effective(List<Attachment> chain) {
    Attachment top = chain.get(0);
    if (top.error() != null) {
      return null;
    }
    BackendTrafficPolicyTranslator.Result own =
        (BackendTrafficPolicyTranslator.Result) top.translation();
    boolean merges = Nodes.has(Nodes.spec(top.policy()), "mergeType");
    if (!merges || chain.size() < 2 || chain.get(1).error() != null) {
      return own == null ? null : own.ir();
    }
    ObjectNode merged = Nodes.spec(chain.get(1).policy()).deepCopy();
    mergeInto(merged, Nodes.spec(top.policy()));
    merged.remove(List.of("targetRef", "targetRefs", "targetSelectors", "mergeType"));
    BackendTrafficPolicyTranslator.Result r = policies.translateTraffic(top.policy(), merged);
    return r.ir();
  }

  private static void mergeInto(ObjectNode base, JsonNode over) {
    over.fields()
        .forEachRemaining(
            e -> {
              JsonNode b = base.get(e.getKey());
              if (b instanceof ObjectNode bo && e.getValue().isObject()) {
                mergeInto(bo, e.getValue());
              } else {
                base.set(e.getKey(), e.getValue().deepCopy());
              }
            });
  }
}
