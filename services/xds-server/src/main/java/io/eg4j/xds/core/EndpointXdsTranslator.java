package io.eg4j.xds.core;

import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the EDS resources: one {@code ClusterLoadAssignment} per EDS cluster (IP endpoints; not
 * for DNS or dynamic forward proxy clusters). An empty assignment is still sent, so the cluster
 * warms and requests fail fast with 503 instead of hanging.
 */
public final class EndpointXdsTranslator {
  /** Translates the endpoints of an IR. */
  public List<ClusterLoadAssignment> translate(XdsIr ir) {
    List<ClusterLoadAssignment> out = new ArrayList<>();
    for (ClusterXdsTranslator.ClusterRef ref : ClusterXdsTranslator.allRefs(ir).values()) {
      if (!ClusterXdsTranslator.isDns(ref) && !ClusterXdsTranslator.isDynamic(ref.setting())) {
        out.add(ClusterXdsTranslator.assignment(ref));
      }
    }
    if (ir.localCluster() != null) {
      out.add(ProxyLocalXds.localAssignment(ir));
    }
    return out;
  }

  /**
   * One cluster made of several backend groups: a locality per group (named after it), weighted by
   * the group's weight; groups without endpoints are left out.
   */
  static ClusterLoadAssignment weightedAssignment(
      String clusterName, List<DestinationSettingIr> groups) {
    ClusterLoadAssignment.Builder cla =
        ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    for (DestinationSettingIr s : groups) {
      if (!s.endpoints().isEmpty()) {
        cla.addEndpoints(
            locality(s)
                .setLocality(
                    io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion(s.name()))
                .setLoadBalancingWeight(Protos.u32(Math.max(1, s.weight()))));
      }
    }
    return cla.build();
  }

  /** The load assignment of one cluster from one backend group. */
  static ClusterLoadAssignment assignment(String clusterName, DestinationSettingIr s) {
    LocalityLbEndpoints.Builder locality = locality(s);
    ClusterLoadAssignment.Builder cla =
        ClusterLoadAssignment.newBuilder().setClusterName(clusterName);
    if (!s.endpoints().isEmpty()) {
      cla.addEndpoints(locality);
    }
    return cla.build();
  }

  private static LocalityLbEndpoints.Builder locality(DestinationSettingIr s) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    for (EndpointIr e : s.endpoints()) {
      locality.addLbEndpoints(
          LbEndpoint.newBuilder()
              .setEndpoint(
                  Endpoint.newBuilder()
                      .setAddress(
                          ListenerXdsTranslator.address(
                              e.host(),
                              e.port(),
                              s.protocol().equalsIgnoreCase("UDP")
                                  ? SocketAddress.Protocol.UDP
                                  : SocketAddress.Protocol.TCP))));
    }
    return locality;
  }
}
