package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cluster and endpoint translators reuse the Cluster and ClusterLoadAssignment made from an
 * equal cluster reference in their last translation of a key: what they return must always be what
 * fresh translators return, whatever they translated before, and only what changed is made again.
 */
class ClusterReuseTest {
  private static final String SLOW = "httproute/default/slow/rule/0";

  @Test
  void everyCaseAfterEveryOtherUnderOneKeyIsWhatFreshTranslatorsGive() throws Exception {
    ClusterXdsTranslator clusters = new ClusterXdsTranslator();
    EndpointXdsTranslator endpoints = new EndpointXdsTranslator();
    XdsTranslator whole = new XdsTranslator();
    List<String> names = XdsGoldenCases.names();
    // Each case follows another under the same key, both ways round, and itself.
    for (int i = 0; i < names.size(); i++) {
      for (String name : List.of(names.get(i), names.get((i + 1) % names.size()), names.get(i))) {
        XdsIr ir = XdsGoldenCases.read(name).withKey("shared");
        assertThat(clusters.translate(ir))
            .as(name)
            .isEqualTo(new ClusterXdsTranslator().translate(ir));
        assertThat(endpoints.translate(ir))
            .as(name)
            .isEqualTo(new EndpointXdsTranslator().translate(ir));
        assertThat(whole.translate(ir)).as(name).isEqualTo(new XdsTranslator().translate(ir));
      }
    }
  }

  @Test
  void aChangedClusterIsMadeAgainAndTheOthersAreReused() throws Exception {
    ClusterXdsTranslator t = new ClusterXdsTranslator();
    XdsIr before = XdsGoldenCases.read("backend-traffic-features");
    XdsIr after =
        XdsGoldenCases.read(
            "backend-traffic-features", "          millis: 30000\n", "          millis: 20000\n");
    List<Cluster> first = t.translate(before);
    List<Cluster> second = t.translate(after);
    assertThat(second).isEqualTo(new ClusterXdsTranslator().translate(after));
    assertThat(second).hasSameSizeAs(first).hasSizeGreaterThan(2);
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i).getName()).isEqualTo(first.get(i).getName());
      if (second.get(i).getName().equals(SLOW)) {
        // The slow start window changed: this cluster is made again.
        assertThat(second.get(i)).isNotEqualTo(first.get(i));
      } else {
        assertThat(second.get(i)).as(second.get(i).getName()).isSameAs(first.get(i));
      }
    }
  }

  @Test
  void aChangedAssignmentIsMadeAgainAndTheOthersAreReused() throws Exception {
    EndpointXdsTranslator t = new EndpointXdsTranslator();
    XdsIr before = XdsGoldenCases.read("backend-traffic-features");
    String slowBackend = "          port: 8080\n        name: " + SLOW + "/backend/0\n";
    XdsIr after =
        XdsGoldenCases.read(
            "backend-traffic-features",
            slowBackend,
            slowBackend.replace("port: 8080", "port: 8081"));
    List<ClusterLoadAssignment> first = t.translate(before);
    List<ClusterLoadAssignment> second = t.translate(after);
    assertThat(second).isEqualTo(new EndpointXdsTranslator().translate(after));
    assertThat(second).hasSameSizeAs(first).hasSizeGreaterThan(2);
    for (int i = 0; i < first.size(); i++) {
      if (second.get(i).getClusterName().equals(SLOW)) {
        assertThat(second.get(i)).isNotEqualTo(first.get(i));
      } else {
        assertThat(second.get(i)).as(second.get(i).getClusterName()).isSameAs(first.get(i));
      }
    }
  }

  @Test
  void aForgottenKeyStartsAfresh() throws Exception {
    XdsTranslator t = new XdsTranslator();
    XdsIr ir = XdsGoldenCases.read("backend-traffic-features");
    XdsResources first = t.translate(ir);
    XdsResources again = t.translate(ir);
    assertThat(again.clusters().get(0)).isSameAs(first.clusters().get(0));
    assertThat(again.endpoints().get(0)).isSameAs(first.endpoints().get(0));
    t.forget(ir.key());
    XdsResources fresh = t.translate(ir);
    assertThat(fresh.clusters().get(0))
        .isEqualTo(first.clusters().get(0))
        .isNotSameAs(first.clusters().get(0));
    assertThat(fresh.endpoints().get(0))
        .isEqualTo(first.endpoints().get(0))
        .isNotSameAs(first.endpoints().get(0));
  }
}
