package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.Any;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.UInt64Value;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.LoadBalancerIr;
import io.eg4j.model.ir.ClusterSettingsIr.ZoneAwareIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.LoadBalancingPolicy;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.LocalityLbConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.SlowStartConfig;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.maglev.v3.Maglev;
import io.envoyproxy.envoy.extensions.load_balancing_policies.random.v3.Random;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;

/**
 * The load balancer as a typed {@code load_balancing_policy}, as Envoy Gateway builds it when a
 * policy sets zone-aware balancing or an endpoint override:
 *
 * <ul>
 *   <li>zone-aware: the balancer's {@code locality_lb_config} is Envoy's zone-aware routing ({@code
 *       preferLocal}) or locality-weighted picking ({@code weightedZones}, the zones' weights being
 *       on the EDS localities, see {@link EndpointXdsTranslator}); a BackendUtilization balancer is
 *       wrapped in {@code wrr_locality} for the zone weights;
 *   <li>endpoint override: Envoy's {@code override_host} policy sends a request to the endpoint a
 *       request header names when it is healthy, and falls back to the balancer otherwise.
 * </ul>
 */
final class LoadBalancingPolicyXds {
  private LoadBalancingPolicyXds() {}

  /** True when the balancer needs this typed policy (the legacy fields cannot express it). */
  static boolean needed(LoadBalancerIr lb) {
    return lb != null && (lb.zoneAware() != null || !lb.overrideHeaders().isEmpty());
  }

  /** Sets the cluster's load balancing policy for {@code lb} ({@link #needed} is true). */
  static void apply(Cluster.Builder c, LoadBalancerIr lb, Any backendUtilization) {
    TypedExtensionConfig base = base(lb, backendUtilization);
    TypedExtensionConfig policy =
        lb.overrideHeaders().isEmpty() ? base : overrideHost(lb.overrideHeaders(), base);
    c.clearLbPolicy();
    c.clearRoundRobinLbConfig().clearLeastRequestLbConfig().clearMaglevLbConfig();
    // The locality settings live in the policy; the cluster's own would conflict with them.
    c.setCommonLbConfig(
        c.getCommonLbConfig().toBuilder().clearLocalityWeightedLbConfig().clearZoneAwareLbConfig());
    c.setLoadBalancingPolicy(
        LoadBalancingPolicy.newBuilder()
            .addPolicies(LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(policy)));
  }

  private static TypedExtensionConfig base(LoadBalancerIr lb, Any backendUtilization) {
    ZoneAwareIr zones = lb.zoneAware();
    LocalityLbConfig locality = locality(zones);
    SlowStartConfig slow =
        lb.slowStartWindow() == null
            ? null
            : SlowStartConfig.newBuilder()
                .setSlowStartWindow(Protos.millis(lb.slowStartWindow().millis()))
                .build();
    switch (lb.type()) {
      case "BackendUtilization" -> {
        TypedExtensionConfig cswrr =
            ext(
                "envoy.load_balancing_policies.client_side_weighted_round_robin",
                backendUtilization);
        if (zones == null) {
          return cswrr;
        }
        // Client-side weighted round robin picks within a locality; wrr_locality picks the
        // locality by its EDS weight first.
        return ext(
            "envoy.load_balancing_policies.wrr_locality",
            any(
                WrrLocality.newBuilder()
                    .setEndpointPickingPolicy(
                        LoadBalancingPolicy.newBuilder()
                            .addPolicies(
                                LoadBalancingPolicy.Policy.newBuilder()
                                    .setTypedExtensionConfig(cswrr)))
                    .build()));
      }
      case "ConsistentHash" -> {
        Maglev.Builder m = Maglev.newBuilder();
        if (lb.hashTableSize() != null) {
          m.setTableSize(UInt64Value.of(lb.hashTableSize()));
        }
        if (zones != null) {
          // Only weighted zones reach a consistent-hash balancer (the translator refuses the
          // others).
          m.setLocalityWeightedLbConfig(
              LocalityLbConfig.LocalityWeightedLbConfig.getDefaultInstance());
        }
        return ext("envoy.load_balancing_policies.maglev", any(m.build()));
      }
      case "RoundRobin" -> {
        RoundRobin.Builder r = RoundRobin.newBuilder();
        if (locality != null) {
          r.setLocalityLbConfig(locality);
        }
        if (slow != null) {
          r.setSlowStartConfig(slow);
        }
        return ext("envoy.load_balancing_policies.round_robin", localityAny(r.build(), zones));
      }
      case "Random" -> {
        Random.Builder r = Random.newBuilder();
        if (locality != null) {
          r.setLocalityLbConfig(locality);
        }
        return ext("envoy.load_balancing_policies.random", localityAny(r.build(), zones));
      }
      default -> {
        LeastRequest.Builder r = LeastRequest.newBuilder();
        if (locality != null) {
          r.setLocalityLbConfig(locality);
        }
        if (slow != null) {
          r.setSlowStartConfig(slow);
        }
        return ext("envoy.load_balancing_policies.least_request", localityAny(r.build(), zones));
      }
    }
  }

