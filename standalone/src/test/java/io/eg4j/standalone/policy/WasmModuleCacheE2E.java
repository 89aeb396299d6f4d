package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.core.WasmModuleCache;
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
 * The control plane's Wasm module cache through the real envoy: the module's origin is asked once
 * by the translator (for the checksum) and once by the cache, never by Envoy, which loads the
 * module from the cache; once the origin is gone, a new policy naming the same module still loads
 * it from the cache.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WasmModuleCacheE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  HttpServer origin;
  WasmModuleCache cache;
  EnvoyGatewayConfig config;
  String url;
  final AtomicInteger downloads = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    byte[] module = WasmModules.addResponseHeader("x-wasm", "cached");
    origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    origin.createContext(
        "/filter.wasm",
        ex -> {
          downloads.incrementAndGet();
          ex.sendResponseHeaders(200, module.length);
          ex.getResponseBody().write(module);
          ex.close();
        });
    origin.start();
    cache = WasmModuleCache.start(dir.resolve("wasm-cache"), "127.0.0.1", 0, "127.0.0.1");
    stack = PolicyStack.start(dir);
    stack.rewriteIrWith(cache::rewrite);
    echo = EchoServer.start(0, "echo", "default");
    config =
        EnvoyGatewayConfig.from(
            Json.YAML.readTree(
                """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: EnvoyGateway
                gateway:
                  controllerName: gateway.envoyproxy.io/gatewayclass-controller
                """));
    url = "http://127.0.0.1:" + origin.getAddress().getPort() + "/filter.wasm";
    stack.apply(manifests(false), config);
    stack.await(
        "the Wasm route serves with its module",
        () -> {
          Http.Response r = Http.get(stack.port(), "x.test", "/first");
          return r.status() == 200 && "cached".equals(r.header("x-wasm"));
        });
  }

  private String manifests(boolean second) {
    StringBuilder y =
        new StringBuilder(stack.gateway() + "---\n" + PolicyStack.service("echo", echo.port()));
    for (String name : second ? new String[] {"first", "second"} : new String[] {"first"}) {
      y.append(PolicyStack.route(name, "echo"))
          .append(
              """
              ---
              apiVersion: gateway.envoyproxy.io/v1alpha1
              kind: EnvoyExtensionPolicy
              metadata: {namespace: default, name: %1$s}
              spec:
                targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %1$s}]
                wasm:
                - name: header-adder
                  code:
                    type: HTTP
                    http: {url: "%2$s"}
              """
                  .formatted(name, url));
    }
    return y.toString();
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (origin != null) {
      origin.stop(0);
    }
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void envoyLoadsTheModuleFromTheCacheNotFromItsOrigin() throws Exception {
    // The translator's checksum download and the cache's own: Envoy never asked the origin.
    assertThat(downloads.get()).isEqualTo(2);
    origin.stop(0);
    stack.apply(manifests(true), config);
    stack.await(
        "a second policy with the same module serves after its origin went away",
        () -> {
          Http.Response r = Http.get(stack.port(), "x.test", "/second");
          return r.status() == 200 && "cached".equals(r.header("x-wasm"));
        });
    assertThat(Http.get(stack.port(), "x.test", "/first").header("x-wasm")).isEqualTo("cached");
    assertThat(downloads.get()).isEqualTo(2);
  }
}
