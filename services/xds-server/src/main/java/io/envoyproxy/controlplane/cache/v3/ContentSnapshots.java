package io.envoyproxy.controlplane.cache.v3;

import io.envoyproxy.controlplane.cache.SnapshotResources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;

/**
 * Builds a v3 {@link Snapshot} from resources that already carry their versions. It lives in
 * java-control-plane's package because the snapshot's constructor is package-private and the public
 * factories re-version every resource by {@code Message.hashCode()}, which differs between JVMs;
 * eg4j versions resources by content so replicas agree (DESIGN.md invariant 3).
 */
public final class ContentSnapshots {
  private ContentSnapshots() {}

  /** A snapshot of pre-versioned resources. */
  public static Snapshot of(
      SnapshotResources<Cluster> clusters,
      SnapshotResources<ClusterLoadAssignment> endpoints,
      SnapshotResources<Listener> listeners,
      SnapshotResources<RouteConfiguration> routes,
      SnapshotResources<Secret> secrets) {
    return new AutoValue_Snapshot(clusters, endpoints, listeners, routes, secrets);
  }
}
