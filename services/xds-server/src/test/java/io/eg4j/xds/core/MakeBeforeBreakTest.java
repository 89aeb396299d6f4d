package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The make-before-break steps of {@link XdsSnapshots#nextStep}: what Envoy sees, in order. */
class MakeBeforeBreakTest {
  final XdsTranslator translator = new XdsTranslator();

  XdsResources routeTo(String cluster, int port) {
    return routeTo(cluster, port, "/");
  }

  XdsResources routeTo(String cluster, int port, String prefix) {
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
                    List.of(
                        Ir.route("r").prefix(prefix).to(Ir.dest(cluster, "HTTP", port)).build()),
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
    // Envoy sends the CDS ACK only once every cluster is warm (its endpoints arrived): that ACK
    // alone lets the routes switch.
    assertThat(add.ackTypes()).containsExactly(Resources.V3.CLUSTER_TYPE_URL);

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
  void everyStepCarriesTheVersionsOfItsOwnResources() {
    // The stepper serves a step under the versions the step names, taken from the served and
    // desired versions where the step's lists are theirs: they must be what hashing the step's
    // resources gives, at every step of every walk.
    List<XdsResources> states =
        List.of(routeTo("a", 1), routeTo("b", 2), routeTo("a", 2), routeTo("b", 1));
    for (XdsResources from : states) {
      for (XdsResources to : states) {
        XdsResources served = from;
        for (int i = 0; i < 4; i++) {
          XdsSnapshots.Step s = XdsSnapshots.nextStep(served, to);
          assertThat(s.versions())
              .as("step %d from %s to %s", i, clusters(from), clusters(to))
              .isEqualTo(XdsSnapshots.Versions.of(s.resources()));
          served = s.resources();
        }
        assertThat(served).isEqualTo(to);
      }
    }
    XdsSnapshots.Step first = XdsSnapshots.nextStep(null, routeTo("a", 1));
    assertThat(first.versions()).isEqualTo(XdsSnapshots.Versions.of(routeTo("a", 1)));
  }

  @Test
  void anEndpointChangeIsOneStep() {
    XdsResources old = routeTo("a", 1);
    XdsResources desired = routeTo("a", 2);
    XdsSnapshots.Step s = XdsSnapshots.nextStep(old, desired);
    assertThat(s.resources()).isEqualTo(desired);
  }

  private static final List<String> TYPES =
      List.of(
          Resources.V3.CLUSTER_TYPE_URL,
          Resources.V3.ENDPOINT_TYPE_URL,
          Resources.V3.LISTENER_TYPE_URL,
          Resources.V3.ROUTE_TYPE_URL);

  /** One state-of-the-world stream of an Envoy of {@code key}, subscribed to every type. */
  private static void connect(DiscoveryServerCallbacks cb, String key) throws Exception {
    cb.onStreamOpen(1, "");
    Node node = Node.newBuilder().setId("envoy").setCluster(key).build();
    for (String type : TYPES) {
      cb.onV3StreamRequest(1, DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(type).build());
    }
  }

  /** The Envoy acknowledges what is served now, for the given types. */
  private static void ack(DiscoveryServerCallbacks cb, Snapshot served, List<String> types)
      throws Exception {
    for (String type : types) {
      cb.onV3StreamRequest(
          1,
          DiscoveryRequest.newBuilder()
              .setTypeUrl(type)
              .setVersionInfo(served.version(type))
              .setResponseNonce("n")
              .build());
    }
  }

  private static String servedRouteCluster(XdsSnapshots s, String key) {
    return s.cache()
        .getSnapshot(key)
        .routes()
        .resources()
        .values()
        .iterator()
        .next()
        .getVirtualHosts(0)
        .getRoutes(0)
        .getRoute()
        .getCluster();
  }

  @Test
  void aChangeArrivingWhileAddedClustersAwaitTheirAcksWaitsForThem() throws Exception {
    String key = "default/eg";
    try (XdsSnapshots s = new XdsSnapshots(XdsEvents.NONE, Duration.ofSeconds(60))) {
      DiscoveryServerCallbacks cb = s.callbacks();
      connect(cb, key);
      s.update(key, routeTo("a", 1));
      XdsSnapshotsTest.awaitSettled(s, key);
      ack(cb, s.cache().getSnapshot(key), TYPES);

      // Cluster b is added beside a; the route stays on a until Envoy acknowledges b.
      s.update(key, routeTo("b", 2));
      for (int i = 0;
          i < 500 && !s.cache().getSnapshot(key).clusters().resources().containsKey("b");
          i++) {
        Thread.sleep(10);
      }
      Snapshot addStep = s.cache().getSnapshot(key);
      assertThat(addStep.clusters().resources().keySet()).containsExactlyInAnyOrder("a", "b");
      assertThat(servedRouteCluster(s, key)).isEqualTo("a");

      // Before the ACKs, the route to b changes again without adding a cluster: b may still be
      // warming in Envoy, so routes must not point at it yet.
      s.update(key, routeTo("b", 2, "/v2"));
      for (int i = 0; i < 30; i++) {
        Thread.sleep(10);
        assertThat(servedRouteCluster(s, key)).as("route while b is unacknowledged").isEqualTo("a");
      }
      assertThat(s.settled(key)).isFalse();

      // Envoy acknowledges b, which it does once b is warm: the route switches, then a goes.
      ack(cb, addStep, List.of(Resources.V3.CLUSTER_TYPE_URL));
      for (int i = 0; i < 500 && !"b".equals(servedRouteCluster(s, key)); i++) {
        Thread.sleep(10);
      }
      assertThat(servedRouteCluster(s, key)).isEqualTo("b");
      ack(cb, s.cache().getSnapshot(key), TYPES);
      XdsSnapshotsTest.awaitSettled(s, key);
      assertThat(s.cache().getSnapshot(key).clusters().resources().keySet()).containsExactly("b");
    }
  }
}
