package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.LoadBalancerIr;
import io.eg4j.model.ir.ClusterSettingsIr.PreferLocalIr;
import io.eg4j.model.ir.ClusterSettingsIr.WeightedZoneIr;
import io.eg4j.model.ir.ClusterSettingsIr.ZoneAwareIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Zone-aware load balancing and endpoint override: the cluster's policy and its EDS localities. */
class ZoneAwareLoadBalancingTest {
  private static final ZoneAwareIr WEIGHTED =
      new ZoneAwareIr(
          null,
          List.of(new WeightedZoneIr("us-east-1a", 70), new WeightedZoneIr("us-east-1b", 20)));

  private static Cluster cluster(LoadBalancerIr lb) {
    Cluster.Builder c =
        Cluster.newBuilder().setName("c").setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
    ClusterSettingsXds.apply(
        c,
        new ClusterSettingsIr(
            null, null, null, lb, null, null, null, null, null, null, null, null, false, null, null,
            null, null, null, null, null, null, null),
        false);
    return c.build();
  }

  private static Any policy(Cluster c) {
    assertThat(c.getLoadBalancingPolicy().getPoliciesCount()).isEqualTo(1);
    return c.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig().getTypedConfig();
  }

  @Test
  void weightedZonesPickLocalitiesByWeight() throws Exception {
    Cluster c =
        cluster(new LoadBalancerIr("RoundRobin", null, null, null, WEIGHTED, List.of(), null));
    RoundRobin rr = policy(c).unpack(RoundRobin.class);
    assertThat(rr.getLocalityLbConfig().hasLocalityWeightedLbConfig()).isTrue();
    assertThat(c.getCommonLbConfig().hasLocalityWeightedLbConfig()).isFalse();
  }

  @Test
  void preferLocalIsEnvoysZoneAwareRouting() throws Exception {
    Cluster c =
        cluster(
            new LoadBalancerIr(
                "LeastRequest",
                null,
                null,
                null,
                new ZoneAwareIr(new PreferLocalIr(null, 50, null), List.of()),
                List.of(),
                null));
    LeastRequest lr = policy(c).unpack(LeastRequest.class);
    var z = lr.getLocalityLbConfig().getZoneAwareLbConfig();
    assertThat(z.getMinClusterSize().getValue()).isEqualTo(6);
    assertThat(z.getRoutingEnabled().getValue()).isEqualTo(50.0);
  }

  @Test
  void forcedLocalZoneGoesAsATypedStructWithTheField() {
    Cluster c =
        cluster(
            new LoadBalancerIr(
                "RoundRobin",
                null,
                null,
                null,
                new ZoneAwareIr(new PreferLocalIr(1L, null, 2), List.of()),
                List.of(),
                null));
    assertThat(Protos.json(c)).contains("\"force_local_zone\"").contains("\"min_size\": 2");
  }

  @Test
  void backendUtilizationWithZonesIsWrappedInWrrLocality() throws Exception {
    Cluster c =
        cluster(
            new LoadBalancerIr(
                "BackendUtilization",
                null,
                null,
                new ClusterSettingsIr.BackendUtilizationIr(
                    null, null, null, null, List.of(), false, null),
                WEIGHTED,
                List.of(),
                null));
    WrrLocality w = policy(c).unpack(WrrLocality.class);
    assertThat(
            w.getEndpointPickingPolicy()
                .getPolicies(0)
                .getTypedExtensionConfig()
                .getTypedConfig()
                .is(ClientSideWeightedRoundRobin.class))
        .isTrue();
  }

  @Test
  void endpointOverrideFallsBackToTheBalancer() {
    Cluster c =
        cluster(
            new LoadBalancerIr(
                "RoundRobin", null, null, null, null, List.of("x-custom-host", "x-other"), null));
    var ext = c.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig();
    assertThat(ext.getName()).isEqualTo("envoy.load_balancing_policies.override_host");
    assertThat(ext.getTypedConfig().getTypeUrl())
        .endsWith("envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost");
    String json = Protos.json(c);
    assertThat(json)
        .contains("\"header\": \"x-custom-host\"")
        .contains("\"header\": \"x-other\"")
        .contains("\"fallback_policy\"")
        .contains("envoy.load_balancing_policies.round_robin");
  }

