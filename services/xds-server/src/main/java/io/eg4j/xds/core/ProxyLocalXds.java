package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.ads;
import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.UInt64Value;
import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.health_check.v3.HealthCheck;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.LocalityLbConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The resources a Kubernetes proxy fleet gets besides its Gateway's own: the readiness listener and
 * the local cluster (the fleet's own endpoints), both as Envoy Gateway serves them.
 */
final class ProxyLocalXds {
  private ProxyLocalXds() {}

  /** The name of the readiness listener. */
  static String readyName(XdsIr.ReadyListenerIr r) {
    return "envoy-gateway-proxy-ready-" + r.address() + "-" + r.port();
  }

  /**
   * The readiness listener: the health check filter answers the readiness path with 200 while Envoy
   * is not draining (503 once it drains); any other request gets 500. It skips the overload manager
   * so that a loaded proxy still answers its probe.
   */
  static Listener readyListener(XdsIr.ReadyListenerIr r) {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("eg-ready-http")
            .setRouteConfig(
                RouteConfiguration.newBuilder()
                    .setName("ready_route")
                    .addVirtualHosts(
                        VirtualHost.newBuilder()
                            .setName("ready_route")
                            .addDomains("*")
                            .addRoutes(
                                Route.newBuilder()
                                    .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                    .setDirectResponse(
                                        DirectResponseAction.newBuilder().setStatus(500)))))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.health_check")
                    .setTypedConfig(
                        any(
                            HealthCheck.newBuilder()
                                .setPassThroughMode(
                                    com.google.protobuf.BoolValue.newBuilder().setValue(false))
                                .addHeaders(
                                    HeaderMatcher.newBuilder()
                                        .setName(":path")
                                        .setStringMatch(
                                            StringMatcher.newBuilder().setExact(r.path())))
                                .build())))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.router")
                    .setTypedConfig(any(Router.newBuilder().setSuppressEnvoyHeaders(true).build())))
            .build();
    return Listener.newBuilder()
        .setName(readyName(r))
        .setAddress(
            ListenerXdsTranslator.address(r.address(), r.port(), SocketAddress.Protocol.TCP))
        .setBypassOverloadManager(true)
        .addFilterChains(
            FilterChain.newBuilder()
                .addFilters(
                    Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager")
                        .setTypedConfig(any(hcm))))
        .build();
  }

  /** The local cluster's name: the IR key. */
  static String localClusterName(XdsIr ir) {
    return ir.key();
  }

  /** The local cluster: EDS, least request with zone-aware routing, Envoy Gateway's defaults. */
  static Cluster localCluster(XdsIr ir) {
    XdsIr.LocalClusterIr lc = ir.localCluster();
    LeastRequest lr =
        LeastRequest.newBuilder()
            .setLocalityLbConfig(
                LocalityLbConfig.newBuilder()
                    .setZoneAwareLbConfig(
                        LocalityLbConfig.ZoneAwareLbConfig.newBuilder()
                            .setMinClusterSize(UInt64Value.of(1))))
            .build();
    return Cluster.newBuilder()
        .setName(localClusterName(ir))
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(
            Cluster.EdsClusterConfig.newBuilder()
                .setEdsConfig(ads())
                .setServiceName(localClusterName(ir)))
        .setConnectTimeout(Protos.seconds(10))
        .setPerConnectionBufferLimitBytes(Protos.u32(32768))
        .setDnsLookupFamily(Cluster.DnsLookupFamily.V4_PREFERRED)
        .setIgnoreHealthOnHostRemoval(true)
        .setCommonLbConfig(Cluster.CommonLbConfig.getDefaultInstance())
        .setLoadBalancingPolicy(
            LoadBalancingPolicy.newBuilder()
                .addPolicies(
                    LoadBalancingPolicy.Policy.newBuilder()
                        .setTypedExtensionConfig(
                            TypedExtensionConfig.newBuilder()
                                .setName("envoy.load_balancing_policies.least_request")
                                .setTypedConfig(any(lr)))))
        .setCircuitBreakers(
            CircuitBreakers.newBuilder()
                .addThresholds(
                    CircuitBreakers.Thresholds.newBuilder().setMaxRetries(Protos.u32(1024))))
        .setMetadata(metadata(lc, firstPort(lc)))
        .build();
  }

  /** The local cluster's endpoints, one locality per zone. */
  static ClusterLoadAssignment localAssignment(XdsIr ir) {
    XdsIr.LocalClusterIr lc = ir.localCluster();
    Map<String, LocalityLbEndpoints.Builder> byZone = new TreeMap<>();
    for (XdsIr.ZonedEndpointIr e : lc.endpoints()) {
      String zone = Objects.requireNonNullElse(e.zone(), "");
      byZone
          .computeIfAbsent(
              zone,
              z -> {
                LocalityLbEndpoints.Builder b =
                    LocalityLbEndpoints.newBuilder().setMetadata(metadata(lc, e.port()));
                if (!z.isEmpty()) {
                  b.setLocality(Locality.newBuilder().setZone(z));
                }
                return b;
              })
          .addLbEndpoints(
              LbEndpoint.newBuilder()
                  .setEndpoint(
                      Endpoint.newBuilder()
                          .setAddress(
                              ListenerXdsTranslator.address(
                                  e.host(), e.port(), SocketAddress.Protocol.TCP)))
                  .setLoadBalancingWeight(Protos.u32(1)));
    }
    ClusterLoadAssignment.Builder cla =
        ClusterLoadAssignment.newBuilder().setClusterName(localClusterName(ir));
    byZone.values().forEach(cla::addEndpoints);
    return cla.build();
  }

  private static Integer firstPort(XdsIr.LocalClusterIr lc) {
    return lc.endpoints().isEmpty() ? null : lc.endpoints().get(0).port();
  }

  /** The Service behind the fleet, in Envoy Gateway's resource metadata. */
  private static Metadata metadata(XdsIr.LocalClusterIr lc, Integer port) {
    java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
    fields.put("kind", "Service");
    fields.put("name", lc.serviceName());
    fields.put("namespace", lc.serviceNamespace());
    if (port != null) {
      fields.put("sectionName", port.toString());
    }
    return ClusterMetadata.resource(fields);
  }
}
