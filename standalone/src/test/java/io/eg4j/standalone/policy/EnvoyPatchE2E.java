package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * EnvoyPatchPolicy through the real envoy, with patches written as in Envoy Gateway's docs: a
 * RouteConfiguration patch adds a response header the client sees, a Listener patch changes {@code
 * per_connection_buffer_limit_bytes} as Envoy's {@code /config_dump} shows, and an operation on a
 * path that does not exist is skipped without touching the rest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnvoyPatchE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  @BeforeAll
  void start() throws Exception {
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
                  enableEnvoyPatchPolicy: true
                """));
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + PolicyStack.route("web", "echo")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyPatchPolicy
            metadata: {namespace: default, name: patches}
            spec:
              targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg}
              type: JSONPatch
              jsonPatches:
              - type: type.googleapis.com/envoy.config.listener.v3.Listener
                name: default/eg/http
                operation: {op: add, path: /per_connection_buffer_limit_bytes, value: 1024}
              - type: type.googleapis.com/envoy.config.route.v3.RouteConfiguration
                name: default/eg/http
                operation:
                  op: add
                  path: /response_headers_to_add
                  value:
                  - header: {key: x-patched, value: by-envoy-patch-policy}
              - type: type.googleapis.com/envoy.config.listener.v3.Listener
                name: default/eg/http
                operation: {op: replace, path: /no/such/path, value: 1}
              - type: type.googleapis.com/envoy.config.route.v3.RouteConfiguration
                name: default/eg/http
                operation:
                  op: add
                  jsonPath: "$.virtual_hosts[*].routes[?(@.match.path_separated_prefix == '/web')]"
                  path: /response_headers_to_add
                  value:
                  - header: {key: x-route-patched, value: by-json-path}
            """,
        config);
    stack.await(
        "the patched route serves",
        () ->
            "by-envoy-patch-policy"
                .equals(Http.get(stack.port(), "x.test", "/web").header("x-patched")));
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
  void thePolicyIsAccepted() {
    ResourceStatus s = stack.status("EnvoyPatchPolicy", "default", "patches");
    assertThat(s.status().toString()).contains("\"reason\":\"Accepted\"");
  }

  @Test
  void theRoutePatchAddsAResponseHeader() {
    Http.Response r = Http.get(stack.port(), "x.test", "/web");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-patched")).isEqualTo("by-envoy-patch-policy");
  }

  @Test
  void aJsonPathPatchChangesTheRoutesItSelects() {
    Http.Response r = Http.get(stack.port(), "x.test", "/web");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-route-patched")).isEqualTo("by-json-path");
  }

  @Test
  void theListenerPatchReachesEnvoy() {
    Http.Response dump = stack.envoy().adminGet("/config_dump?resource=dynamic_listeners");
    assertThat(dump.status()).isEqualTo(200);
    assertThat(dump.body()).contains("\"per_connection_buffer_limit_bytes\": 1024");
  }
}
