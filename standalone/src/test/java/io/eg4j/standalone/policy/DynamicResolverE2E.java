package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Backend of type DynamicResolver through the real envoy: the request's own Host names the
 * upstream, which Envoy's dynamic forward proxy resolves. As Envoy Gateway does, a request whose
 * Host (or the header a host rewrite takes it from) is a loopback name or address ({@code
 * 127.0.0.1}, {@code localhost} …) is refused with 403 before it is proxied. That guard looks at
 * the name, not at the address it resolves to: this machine's own host name resolves to 127.0.0.1
 * (through /etc/hosts) and is not refused, and it is how these tests reach the echo backend while
 * staying on loopback. Also: an HTTPRouteFilter host rewrite from a header, and a credential
 * injected by a backendRef's own HTTPRouteFilter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DynamicResolverE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  /** A name of this machine that resolves to a loopback address and is not a loopback name. */
  String self;

  @BeforeAll
  void start() throws Exception {
    self = InetAddress.getLocalHost().getHostName();
    assertThat(InetAddress.getByName(self).isLoopbackAddress())
        .as("this test needs the host name %s to resolve to a loopback address", self)
        .isTrue();
    assertThat(self).isNotIn("localhost", "localhost.localdomain", "ip6-localhost");
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
                extensionApis:
                  enableBackend: true
                """));
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: Backend
            metadata: {namespace: default, name: anywhere}
            spec:
              type: DynamicResolver
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: HTTPRouteFilter
            metadata: {namespace: default, name: from-header}
            spec:
              urlRewrite:
                hostname: {type: Header, header: x-upstream}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {namespace: default, name: cred}
            data: {credential: QmVhcmVyIGJhY2tlbmQtdG9rZW4=}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: HTTPRouteFilter
            metadata: {namespace: default, name: cred}
            spec:
              credentialInjection:
                credential: {valueRef: {name: cred}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: app}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /dynamic}}]
                backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: anywhere}]
              - matches: [{path: {type: PathPrefix, value: /by-header}}]
                filters:
                - type: ExtensionRef
                  extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: from-header}
                backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: anywhere}]
              - matches: [{path: {type: PathPrefix, value: /cred}}]
                backendRefs:
                - name: echo
                  port: 8080
                  filters:
                  - type: ExtensionRef
                    extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: cred}
              - backendRefs: [{name: echo, port: 8080}]
            """,
        config);
    assertThat(stack.status("Backend", "default", "anywhere").status().toString())
        .contains("\"reason\":\"Accepted\"");
    stack.await(
        "the static route serves", () -> Http.get(stack.port(), "x.test", "/open").status() == 200);
    stack.await(
        "the dynamic resolver reaches the echo backend",
        () -> Http.get(stack.port(), upstream(), "/dynamic").status() == 200);
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

  private static JsonNode echoed(Http.Response r) {
    try {
      return Json.MAPPER.readTree(r.body());
    } catch (java.io.IOException e) {
      throw new AssertionError("the echo backend's answer is not JSON: " + r.body(), e);
    }
  }

  /** The echo backend, named by this machine's host name and its port. */
  private String upstream() {
    return self + ":" + echo.port();
  }

  @Test
  void theRequestsHostNamesTheUpstream() {
    Http.Response r = Http.get(stack.port(), upstream(), "/dynamic/a");
    assertThat(r.status()).isEqualTo(200);
    JsonNode seen = echoed(r);
    assertThat(seen.path("path").asText()).isEqualTo("/dynamic/a");
    assertThat(seen.path("host").asText()).isEqualTo(upstream());
    assertThat(echo.seenPaths()).contains("/dynamic/a");
  }

  @Test
  void loopbackNamesAreRefused() {
    for (String host :
        new String[] {"127.0.0.1:" + echo.port(), "localhost:" + echo.port(), "localhost"}) {
      Http.Response r = Http.get(stack.port(), host, "/dynamic/loop");
      assertThat(r.status()).as(host).isEqualTo(403);
    }
    assertThat(echo.seenPaths()).doesNotContain("/dynamic/loop");
  }

  @Test
  void theHostIsTakenFromTheHeaderAndTheClientsHostIsKept() {
    Http.Response r =
        Http.get(stack.port(), "client.test", "/by-header/h", "x-upstream", upstream());
    assertThat(r.status()).isEqualTo(200);
    // The echo backend saw the rewritten Host; the client's went to X-Forwarded-Host.
    JsonNode seen = echoed(r);
    assertThat(seen.path("host").asText()).isEqualTo(upstream());
    assertThat(seen.path("headers").path("X-Forwarded-Host").toString()).contains("client.test");
    // The guard checks the header the host is taken from.
    Http.Response loop =
        Http.get(
            stack.port(), upstream(), "/by-header/loop", "x-upstream", "127.0.0.1:" + echo.port());
    assertThat(loop.status()).isEqualTo(403);
    assertThat(echo.seenPaths()).doesNotContain("/by-header/loop");
  }

  @Test
  void aBackendRefsOwnCredentialReachesOnlyThatBackend() {
    Http.Response r = Http.get(stack.port(), "x.test", "/cred");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("Bearer backend-token");
    assertThat(Http.get(stack.port(), "x.test", "/open").body()).doesNotContain("backend-token");
  }
}
