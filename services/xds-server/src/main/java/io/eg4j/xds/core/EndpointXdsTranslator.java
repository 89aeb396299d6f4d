package io.eg4j.xds.core;

import io.eg4j.model.ir.ClusterSettingsIr.ZoneAwareIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the EDS resources: one {@code ClusterLoadAssignment} per EDS cluster (IP endpoints; not
 * for DNS or dynamic forward proxy clusters). An empty assignment is still sent, so the cluster
 * warms and requests fail fast with 503 instead of hanging.
 */
public final class EndpointXdsTranslator {
  /** Translates the endpoints of an IR. */
  public List<ClusterLoadAssignment> translate(XdsIr ir) {
    return translate(ir, ClusterXdsTranslator.allRefs(ir));
  }

  /** Translates the endpoints of an IR whose cluster references are already gathered. */
  List<ClusterLoadAssignment> translate(
      XdsIr ir, Map<String, ClusterXdsTranslator.ClusterRef> refs) {
    List<ClusterLoadAssignment> out = new ArrayList<>();
    Map<Hashed<ClusterXdsTranslator.ClusterRef>, ClusterLoadAssignment> before =
        ir.key() == null ? Map.of() : lastAssignments.getOrDefault(ir.key(), Map.of());
    Map<Hashed<ClusterXdsTranslator.ClusterRef>, ClusterLoadAssignment> now =
        new java.util.HashMap<>(refs.size() * 2);
    for (ClusterXdsTranslator.ClusterRef ref : refs.values()) {
      if (!ClusterXdsTranslator.isDns(ref) && !ClusterXdsTranslator.isDynamic(ref.setting())) {
        Hashed<ClusterXdsTranslator.ClusterRef> k = Hashed.of(ref);
        ClusterLoadAssignment made = now.get(k);
        if (made == null) {
          made = before.get(k);
          if (made == null) {
            made = ClusterXdsTranslator.assignment(ref);
          }
          now.put(k, made);
        }
        out.add(made);
      }
    }
    if (ir.key() != null) {
      lastAssignments.put(ir.key(), now);
    }
    if (ir.localCluster() != null) {
      out.add(ProxyLocalXds.localAssignment(ir));
    }
    return out;
  }

  // Per IR key, the assignments of its last translation by the cluster reference they were made
  // from: an assignment is a function of its reference alone ({@link
  // ClusterXdsTranslator#assignment}), so an equal reference gets the same assignment back, as the
  // cluster translator does with clusters (issue #16). Only each key's last translation is kept.
  private final Map<String, Map<Hashed<ClusterXdsTranslator.ClusterRef>, ClusterLoadAssignment>>
      lastAssignments = new java.util.concurrent.ConcurrentHashMap<>();

  /** Forgets the assignments kept from the last translation of an IR key (its Gateway is gone). */
  public void forget(String key) {
    lastAssignments.remove(key);
  }

  /**
   * One cluster made of several backend groups: a locality per group (named after it), weighted by
   * the group's weight; groups without endpoints are left out. With zone-aware balancing each group
   * is split by zone, a locality per group and zone weighing the group's weight times the zone's.
   */
  static ClusterLoadAssignment weightedAssignment(
      String clusterName, List<DestinationSettingIr> groups, ZoneAwareIr zones) {
    ClusterLoadAssignment.Builder cla =
        ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    for (DestinationSettingIr s : groups) {
      if (s.endpoints().isEmpty()) {
        continue;
      }
      int weight = Math.max(1, s.weight());
      if (zones == null) {
        cla.addEndpoints(
            locality(s, s.endpoints())
                .setLocality(Locality.newBuilder().setRegion(s.name()))
                .setLoadBalancingWeight(Protos.u32(weight)));
      } else {
        for (LocalityLbEndpoints.Builder z : zonal(s, zones)) {
          z.setLocality(z.getLocality().toBuilder().setRegion(s.name()));
          z.setLoadBalancingWeight(
              Protos.u32(
                  (int)
                      Math.min(
                          0xFFFFFFFFL, (long) weight * z.getLoadBalancingWeight().getValue())));
          cla.addEndpoints(z);
        }
      }
    }
    return cla.build();
  }

  /**
   * The load assignment of one cluster from one backend group: one locality, or with zone-aware
   * balancing ({@code zones} not null) one locality per zone of the endpoints (endpoints without a
   * zone share the locality with no zone), each weighted by its zone's weight.
   */
  static ClusterLoadAssignment assignment(
      String clusterName, DestinationSettingIr s, ZoneAwareIr zones) {
    ClusterLoadAssignment.Builder cla =
        ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    if (s.endpoints().isEmpty()) {
      return cla.build();
    }
    if (zones == null) {
      cla.addEndpoints(locality(s, s.endpoints()));
    } else {
      zonal(s, zones).forEach(cla::addEndpoints);
    }
    return cla.build();
  }

  /** The endpoints of a group by zone, sorted by zone name, each weighted as its zone. */
  private static List<LocalityLbEndpoints.Builder> zonal(
      DestinationSettingIr s, ZoneAwareIr zones) {
    java.util.TreeMap<String, List<EndpointIr>> byZone = new java.util.TreeMap<>();
    for (EndpointIr e : s.endpoints()) {
      byZone.computeIfAbsent(e.zone() == null ? "" : e.zone(), k -> new ArrayList<>()).add(e);
    }
    List<LocalityLbEndpoints.Builder> out = new ArrayList<>();
    byZone.forEach(
        (zone, eps) ->
            out.add(
                locality(s, eps)
                    .setLocality(Locality.newBuilder().setZone(zone))
                    .setLoadBalancingWeight(Protos.u32(zones.weightOf(zone)))));
    return out;
  }

  private static LocalityLbEndpoints.Builder locality(
      DestinationSettingIr s, List<EndpointIr> endpoints) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    for (EndpointIr e : endpoints) {
      locality.addLbEndpoints(
          LbEndpoint.newBuilder()
              .setEndpoint(
                  Endpoint.newBuilder()
                      .setAddress(
                          e.unix()
                              ? io.envoyproxy.envoy.config.core.v3.Address.newBuilder()
                                  .setPipe(
                                      io.envoyproxy.envoy.config.core.v3.Pipe.newBuilder()
                                          .setPath(e.host()))
                                  .build()
                              : ListenerXdsTranslator.address(
                                  e.host(),
                                  e.port(),
                                  s.protocol().equalsIgnoreCase("UDP")
                                      ? SocketAddress.Protocol.UDP
                                      : SocketAddress.Protocol.TCP))));
    }
    return locality;
  }
}
