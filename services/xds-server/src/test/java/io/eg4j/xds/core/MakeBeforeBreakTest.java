package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The make-before-break steps of {@link XdsSnapshots#nextStep}: what Envoy sees, in order. */
class MakeBeforeBreakTest {
  final XdsTranslator translator = new XdsTranslator();

  XdsResources routeTo(String cluster, int port) {
    return translator.translate(
        new XdsIr(
            "default/eg",
            List.of(
                new HttpListenerIr(
                    "default/eg/http",
                    null,
                    10080,
                    80,
                    List.of("*"),
                    null,
                    List.of(Ir.route("r").prefix("/").to(Ir.dest(cluster, "HTTP", port)).build()),
                    null)),
            List.of(),
            List.of(),
            List.of()));
  }

  static List<String> clusters(XdsResources r) {
    return r.clusters().stream().map(Cluster::getName).toList();
  }

  static String routeCluster(XdsResources r) {
    return r.routes().get(0).getVirtualHosts(0).getRoutes(0).getRoute().getCluster();
  }

  @Test
  void nothingServedYetGoesStraightToTheDesiredState() {
    XdsResources desired = routeTo("a", 1);
    XdsSnapshots.Step s = XdsSnapshots.nextStep(null, desired);
    assertThat(s.resources()).isEqualTo(desired);
    assertThat(s.ackTypes()).isEmpty();
  }

  @Test
  void swappingClustersAddsFirstSwitchesRoutesThenRemoves() {
    XdsResources old = routeTo("a", 1);
    XdsResources desired = routeTo("b", 2);

    XdsSnapshots.Step add = XdsSnapshots.nextStep(old, desired);
    assertThat(clusters(add.resources())).containsExactly("a", "b");
    assertThat(routeCluster(add.resources())).isEqualTo("a");
    assertThat(add.resources().endpoints()).hasSize(2);
    assertThat(add.ackTypes())
        .containsExactly(Resources.V3.CLUSTER_TYPE_URL, Resources.V3.ENDPOINT_TYPE_URL);

    XdsSnapshots.Step switchRoutes = XdsSnapshots.nextStep(add.resources(), desired);
    assertThat(clusters(switchRoutes.resources())).containsExactly("a", "b");
    assertThat(routeCluster(switchRoutes.resources())).isEqualTo("b");
    assertThat(switchRoutes.ackTypes())
        .containsExactly(Resources.V3.LISTENER_TYPE_URL, Resources.V3.ROUTE_TYPE_URL);

    XdsSnapshots.Step remove = XdsSnapshots.nextStep(switchRoutes.resources(), desired);
    assertThat(remove.resources()).isEqualTo(desired);
    assertThat(remove.ackTypes()).isEmpty();
  }

  @Test
  void anEndpointChangeIsOneStep() {
    XdsResources old = routeTo("a", 1);
    XdsResources desired = routeTo("a", 2);
    XdsSnapshots.Step s = XdsSnapshots.nextStep(old, desired);
    assertThat(s.resources()).isEqualTo(desired);
  }
}
