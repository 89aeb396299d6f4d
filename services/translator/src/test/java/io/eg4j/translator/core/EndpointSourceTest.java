package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EndpointSlice addresses that become endpoints. */
class EndpointSourceTest {
  private static final EndpointSource SOURCE =
      new EndpointSource(false, "default", "web", "http", "TCP");

  private static ObjectNode slice(String addressType, String... addresses) throws Exception {
    ObjectNode s =
        (ObjectNode)
            Json.YAML.readTree(
                """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {namespace: default, name: web-1}
        ports: [{name: http, port: 8080, protocol: TCP}]
        """);
    s.put("addressType", addressType);
    var addrs = s.putArray("endpoints").addObject().putArray("addresses");
    for (String a : addresses) {
      addrs.add(a);
    }
    return s;
  }

  @Test
  void ipSlicesKeepOnlyIpLiteralsWhichEnvoyCanServeStatically() throws Exception {
    List<EndpointIr> out = new ArrayList<>();
    SOURCE.collect(
        List.of(
            slice("IPv4", "10.0.0.1", "../7.6.5.4/%2F..", "1.2.3", "256.1.1.1", "01.2.3.4"),
            slice("IPv6", "fd00::1", "::ffff:10.0.0.2", "fd00::g", "::ffff:1.2.3")),
        out);
    assertThat(out)
        .extracting(EndpointIr::host)
        .containsExactly("10.0.0.1", "fd00::1", "::ffff:10.0.0.2");
  }

  @Test
  void fqdnSlicesKeepTheirNames() throws Exception {
    List<EndpointIr> out = new ArrayList<>();
    SOURCE.collect(List.of(slice("FQDN", "backend.example.com")), out);
    assertThat(out).extracting(EndpointIr::host).containsExactly("backend.example.com");
  }

  @Test
  void theFleetsOwnEndpointsAreIpLiterals() throws Exception {
    assertThat(GatewayProcessor.localEndpoints(List.of(slice("IPv4", "10.0.0.1", "0.5", "true"))))
        .extracting(io.eg4j.model.ir.XdsIr.ZonedEndpointIr::host)
        .containsExactly("10.0.0.1");
  }
}
