package io.eg4j.translator.core;

import java.util.Map;

/**
 * Puts the ClientTrafficPolicy in effect on every HTTP listener of the IR: the listener section's
 * policy over the ListenerSet's over the Gateway's. A policy that cannot be enforced
 * (Accepted=False) changes nothing on the listener.
 */
final class ClientTrafficApplier {
  private final TranslationContext ctx;
  private final PolicyProcessor policies;

  ClientTrafficApplier(TranslationContext ctx, PolicyProcessor policies) {
    this.ctx = ctx;
    this.policies = policies;
  }

  void apply(Map<String, IrBuilders.XdsBuilder> xds) {
    Map<String, ListenerContext> listeners = PolicyChain.listenersByIrName(ctx);
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.HttpListener l : b.http.values()) {
        l.client = policies.clientTraffic(listeners.get(l.name));
      }
    }
  }
}
