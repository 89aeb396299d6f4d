package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zone-aware load balancing and endpoint override through the real envoy. One Service has two
 * endpoints in two zones (two EndpointSlices): with weightedZones 1 and 9 the second zone's
 * endpoint gets about nine requests in ten; with an endpoint override header a request goes to the
 * endpoint the header names, and without the header the round robin shares them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZoneAwareE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer a;
  EchoServer b;

  private static String slice(String name, int port, String zone) {
    return """
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          namespace: default
          name: %1$s
          labels: {kubernetes.io/service-name: pool}
        addressType: IPv4
        ports: [{name: http, port: %2$d, protocol: TCP}]
        endpoints:
        - addresses: [127.0.0.1]
          conditions: {ready: true}
          zone: %3$s
        """
        .formatted(name, port, zone);
  }

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    a = EchoServer.start(0, "echo-a", "default");
    b = EchoServer.start(0, "echo-b", "default");
    stack.apply(
        stack.gateway()
            + """
            ---
            apiVersion: v1
            kind: Service
            metadata: {namespace: default, name: pool}
            spec:
              ports: [{name: http, port: 8080, protocol: TCP}]
            """
            + slice("pool-a", a.port(), "zone-a")
            + slice("pool-b", b.port(), "zone-b")
            + PolicyStack.route("zones", "pool")
            + PolicyStack.route("pick", "pool")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: zones}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: zones}]
              loadBalancer:
                type: RoundRobin
                zoneAware:
                  weightedZones:
                  - {zone: zone-a, weight: 1}
                  - {zone: zone-b, weight: 9}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: pick}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: pick}]
              loadBalancer:
                type: RoundRobin
                endpointOverride:
                  extractFrom: [{header: x-target}]
            """);
    assertThat(stack.status("BackendTrafficPolicy", "default", "zones").status().toString())
        .contains("Accepted")
        .doesNotContain("Invalid");
    stack.await(
        "the route serves", () -> Http.get(stack.port(), "x.test", "/zones").status() == 200);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  private static final Pattern POD = Pattern.compile("\"pod\"\\s*:\\s*\"([^\"]+)\"");

  private Map<String, Integer> spread(int n, String path, String... headers) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", path, headers);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      Matcher m = POD.matcher(r.body());
      assertThat(m.find()).as(r.body()).isTrue();
      seen.merge(m.group(1), 1, Integer::sum);
    }
    return seen;
  }

  @Test
  void weightedZonesShareRequestsByZoneWeight() {
    Map<String, Integer> seen = spread(60, "/zones");
    // Weights 1:9 give zone-b about 54 of 60; both zones are still served.
    assertThat(seen.getOrDefault("echo-b", 0)).as("%s", seen).isBetween(48, 59);
    assertThat(seen.getOrDefault("echo-a", 0)).as("%s", seen).isPositive();
  }

  @Test
  void endpointOverrideSendsToTheNamedEndpoint() {
    assertThat(spread(10, "/pick", "x-target", "127.0.0.1:" + a.port())).containsOnlyKeys("echo-a");
    assertThat(spread(10, "/pick", "x-target", "127.0.0.1:" + b.port())).containsOnlyKeys("echo-b");
    // No header: the round robin fallback uses both.
    assertThat(spread(10, "/pick")).containsOnlyKeys("echo-a", "echo-b");
  }
}
