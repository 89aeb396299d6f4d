package io.eg4j.xds.core;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The Envoy resources of one xDS IR, each list sorted by resource name so that the same IR always
 * gives the same resources in the same order (and so the same content hash and version).
 *
 * @param listeners LDS resources
 * @param routes RDS resources
 * @param clusters CDS resources
 * @param endpoints EDS resources
 * @param secrets SDS resources (listener certificates)
 */
public record XdsResources(
    List<Listener> listeners,
    List<RouteConfiguration> routes,
    List<Cluster> clusters,
    List<ClusterLoadAssignment> endpoints,
    List<Secret> secrets) {

  public XdsResources {
    listeners = sorted(listeners, Listener::getName);
    routes = sorted(routes, RouteConfiguration::getName);
    clusters = sorted(clusters, Cluster::getName);
    endpoints = sorted(endpoints, ClusterLoadAssignment::getClusterName);
    secrets = sorted(secrets, Secret::getName);
  }

  /** No resources at all. */
  public static XdsResources empty() {
    return new XdsResources(List.of(), List.of(), List.of(), List.of(), List.of());
  }

  /** True when there is nothing to serve. */
  public boolean isEmpty() {
    return listeners.isEmpty() && clusters.isEmpty();
  }

  /** The version of one resource list: a hash of the resources' deterministic encoding. */
  public static String versionOf(List<? extends Message> resources) {
    return Protos.listHash(resources);
  }

  private static <T> List<T> sorted(List<T> in, Function<T, String> name) {
    return in == null ? List.of() : in.stream().sorted(Comparator.comparing(name)).toList();
  }
}
