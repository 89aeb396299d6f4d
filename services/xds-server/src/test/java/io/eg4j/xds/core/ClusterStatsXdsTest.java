package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.TelemetryIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stats of the EnvoyProxy {@code telemetry.metrics} in the xDS configuration: cluster stat
 * names, per-endpoint and size stats on route clusters, one virtual cluster per virtual host.
 */
class ClusterStatsXdsTest {
  final XdsTranslator translator = new XdsTranslator();

  private XdsResources translate(TelemetryIr.MetricsIr metrics, String statName) {
    var routes =
        List.of(
            Ir.route("r")
                .host("www.example.com")
                .prefix("/")
                .to(Ir.dest("httproute/default/r/rule/0", "HTTP", 9000).withStatName(statName))
                .build(),
            Ir.route("w")
                .host("*.example.org")
                .prefix("/")
                .to(Ir.dest("httproute/default/w/rule/0", "HTTP", 9001))
                .build());
    XdsIr ir =
        new XdsIr(
            "default/eg",
            List.of(
                new HttpListenerIr(
                    "default/eg/http", null, 10080, 80, List.of("*"), null, routes, null)),
            List.of(),
            List.of(),
            List.of(),
            null,
            null,
            List.of(),
            metrics == null ? null : new TelemetryIr(null, null, metrics, null),
            null);
    return translator.translate(ir);
  }

  private static Cluster cluster(XdsResources r, String name) {
    return r.clusters().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
  }

  private static List<VirtualHost> vhosts(XdsResources r) {
    return r.routes().stream().flatMap(rc -> rc.getVirtualHostsList().stream()).toList();
  }

  @Test
  void defaultsAddNoStatsSettings() {
    XdsResources r = translate(null, null);
    Cluster c = cluster(r, "httproute/default/r/rule/0");
    assertThat(c.getAltStatName()).isEmpty();
    assertThat(c.hasTrackClusterStats()).isFalse();
    assertThat(vhosts(r)).allMatch(v -> v.getVirtualClustersCount() == 0);
  }

  @Test
  void theStatNameGoesToItsClusterOnly() {
    XdsResources r = translate(null, "httproute/default/r/0");
    assertThat(cluster(r, "httproute/default/r/rule/0").getAltStatName())
        .isEqualTo("httproute/default/r/0");
    assertThat(cluster(r, "httproute/default/w/rule/0").getAltStatName()).isEmpty();
  }

  @Test
  void perEndpointAndSizeStatsGoToEveryRouteCluster() {
    XdsResources r = translate(new TelemetryIr.MetricsIr(false, true, true), null);
    for (String name : List.of("httproute/default/r/rule/0", "httproute/default/w/rule/0")) {
      Cluster c = cluster(r, name);
      assertThat(c.getTrackClusterStats().getPerEndpointStats()).as(name).isTrue();
      assertThat(c.getTrackClusterStats().getRequestResponseSizes()).as(name).isTrue();
    }
    XdsResources sizesOnly = translate(new TelemetryIr.MetricsIr(false, false, true), null);
    Cluster c = cluster(sizesOnly, "httproute/default/r/rule/0");
    assertThat(c.getTrackClusterStats().getPerEndpointStats()).isFalse();
    assertThat(c.getTrackClusterStats().getRequestResponseSizes()).isTrue();
  }

  @Test
  void virtualHostStatsAddOneVirtualClusterPerHost() {
    XdsResources r = translate(new TelemetryIr.MetricsIr(true, false, false), null);
    RouteConfiguration rc = r.routes().get(0);
    VirtualHost www =
        rc.getVirtualHostsList().stream()
            .filter(v -> v.getDomainsList().contains("www.example.com"))
            .findFirst()
            .orElseThrow();
    assertThat(www.getVirtualClustersList()).singleElement();
    var vc = www.getVirtualClusters(0);
    assertThat(vc.getName()).isEqualTo("www_example_com");
    assertThat(vc.getHeaders(0).getName()).isEqualTo(":authority");
    assertThat(vc.getHeaders(0).getStringMatch().getPrefix()).isEqualTo("www.example.com");
    VirtualHost wildcard =
        rc.getVirtualHostsList().stream()
            .filter(v -> v.getDomainsList().contains("*.example.org"))
            .findFirst()
            .orElseThrow();
    assertThat(wildcard.getVirtualClusters(0).getName()).isEqualTo("*_example_org");
    assertThat(wildcard.getVirtualClusters(0).getHeaders(0).getPresentMatch()).isTrue();
  }
}
