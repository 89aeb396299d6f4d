package io.eg4j.xds.core;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import io.eg4j.xds.core.filters.FilterResources;
import io.eg4j.xds.core.filters.HttpFilters;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
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
    return front(ir, backends(ir), outcomes);
  }

  /**
   * The first half of a translation: the clusters, their endpoint assignments and the secrets,
   * which depend on the IR alone (not on the listeners or routes made from it). {@link
   * XdsSnapshots} serves the clusters it adds while the listeners and routes are translated.
   *
   * @param filters what the HTTP filters need, gathered once for both halves
   * @param refs every cluster reference of the IR
   * @param clusters the clusters of the IR's references (without the empty listener's cluster,
   *     which the listeners decide)
   * @param endpoints the endpoint assignments
   * @param secrets the secrets
   */
  record Backends(
      FilterResources filters,
      Map<String, ClusterXdsTranslator.ClusterRef> refs,
      List<Cluster> clusters,
      List<ClusterLoadAssignment> endpoints,
      List<Secret> secrets) {}

  /** The first half of {@link #translate(XdsIr, List)}: see {@link Backends}. */
  Backends backends(XdsIr ir) {
    // What the HTTP filters need and every cluster reference, gathered once: clusters, endpoints
    // and secrets all walk them, and gathering them scans every route.
    FilterResources filters = HttpFilters.resources(ir);
    Map<String, ClusterXdsTranslator.ClusterRef> refs = ClusterXdsTranslator.allRefs(ir, filters);
    return new Backends(
        filters,
        refs,
        clusters.translate(ir, refs),
        endpoints.translate(ir, refs),
        secrets.translate(ir, refs, filters));
  }

  /**
   * The second half of {@link #translate(XdsIr, List)}: the listeners and routes, the whole set of
   * resources, and the IR's EnvoyPatchPolicies applied to it.
   */
  XdsResources front(XdsIr ir, Backends b, List<EnvoyPatchOutcomes.Policy> outcomes) {
    List<Listener> ls = listeners.translate(ir);
    List<Cluster> cs = b.clusters();
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
    XdsResources built = new XdsResources(ls, routes.translate(ir), cs, b.endpoints(), b.secrets());
    // EnvoyPatchPolicies apply last, to what Envoy is about to receive.
    List<JsonPatches.Failure> failures = new ArrayList<>();
    XdsResources patched = JsonPatches.apply(built, ir.jsonPatches(), failures);
    outcomes.addAll(PatchOutcomes.of(ir.jsonPatches(), failures));
    return patched;
  }
}
