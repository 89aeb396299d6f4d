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
 * SecurityPolicy CORS and CSRF through the real envoy: a preflight from an allowed origin is
 * answered with the policy's headers, one from another origin is not; a cross-site POST is refused
 * where a CSRF policy applies, and only there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityCorsCsrfE2E {
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
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              namespace: default
              name: api
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /api}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata:
              namespace: default
              name: other
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /other}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata:
              namespace: default
              name: api
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: api}]
              cors:
                allowOrigins: ["https://*.good.test"]
                allowMethods: [GET, POST]
                allowHeaders: [x-custom]
                maxAge: 600s
              csrf:
                additionalOrigins: ["https://partner.test"]
            """);
    stack.await("the route serves", () -> Http.get(stack.port(), "x.test", "/api").status() == 200);
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

  private Http.Response preflight(String path, String origin) {
    return Http.send(
        "OPTIONS",
        stack.port(),
        "x.test",
        path,
        "Origin",
        origin,
        "Access-Control-Request-Method",
        "POST");
  }

  @Test
  void aPreflightFromAnAllowedOriginGetsThePolicy() {
    Http.Response r = preflight("/api", "https://app.good.test");
    assertThat(r.header("access-control-allow-origin")).isEqualTo("https://app.good.test");
    assertThat(r.header("access-control-allow-methods")).contains("POST");
    assertThat(r.header("access-control-allow-headers")).contains("x-custom");
    assertThat(r.header("access-control-max-age")).isEqualTo("600");
  }

  @Test
  void aPreflightFromAnotherOriginGetsNoCorsHeaders() {
    Http.Response r = preflight("/api", "https://evil.test");
    assertThat(r.header("access-control-allow-origin")).isNull();
  }

  @Test
  void aRouteWithoutThePolicyGetsNoCorsHeaders() {
    Http.Response r = preflight("/other", "https://app.good.test");
    assertThat(r.header("access-control-allow-origin")).isNull();
  }

  @Test
  void aCrossSitePostIsRefusedOnlyWhereCsrfApplies() {
    assertThat(
            Http.send("POST", stack.port(), "x.test", "/api/x", "Origin", "https://evil.test")
                .status())
        .isEqualTo(403);
    assertThat(
            Http.send("POST", stack.port(), "x.test", "/api/x", "Origin", "https://partner.test")
                .status())
        .isEqualTo(200);
    assertThat(
            Http.send("POST", stack.port(), "x.test", "/api/x", "Origin", "http://x.test").status())
        .as("same origin")
        .isEqualTo(200);
    assertThat(
            Http.send("POST", stack.port(), "x.test", "/other/x", "Origin", "https://evil.test")
                .status())
        .isEqualTo(200);
  }
}
