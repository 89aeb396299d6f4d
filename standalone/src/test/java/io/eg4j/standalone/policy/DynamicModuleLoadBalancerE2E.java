package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.TestDynamicModule;
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
 * BackendTrafficPolicy {@code loadBalancer.type: DynamicModule} through the real envoy: the
 * Gateway's EnvoyProxy registers the test module ({@link TestDynamicModule}, whose load balancer
 * {@code eg4j-pinned} sends every request to the healthy host whose address its config names) by
 * its local path. One Service has two endpoints (two echo backends); a policy whose config names
 * one backend sends every request there, another policy naming the other backend sends every
 * request to that one, while round robin on the same Service alternates; a policy naming a module
 * the EnvoyProxy does not register is not Accepted and its route answers 500.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DynamicModuleLoadBalancerE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer a;
  EchoServer b;

  private static String policy(String name, String type, String more) {
    return """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: %1$s}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %1$s}]
          loadBalancer:
            type: %2$s
        %3$s"""
        .formatted(name, type, more.indent(4));
  }

  @BeforeAll
  void start() throws Exception {
    Path module = TestDynamicModule.build(dir.resolve("module"));
    stack = PolicyStack.start(dir);
    a = stack.echo("echo-a");
    b = stack.echo("echo-b");
    stack.apply(
        stack.gatewayWithDynamicModule("balancer", module)
            + PolicyStack.multiEndpointService("pool", a.port(), b.port())
            + PolicyStack.route("to-a", "pool")
            + PolicyStack.route("to-b", "pool")
            + PolicyStack.route("rr", "pool")
            + PolicyStack.route("missing", "pool")
            + policy(
                "to-a",
                "DynamicModule",
                "dynamicModule: {name: balancer, lbPolicyName: "
                    + TestDynamicModule.LOAD_BALANCER
                    + ","
                    + " config: {address: '127.0.0.1:%d'}}".formatted(a.port()))
            + policy(
                "to-b",
                "DynamicModule",
                "dynamicModule: {name: balancer, lbPolicyName: "
                    + TestDynamicModule.LOAD_BALANCER
                    + ","
                    + " config: {address: '127.0.0.1:%d'}}".formatted(b.port()))
            + policy("rr", "RoundRobin", "")
            + policy(
                "missing",
                "DynamicModule",
                "dynamicModule: {name: not-registered, lbPolicyName: eg4j-pinned}"));
    for (String p : new String[] {"to-a", "to-b"}) {
      assertThat(stack.status("BackendTrafficPolicy", "default", p).status().toString())
          .contains("Accepted")
          .doesNotContain("Invalid");
    }
    stack.await(
        "the routes serve",
        () ->
            Http.get(stack.port(), "x.test", "/to-b").status() == 200
                && Http.get(stack.port(), "x.test", "/rr").status() == 200);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private static final Pattern POD = Pattern.compile("\"pod\"\\s*:\\s*\"([^\"]+)\"");

  private Map<String, Integer> spread(int n, String path) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", path);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      Matcher m = POD.matcher(r.body());
      assertThat(m.find()).as(r.body()).isTrue();
      seen.merge(m.group(1), 1, Integer::sum);
    }
    return seen;
  }

  @Test
  void everyRequestGoesToTheBackendTheModulePicks() {
    assertThat(spread(20, "/to-b")).containsOnlyKeys("echo-b");
    assertThat(spread(20, "/to-a")).containsOnlyKeys("echo-a");
  }

  @Test
  void roundRobinOnTheSameServiceUsesBothBackends() {
    Map<String, Integer> seen = spread(20, "/rr");
    assertThat(seen).as("%s", seen).containsOnlyKeys("echo-a", "echo-b");
  }

  @Test
  void aPolicyNamingAnUnregisteredModuleIsRefusedAndItsRouteFailsClosed() {
    assertThat(Http.get(stack.port(), "x.test", "/missing").status()).isEqualTo(500);
    assertThat(stack.status("BackendTrafficPolicy", "default", "missing").status().toString())
        .contains("Invalid")
        .contains(
            "LoadBalancer: dynamic module \\\"not-registered\\\" is not registered in the"
                + " EnvoyProxy dynamicModules allowlist");
  }
}
