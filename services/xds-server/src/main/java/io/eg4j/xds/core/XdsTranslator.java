package io.eg4j.xds.core;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one xDS IR into Envoy resources, one translator per xDS type. Pure and deterministic: the
 * same IR gives byte-identical resources, so every replica computes the same versions.
 */
public final class XdsTranslator {
  private final ListenerXdsTranslator listeners = new ListenerXdsTranslator();
  private final RouteXdsTranslator routes = new RouteXdsTranslator();
  private final ClusterXdsTranslator clusters = new ClusterXdsTranslator();
  private final EndpointXdsTranslator endpoints = new EndpointXdsTranslator();
  private final SecretXdsTranslator secrets = new SecretXdsTranslator();

  /** Translates an IR into listeners, routes, clusters, endpoints and secrets. */
  public XdsResources translate(XdsIr ir) {
    return translate(ir, new ArrayList<>());
  }

  /**
   * Translates an IR, adding to {@code outcomes} the {@code Programmed} condition of each
   * EnvoyPatchPolicy whose operations the IR carries ({@link PatchOutcomes}).
   */
  public XdsResources translate(XdsIr ir, List<EnvoyPatchOutcomes.Policy> outcomes) {
    List<Listener> ls = listeners.translate(ir);
    List<Cluster> cs = clusters.translate(ir);
    if (ls.stream()
        .flatMap(l -> l.getFilterChainsList().stream())
        .anyMatch(c -> c.getName().equals(ListenerXdsTranslator.EMPTY_CLUSTER))) {
      cs = new ArrayList<>(cs);
      cs.add(
          Cluster.newBuilder()
              .setName(ListenerXdsTranslator.EMPTY_CLUSTER)
              .setType(Cluster.DiscoveryType.STATIC)
              .build());
    }
    XdsResources built =
        new XdsResources(
            ls, routes.translate(ir), cs, endpoints.translate(ir), secrets.translate(ir));
    // EnvoyPatchPolicies apply last, to what Envoy is about to receive.
    List<JsonPatches.Failure> failures = new ArrayList<>();
    XdsResources patched = JsonPatches.apply(built, ir.jsonPatches(), failures);
    outcomes.addAll(PatchOutcomes.of(ir.jsonPatches(), failures));
    return patched;
  }
}
