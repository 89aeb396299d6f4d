package io.eg4j.translator.core;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.translator.core.PolicyProcessor.Attachment;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.extension.DynamicModuleTranslator;
import io.eg4j.translator.core.policy.extension.EnvoyExtensionPolicyTranslator;
import java.util.List;
import java.util.Map;

/**
 * Puts the EnvoyExtensionPolicy in effect on every HTTP and gRPC route of the IR, with the same
 * precedence as every policy kind (route rule, route, listener, ListenerSet, Gateway). A
 * route-level policy with {@code mergeType} is merged over the broader one: each extension list it
 * sets replaces the broader policy's, the others are kept.
 *
 * <p>Fail closed: when the policy in effect is not Accepted (invalid, or it sets a field eg4j does
 * not enforce), the route answers 500, as Envoy Gateway's routes do for an invalid policy; except
 * when what failed are extensions that set {@code failOpen}: the route is then served with the
 * policy's other extensions.
 */
final class EnvoyExtensionApplier {
  static final String KIND = "EnvoyExtensionPolicy";

  private final Map<String, Attachment> winners;

  EnvoyExtensionApplier(PolicyProcessor policies) {
    this.winners = policies.winners.getOrDefault(KIND, Map.of());
  }

  void apply(TranslationContext ctx, Map<String, IrBuilders.XdsBuilder> xds) {
    PolicyChain.rewriteRoutes(ctx, xds, winners, (r, chain, lc) -> rewrite(r, chain, lc));
  }

  private static HttpRouteIr rewrite(HttpRouteIr r, List<Attachment> chain, ListenerContext lc) {
    ExtensionIr ir = effective(chain);
    if (ir != null && !ir.dynamicModules().isEmpty() && lc != null) {
      ir = withGatewayModules(ir, chain, lc);
    }
    if (ir == null) {
      // The route's SecurityPolicy stays on the 500 route: its filters run first and can only
      // refuse, and it is enforced as its status says.
      return r.failClosed(500).withSecurity(r.security());
    }
    return ir.isEmpty() ? r : r.withExtensions(ir);
  }

  /**
   * The extensions with the dynamic modules as the EnvoyProxy of the route's own Gateway registers
   * them (a policy that reaches several Gateways was checked against each registry; its IR holds
   * the first one's), or null when that registry cannot give them (the route fails closed).
   */
  private static ExtensionIr withGatewayModules(
      ExtensionIr ir, List<Attachment> chain, ListenerContext lc) {
    Attachment source = chain.get(0);
    if (!DynamicModuleTranslator.present(Nodes.spec(source.policy())) && chain.size() > 1) {
      // Merged: the broader policy's modules are kept.
      source = chain.get(1);
    }
    try {
      List<ExtensionIr.DynamicModuleIr> modules =
          DynamicModuleTranslator.translate(
              Nodes.spec(source.policy()),
              EnvoyExtensionPolicyTranslator.id(source.policy()),
              lc.gateway.envoyProxy);
      return new ExtensionIr(ir.policy(), ir.lua(), ir.extProc(), ir.wasm(), modules);
    } catch (PolicyException e) {
      return null;
    }
  }

  private static ExtensionIr effective(List<Attachment> chain) {
    Attachment top = chain.get(0);
    ExtensionIr own = ir(top);
    if (own == null) {
      return null;
    }
    if (Nodes.text(Nodes.spec(top.policy()), "mergeType") == null || chain.size() < 2) {
      return own;
    }
    ExtensionIr broader = ir(chain.get(1));
    if (broader == null) {
      return null;
    }
    return new ExtensionIr(
        own.policy(),
        own.lua().isEmpty() ? broader.lua() : own.lua(),
        own.extProc().isEmpty() ? broader.extProc() : own.extProc(),
        own.wasm().isEmpty() ? broader.wasm() : own.wasm(),
        own.dynamicModules().isEmpty() ? broader.dynamicModules() : own.dynamicModules());
  }

  /**
   * The extensions of a policy, or null when its routes fail closed. A policy that is not Accepted
   * only because extensions with {@code failOpen} failed still gives the others.
   */
  private static ExtensionIr ir(Attachment a) {
    if (!(a.translation() instanceof EnvoyExtensionPolicyTranslator.Result res)) {
      return null;
    }
    return a.error() == null || res.failOpen() ? res.ir() : null;
  }
}
