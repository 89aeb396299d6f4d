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
 * status, body and content type, and the backend is never asked. Credential injection: the backend
 * sees the Secret's credential in the header, the client's own value kept unless the filter
 * overwrites it.
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
              - matches: [{path: {type: PathPrefix, value: /cred}}]
                filters:
                - type: ExtensionRef
                  extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: cred}
                backendRefs: [{name: echo, port: 8080}]
              - matches: [{path: {type: PathPrefix, value: /key}}]
                filters:
                - type: ExtensionRef
                  extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: key}
                backendRefs: [{name: echo, port: 8080}]
              - backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: v1
            kind: Secret
            metadata: {namespace: default, name: cred}
            data: {credential: QmVhcmVyIHNlY3JldC10b2tlbg==}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: HTTPRouteFilter
            metadata: {namespace: default, name: cred}
            spec:
              credentialInjection:
                credential: {valueRef: {name: cred}}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: HTTPRouteFilter
            metadata: {namespace: default, name: key}
            spec:
              credentialInjection:
                header: x-api-key
                overwrite: true
                credential: {valueRef: {name: cred}}
            """);
    stack.await(
        "the route serves", () -> Http.get(stack.port(), "x.test", "/open").status() == 200);
    stack.await(
        "the credential route serves",
        () -> Http.get(stack.port(), "x.test", "/cred").status() == 200);
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

  @Test
  void theCredentialReachesTheBackend() {
    Http.Response r = Http.get(stack.port(), "x.test", "/cred");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("Authorization").contains("Bearer secret-token");
    // Without overwrite, a client's own Authorization is kept.
    Http.Response own = Http.get(stack.port(), "x.test", "/cred", "Authorization", "Basic dTpw");
    assertThat(own.body()).contains("Basic dTpw").doesNotContain("secret-token");
    // With overwrite, the client's x-api-key is replaced by the credential.
    Http.Response key = Http.get(stack.port(), "x.test", "/key", "x-api-key", "mine");
    assertThat(key.body()).contains("Bearer secret-token").doesNotContain("mine");
    // A route without the filter gets nothing.
    assertThat(Http.get(stack.port(), "x.test", "/open").body()).doesNotContain("secret-token");
  }
}
