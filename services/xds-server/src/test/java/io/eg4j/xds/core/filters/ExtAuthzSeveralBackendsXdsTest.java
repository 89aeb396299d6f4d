package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.RouteDestinationIr.UpstreamTlsIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.ClusterXdsTranslator;
import io.eg4j.xds.core.EndpointXdsTranslator;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An authorization service with several backendRefs (SecurityPolicy {@code extAuth}): ext_authz
 * names one cluster, so the backendRefs are that cluster's localities, weighted by their weights,
 * each with its own TLS (a transport socket match per TLS backendRef), as for an external
 * processor.
 */
class ExtAuthzSeveralBackendsXdsTest {
  private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  @Test
  void anAuthorizationServiceWithSeveralBackendRefsIsOneClusterTheFilterNames() throws Exception {
    String name = "securitypolicy/default/auth/extauth/0";
    RouteDestinationIr service =
        new RouteDestinationIr(
            name,
            List.of(
                new DestinationSettingIr(
                    name + "/backend/0",
                    1,
                    "GRPC",
                    "IP",
                    List.of(new EndpointIr("127.0.0.1", 9001)),
                    null),
                new DestinationSettingIr(
                    name + "/backend/1",
                    3,
                    "GRPC",
                    "IP",
                    List.of(new EndpointIr("127.0.0.1", 9002)),
                    UpstreamTlsIr.verified("authz.test", CA, List.of()))));
    io.eg4j.model.ir.security.ExtAuthIr auth =
        new io.eg4j.model.ir.security.ExtAuthIr(
            true,
            service,
            "authz.default:9001",
            null,
            List.of(),
            List.of(),
            0,
            false,
            DurationIr.parse("10s"),
            false,
            0,
            null,
            null,
            null);
    HttpRouteIr route =
        Ir.route("r")
            .to(Ir.dest("httproute/default/app/rule/0", "HTTP", 8080))
            .security(
                new io.eg4j.model.ir.security.SecurityIr(
                    "securitypolicy/default/auth", null, null, null, null, null, auth, null, null))
            .build();
    XdsIr ir =
        new XdsIr(
            "default/eg",
            List.of(
                new HttpListenerIr(
                    "default/eg/http",
                    "0.0.0.0",
                    10080,
                    80,
                    List.of("*"),
                    null,
                    List.of(route),
                    null)),
            List.of(),
            List.of(),
            List.of());
    assertThat(ExtAuthzFilterXds.config(auth).getGrpcService().getEnvoyGrpc().getClusterName())
        .isEqualTo(name);
    List<Cluster> clusters = new ClusterXdsTranslator().translate(ir);
    assertThat(clusters).extracting(Cluster::getName).contains(name);
    assertThat(clusters)
        .extracting(Cluster::getName)
        .doesNotContain(name + "/backend/0", name + "/backend/1");
    Cluster c = clusters.stream().filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
    assertThat(c.getTransportSocketMatchesList())
        .extracting(Cluster.TransportSocketMatch::getName)
        .containsExactly(name + "/tls/1");
    ClusterLoadAssignment cla =
        new EndpointXdsTranslator()
            .translate(ir).stream()
                .filter(x -> x.getClusterName().equals(name))
                .findFirst()
                .orElseThrow();
    // Each backendRef a locality with its weight.
    assertThat(cla.getEndpointsList())
        .extracting(l -> l.getLoadBalancingWeight().getValue())
        .containsExactlyInAnyOrder(1, 3);
  }
}