  @Test
  void withoutZonesOrOverrideTheLegacyFieldsStay() {
    Cluster c = cluster(new LoadBalancerIr("Random", null, null, null, null, List.of(), null));
    assertThat(c.hasLoadBalancingPolicy()).isFalse();
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RANDOM);
  }

  @Test
  void endpointsAreGroupedByZoneWithTheZoneWeights() {
    DestinationSettingIr s =
        new DestinationSettingIr(
            "b",
            1,
            "HTTP",
            "IP",
            List.of(
                new EndpointIr("10.0.0.1", 80, "us-east-1a"),
                new EndpointIr("10.0.0.2", 80, "us-east-1b"),
                new EndpointIr("10.0.0.3", 80, "eu-west-1a"),
                new EndpointIr("10.0.0.4", 80, null),
                new EndpointIr("10.0.0.5", 80, "us-east-1a")),
            null);
    ClusterLoadAssignment cla = EndpointXdsTranslator.assignment("c", s, WEIGHTED);
    assertThat(cla.getEndpointsList())
        .extracting(l -> l.getLocality().getZone())
        .containsExactly("", "eu-west-1a", "us-east-1a", "us-east-1b");
    assertThat(cla.getEndpointsList())
        .extracting(l -> l.getLoadBalancingWeight().getValue())
        .containsExactly(1, 1, 70, 20);
    assertThat(cla.getEndpoints(2).getLbEndpointsCount()).isEqualTo(2);
    // Without zone-aware balancing: one locality, as before.
    assertThat(EndpointXdsTranslator.assignment("c", s, null).getEndpointsCount()).isEqualTo(1);
  }

  private static ClusterSettingsIr settings(LoadBalancerIr lb) {
    return new ClusterSettingsIr(
        null, null, null, lb, null, null, null, null, null, null, null, null, false, null, null,
        null, null, null, null, null, null, null);
  }

  @Test
  void weightedZonesGiveTheOnlyBackendItsOwnClusterBehindWeightedClusters() {
    DestinationSettingIr s =
        new DestinationSettingIr(
            "rule/0/backend/0",
            1,
            "HTTP",
            "IP",
            List.of(new EndpointIr("10.0.0.1", 80, "us-east-1a")),
            null);
    var plain = new io.eg4j.model.ir.RouteDestinationIr("rule/0", List.of(s), 0);
    var zoned =
        plain.withCluster(
            settings(
                new LoadBalancerIr("RoundRobin", null, null, null, WEIGHTED, List.of(), null)));
    var preferLocal =
        plain.withCluster(
            settings(
                new LoadBalancerIr(
                    "RoundRobin",
                    null,
                    null,
                    null,
                    new ZoneAwareIr(new PreferLocalIr(null, null, null), List.of()),
                    List.of(),
                    null)));
    assertThat(ClusterXdsTranslator.perBackendCluster(plain)).isFalse();
    assertThat(ClusterXdsTranslator.perBackendCluster(preferLocal)).isFalse();
    assertThat(ClusterXdsTranslator.perBackendCluster(zoned)).isTrue();
    assertThat(ClusterXdsTranslator.refs(plain))
        .extracting(r -> r.name())
        .containsExactly("rule/0");
    assertThat(ClusterXdsTranslator.refs(zoned))
        .extracting(r -> r.name())
        .containsExactly("rule/0/backend/0");
    // A filter's single cluster keeps the destination's name: the filter points at it directly.
    assertThat(ClusterXdsTranslator.udpRef(zoned).name()).isEqualTo("rule/0");
  }

  @Test
  void backendUtilizationSlowStartIsPackedUnderTheRealType() throws Exception {
    Cluster c =
        cluster(
            new LoadBalancerIr(
                "BackendUtilization",
                null,
                new io.eg4j.model.ir.DurationIr(300_000),
                new ClusterSettingsIr.BackendUtilizationIr(
                    new io.eg4j.model.ir.DurationIr(10_000),
                    null,
                    null,
                    100,
                    List.of(),
                    false,
                    null),
                null,
                List.of(),
                null));
    Any p = policy(c);
    // Envoy's own type (not a TypedStruct): the generated class reads it, the slow start (field 8,
    // newer than those protos) travels as a field Envoy knows.
    assertThat(p.is(ClientSideWeightedRoundRobin.class)).isTrue();
    ClientSideWeightedRoundRobin w = p.unpack(ClientSideWeightedRoundRobin.class);
    assertThat(w.getBlackoutPeriod().getSeconds()).isEqualTo(10);
    assertThat(w.getErrorUtilizationPenalty().getValue()).isEqualTo(1.0f);
    var slow =
        io.envoyproxy.envoy.extensions.load_balancing_policies.common.v3.SlowStartConfig.parseFrom(
            w.getUnknownFields().getField(8).getLengthDelimitedList().get(0));
    assertThat(slow.getSlowStartWindow().getSeconds()).isEqualTo(300);
    assertThat(Protos.json(c)).contains("\"slow_start_window\": \"300s\"");
    // Without a slow start there is no field 8.
    Cluster plain =
        cluster(
            new LoadBalancerIr(
                "BackendUtilization",
                null,
                null,
                new ClusterSettingsIr.BackendUtilizationIr(
                    null, null, null, null, List.of(), false, null),
                null,
                List.of(),
                null));
    assertThat(
            policy(plain).unpack(ClientSideWeightedRoundRobin.class).getUnknownFields().hasField(8))
        .isFalse();
  }
}
