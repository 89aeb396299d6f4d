package io.eg4j.xds.core;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import io.eg4j.xds.core.filters.FilterResources;
import io.eg4j.xds.core.filters.HttpFilters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

  /** Forgets what is kept between translations of an IR key (its Gateway is gone). */
  public void forget(String key) {
    routes.forget(key);
    clusters.forget(key);
    endpoints.forget(key);
  }

  /** Translates an IR into listeners, routes, clusters, endpoints and secrets. */
  public XdsResources translate(XdsIr ir) {
    return translate(ir, new ArrayList<>());
  }

  /**
   * Translates an IR, adding to {@code outcomes} the {@code Programmed} condition of each
   * EnvoyPatchPolicy whose operations the IR carries ({@link PatchOutcomes}).
   */
  public XdsResources translate(XdsIr ir, List<EnvoyPatchOutcomes.Policy> outcomes) {
    // What the HTTP filters need and every cluster reference, gathered once: clusters, endpoints
    // and secrets all walk them, and gathering them scans every route.
    FilterResources filters = HttpFilters.resources(ir);
    Map<String, ClusterXdsTranslator.ClusterRef> refs = ClusterXdsTranslator.allRefs(ir, filters);
    List<Listener> ls = listeners.translate(ir);
    List<Cluster> cs = clusters.translate(ir, refs);
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
            ls,
            routes.translate(ir),
            cs,
            endpoints.translate(ir, refs),
            secrets.translate(ir, refs, filters));
    // EnvoyPatchPolicies apply last, to what Envoy is about to receive.
    List<JsonPatches.Failure> failures = new ArrayList<>();
    XdsResources patched = JsonPatches.apply(built, ir.jsonPatches(), failures);
    outcomes.addAll(PatchOutcomes.of(ir.jsonPatches(), failures));
    return patched;
  }
}
