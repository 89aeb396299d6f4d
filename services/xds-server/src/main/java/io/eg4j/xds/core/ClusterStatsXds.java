package io.eg4j.xds.core;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.TelemetryIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.TrackClusterStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stats of the route clusters that the EnvoyProxy {@code telemetry.metrics} asks for: the
 * cluster's stat name ({@code clusterStatName} → {@code alt_stat_name}) and the optional
 * per-endpoint and request/response size stats ({@code track_cluster_stats}). Envoy Gateway sets
 * them on the clusters of routes only, not on the upstreams of filters and telemetry sinks.
 */
final class ClusterStatsXds {
  private ClusterStatsXds() {}

  /** The clusters with the stats settings of the IR's routes applied. */
  static List<Cluster> apply(List<Cluster> clusters, XdsIr ir) {
    TelemetryIr.MetricsIr metrics = ir.telemetry() == null ? null : ir.telemetry().metrics();
    boolean track =
        metrics != null && (metrics.perEndpointStats() || metrics.requestResponseSizes());
    // Route cluster name -> its stat name ("" when it keeps its own name).
    Map<String, String> routeClusters = new HashMap<>();
    for (HttpListenerIr l : ir.http()) {
      for (HttpRouteIr r : l.routes()) {
        note(routeClusters, r.destination());
        for (HttpRouteIr.MirrorIr m : r.mirrors()) {
          note(routeClusters, m.destination());
        }
      }
    }
    for (TcpListenerIr l : ir.tcp()) {
      for (TcpListenerIr.TcpRouteIr r : l.routes()) {
        note(routeClusters, r.destination());
      }
    }
    for (UdpListenerIr u : ir.udp()) {
      note(routeClusters, u.destination());
    }
    boolean anyStatName = routeClusters.values().stream().anyMatch(s -> !s.isEmpty());
    if (!track && !anyStatName) {
      return clusters;
    }
    List<Cluster> out = new ArrayList<>(clusters.size());
    for (Cluster c : clusters) {
      String statName = routeClusters.get(c.getName());
      if (statName == null) {
        out.add(c);
        continue;
      }
      Cluster.Builder b = c.toBuilder();
      if (!statName.isEmpty()) {
        b.setAltStatName(statName);
      }
      if (track) {
        b.setTrackClusterStats(
            TrackClusterStats.newBuilder()
                .setPerEndpointStats(metrics.perEndpointStats())
                .setRequestResponseSizes(metrics.requestResponseSizes()));
      }
      out.add(b.build());
    }
    return out;
  }

  private static void note(Map<String, String> out, RouteDestinationIr dest) {
    if (dest == null) {
      return;
    }
    String statName = dest.statName() == null ? "" : dest.statName();
    for (ClusterXdsTranslator.ClusterRef ref : ClusterXdsTranslator.refs(dest)) {
      out.merge(ref.name(), statName, (a, b) -> a.isEmpty() ? b : a);
    }
    ClusterXdsTranslator.ClusterRef udp = ClusterXdsTranslator.udpRef(dest);
    if (udp != null) {
      out.merge(udp.name(), statName, (a, b) -> a.isEmpty() ? b : a);
    }
  }
}
