package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * EnvoyExtensionPolicy Wasm through the real envoy (V8): a module served over HTTP on 127.0.0.1,
 * named without a sha256 (so the translator downloads it once for its checksum), is fetched by
 * Envoy and adds its response header on the policy's route only; a route whose policy names an OCI
 * image (which eg4j does not pull) fails closed with 500.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExtensionWasmE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  HttpServer modules;
  final AtomicInteger downloads = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    byte[] module = WasmModules.addResponseHeader("x-wasm", "eg4j");
    modules = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    modules.createContext(
        "/filter.wasm",
        ex -> {
          downloads.incrementAndGet();
          ex.sendResponseHeaders(200, module.length);
          ex.getResponseBody().write(module);
          ex.close();
        });
    modules.start();
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    EnvoyGatewayConfig config =
        EnvoyGatewayConfig.from(
            Json.YAML.readTree(
                """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: EnvoyGateway
                gateway:
                  controllerName: gateway.envoyproxy.io/gatewayclass-controller
                """));
    String url = "http://127.0.0.1:" + modules.getAddress().getPort() + "/filter.wasm";
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + route("wasm")
            + route("plain")
            + route("image")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: wasm}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: wasm}]
              wasm:
              - name: header-adder
                code:
                  type: HTTP
                  http: {url: "%s"}
                config: {greeting: hello}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: image}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: image}]
              wasm:
              - name: from-registry
                code:
                  type: Image
                  image: {url: "registry.invalid/filters/header-adder:v1"}
            """
                .formatted(url),
        config);
    stack.await(
        "the Wasm route serves with its module",
        () -> {
          Http.Response r = Http.get(stack.port(), "x.test", "/wasm");
          return r.status() == 200 && r.header("x-wasm") != null;
        });
  }

  private static String route(String name) {
    return """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: %1$s}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /%1$s}}]
            backendRefs: [{name: echo, port: 8080}]
        """
        .formatted(name);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (modules != null) {
      modules.stop(0);
    }
  }

  @Test
  void theModuleRunsOnItsRoute() {
    Http.Response r = Http.get(stack.port(), "x.test", "/wasm");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-wasm")).isEqualTo("eg4j");
    // Once by the translator (for the checksum), at least once by Envoy.
    assertThat(downloads.get()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aRouteWithoutThePolicyIsUntouched() {
    Http.Response r = Http.get(stack.port(), "x.test", "/plain");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-wasm")).isNull();
  }

  @Test
  void aModuleEg4jCannotServeFailsItsRouteClosed() {
    assertThat(Http.get(stack.port(), "x.test", "/image").status()).isEqualTo(500);
  }
}
