package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPRouteFilter direct responses through the real envoy: the proxy answers with the filter's
 * status, body and content type, and the backend is never asked.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouteFilterE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: HTTPRouteFilter
            metadata: {namespace: default, name: blocked}
            spec:
              directResponse:
                contentType: application/json
                statusCode: 403
                body: {type: Inline, inline: '{"error":"blocked"}'}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: app}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /blocked}}]
                filters:
                - type: ExtensionRef
                  extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: blocked}
                backendRefs: [{name: echo, port: 8080}]
              - backendRefs: [{name: echo, port: 8080}]
            """);
    stack.await(
        "the route serves", () -> Http.get(stack.port(), "x.test", "/open").status() == 200);
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
  void theDirectResponseCarriesItsContentType() {
    Http.Response r = Http.get(stack.port(), "x.test", "/blocked/x");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.body()).isEqualTo("{\"error\":\"blocked\"}");
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(echo.seenPaths()).doesNotContain("/blocked/x");
  }
}