  /** The locality settings of round robin, least request and random balancers, or null. */
  private static LocalityLbConfig locality(ZoneAwareIr zones) {
    if (zones == null) {
      return null;
    }
    ClusterSettingsIr.PreferLocalIr p = zones.preferLocal();
    if (p == null) {
      return LocalityLbConfig.newBuilder()
          .setLocalityWeightedLbConfig(
              LocalityLbConfig.LocalityWeightedLbConfig.getDefaultInstance())
          .build();
    }
    LocalityLbConfig.ZoneAwareLbConfig.Builder z =
        LocalityLbConfig.ZoneAwareLbConfig.newBuilder()
            .setMinClusterSize(
                UInt64Value.of(p.minEndpointsThreshold() == null ? 6 : p.minEndpointsThreshold()));
    if (p.percentageEnabled() != null) {
      z.setRoutingEnabled(
          io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(p.percentageEnabled()));
    }
    return LocalityLbConfig.newBuilder().setZoneAwareLbConfig(z).build();
  }

  /**
   * Packs a balancer; forcing the local zone is a field newer than the protos eg4j builds with, so
   * that balancer goes as a TypedStruct Envoy reads with its own descriptors.
   */
  private static Any localityAny(com.google.protobuf.Message m, ZoneAwareIr zones) {
    if (zones == null
        || zones.preferLocal() == null
        || zones.preferLocal().forceMinEndpointsInZone() == null) {
      return any(m);
    }
    int min = zones.preferLocal().forceMinEndpointsInZone();
    return Protos.anyWithFields(
        m,
        n ->
            n.with("locality_lb_config")
                .with("zone_aware_lb_config")
                .putObject("force_local_zone")
                .put("min_size", min));
  }

  private static TypedExtensionConfig ext(String name, Any config) {
    return TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(config).build();
  }

  // Envoy's override_host policy (envoy.extensions.load_balancing_policies.override_host.v3) is
  // newer than the protos eg4j builds with: its descriptor is declared here, field for field as in
  // Envoy's override_host.proto, so the policy is packed with its own type (Envoy checks it).
  private static final Descriptors.Descriptor OVERRIDE_HOST;
  private static final Descriptors.Descriptor OVERRIDE_HOST_SOURCE;

  static {
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName(
                "eg4j/envoy/extensions/load_balancing_policies/override_host/v3/override_host.proto")
            .setPackage("envoy.extensions.load_balancing_policies.override_host.v3")
            .setSyntax("proto3")
            .addDependency(LoadBalancingPolicy.getDescriptor().getFile().getName())
            .addMessageType(
                DescriptorProto.newBuilder()
                    .setName("OverrideHost")
                    .addNestedType(
                        DescriptorProto.newBuilder()
                            .setName("OverrideHostSource")
                            .addField(
                                FieldDescriptorProto.newBuilder()
                                    .setName("header")
                                    .setJsonName("header")
                                    .setNumber(1)
                                    .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
                                    .setType(FieldDescriptorProto.Type.TYPE_STRING)))
                    .addField(
                        FieldDescriptorProto.newBuilder()
                            .setName("override_host_sources")
                            .setJsonName("overrideHostSources")
                            .setNumber(1)
                            .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)
                            .setType(FieldDescriptorProto.Type.TYPE_MESSAGE)
                            .setTypeName(
                                ".envoy.extensions.load_balancing_policies.override_host.v3"
                                    + ".OverrideHost.OverrideHostSource"))
                    .addField(
                        FieldDescriptorProto.newBuilder()
                            .setName("fallback_policy")
                            .setJsonName("fallbackPolicy")
                            .setNumber(3)
                            .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
                            .setType(FieldDescriptorProto.Type.TYPE_MESSAGE)
                            .setTypeName("." + LoadBalancingPolicy.getDescriptor().getFullName())))
            .build();
    try {
      Descriptors.FileDescriptor fd =
          Descriptors.FileDescriptor.buildFrom(
              file,
              new Descriptors.FileDescriptor[] {LoadBalancingPolicy.getDescriptor().getFile()});
      OVERRIDE_HOST = fd.findMessageTypeByName("OverrideHost");
      OVERRIDE_HOST_SOURCE = OVERRIDE_HOST.findNestedTypeByName("OverrideHostSource");
    } catch (Descriptors.DescriptorValidationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Envoy's override_host policy over {@code fallback}, reading the endpoints from headers. */
  static TypedExtensionConfig overrideHost(
      java.util.List<String> headers, TypedExtensionConfig fallback) {
    DynamicMessage.Builder m = DynamicMessage.newBuilder(OVERRIDE_HOST);
    Descriptors.FieldDescriptor sources = OVERRIDE_HOST.findFieldByName("override_host_sources");
    for (String h : headers) {
      m.addRepeatedField(
          sources,
          DynamicMessage.newBuilder(OVERRIDE_HOST_SOURCE)
              .setField(OVERRIDE_HOST_SOURCE.findFieldByName("header"), h)
              .build());
    }
    m.setField(
        OVERRIDE_HOST.findFieldByName("fallback_policy"),
        LoadBalancingPolicy.newBuilder()
            .addPolicies(LoadBalancingPolicy.Policy.newBuilder().setTypedExtensionConfig(fallback))
            .build());
    return ext("envoy.load_balancing_policies.override_host", any(m.build()));
  }
}
