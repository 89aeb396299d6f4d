package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.TestDynamicModule;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * EnvoyExtensionPolicy dynamic modules through the real envoy: the Gateway's EnvoyProxy registers a
 * module compiled here ({@link TestDynamicModule}, a C HTTP filter that sets {@code
 * x-dynamic-module: <filter name>:<config>} on responses) by its local path; a policy on one route
 * loads it with a filter name and a config, and the route's responses carry the header; a route
 * without the policy does not; a route whose policy names a module the EnvoyProxy does not register
 * is not Accepted and answers 500.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExtensionDynamicModuleE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  @BeforeAll
  void start() throws Exception {
    Path module = TestDynamicModule.build(dir.resolve("module"));
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    stack.apply(
        stack.gatewayWithDynamicModule("headers", module)
            + PolicyStack.service("echo", echo.port())
            + PolicyStack.route("dm", "echo")
            + PolicyStack.route("plain", "echo")
            + PolicyStack.route("missing", "echo")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: dm}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: dm}]
              dynamicModule:
              - name: headers
                filterName: greeting
                config: {hello: world}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: missing}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: missing}]
              dynamicModule:
              - name: not-registered
            """);
    stack.await("the route serves", () -> Http.get(stack.port(), "x.test", "/dm").status() == 200);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
  }

  @Test
  void theModuleRunsOnItsRouteWithItsFilterNameAndConfig() {
    Http.Response r = Http.get(stack.port(), "x.test", "/dm");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header(TestDynamicModule.HEADER)).isEqualTo("greeting:{\"hello\":\"world\"}");
    assertThat(stack.status("EnvoyExtensionPolicy", "default", "dm").status().toString())
        .contains("Accepted")
        .doesNotContain("Invalid");
  }

  @Test
  void aRouteWithoutThePolicyIsUntouched() {
    Http.Response r = Http.get(stack.port(), "x.test", "/plain");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header(TestDynamicModule.HEADER)).isNull();
  }

  @Test
  void aPolicyNamingAnUnregisteredModuleIsRefusedAndItsRouteFailsClosed() {
    assertThat(Http.get(stack.port(), "x.test", "/missing").status()).isEqualTo(500);
    assertThat(stack.status("EnvoyExtensionPolicy", "default", "missing").status().toString())
        .contains("Invalid")
        .contains("not-registered\\\" is not registered in the EnvoyProxy dynamicModules");
  }
}
