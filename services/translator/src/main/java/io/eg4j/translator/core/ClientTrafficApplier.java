package io.eg4j.translator.core;

import io.eg4j.translator.core.PolicyProcessor.Attachment;
import io.eg4j.translator.core.policy.traffic.ClientTrafficPolicyTranslator;
import java.util.List;
import java.util.Map;

/**
 * Puts the ClientTrafficPolicy in effect on every HTTP listener of the IR: the listener section's
 * policy over the ListenerSet's over the Gateway's. A policy that cannot be enforced
 * (Accepted=False) changes nothing on the listener.
 */
final class ClientTrafficApplier {
  private final TranslationContext ctx;
  private final Map<String, Attachment> winners;

  ClientTrafficApplier(TranslationContext ctx, PolicyProcessor policies) {
    this.ctx = ctx;
    this.winners = policies.winners.getOrDefault("ClientTrafficPolicy", Map.of());
  }

  void apply(Map<String, IrBuilders.XdsBuilder> xds) {
    if (winners.isEmpty()) {
      return;
    }
    Map<String, ListenerContext> listeners = PolicyChain.listenersByIrName(ctx);
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.HttpListener l : b.http.values()) {
        List<Attachment> chain = PolicyChain.forListener(winners, listeners.get(l.name));
        if (!chain.isEmpty()
            && chain.get(0).error() == null
            && chain.get(0).translation() instanceof ClientTrafficPolicyTranslator.Result r
            && r.ir() != null) {
          l.client = r.ir();
        }
      }
    }
  }
}
