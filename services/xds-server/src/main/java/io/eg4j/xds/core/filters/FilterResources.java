package io.eg4j.xds.core.filters;

import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.xds.core.ClusterXdsTranslator;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The extra upstreams and secrets HTTP filters need. Destinations become clusters (and EDS load
 * assignments) exactly like a route's backends; secrets are served over SDS. The first definition
 * of a name wins, so filters that share an upstream or a secret add it once.
 */
public final class FilterResources {
  private final Map<String, RouteDestinationIr> destinations = new TreeMap<>();
  private final Map<String, Secret> secrets = new TreeMap<>();
  private final Map<String, RouteDestinationIr> singleClusters = new TreeMap<>();

  /** Adds an upstream the filter calls. */
  public void addDestination(RouteDestinationIr destination) {
    destinations.putIfAbsent(destination.name(), destination);
  }

  /**
   * Adds an upstream the filter calls through one cluster named after the destination, whatever the
   * number of its backends: each backend is a locality of that cluster, picked by its weight (a
   * filter such as ext_proc names one cluster, it has no weighted clusters).
   */
  public void addSingleCluster(RouteDestinationIr destination) {
    singleClusters.putIfAbsent(destination.name(), destination);
  }

  /**
   * Adds the upstream of a service a policy calls (an authorization service, a JWKS or OIDC
   * provider): a single backendRef is served as a route's backend is ({@link #addDestination});
   * several are one cluster with a locality each ({@link #addSingleCluster}), since the filter
   * names one cluster.
   */
  public void addPolicyService(RouteDestinationIr destination) {
    if (destination.settings().size() > 1) {
      addSingleCluster(destination);
    } else {
      addDestination(destination);
    }
  }

  /** The cluster the filter names for a service added with {@link #addPolicyService}. */
  public static String policyServiceCluster(RouteDestinationIr destination) {
    var refs = ClusterXdsTranslator.refs(destination);
    return refs.isEmpty() || destination.settings().size() > 1
        ? destination.name()
        : refs.get(0).name();
  }

  /** The upstreams served as one cluster each, sorted by name. */
  public List<RouteDestinationIr> singleClusters() {
    return new ArrayList<>(singleClusters.values());
  }

  /** Adds a secret the filter reads over SDS. */
  public void addSecret(Secret secret) {
    secrets.putIfAbsent(secret.getName(), secret);
  }

  /** The upstreams, sorted by name. */
  public List<RouteDestinationIr> destinations() {
    return new ArrayList<>(destinations.values());
  }

  /** The secrets, sorted by name. */
  public List<Secret> secrets() {
    return new ArrayList<>(secrets.values());
  }
}
