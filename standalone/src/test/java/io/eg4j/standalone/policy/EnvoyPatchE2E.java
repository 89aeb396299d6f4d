package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
 * per_connection_buffer_limit_bytes} as Envoy's {@code /config_dump} shows, the local reply patch
 * of Envoy Gateway's EnvoyPatchPolicy task turns a 404 into its 406, and an operation on a path
 * that does not exist is skipped without touching the rest; it makes the policy {@code
 * Programmed=False}, and the policy without it is {@code Programmed=True}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnvoyPatchE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  EnvoyGatewayConfig config;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    config =
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
    stack.apply(manifests(true), config);
    stack.await(
        "the patched route serves",
        () ->
            "by-envoy-patch-policy"
                .equals(Http.get(stack.port(), "x.test", "/web").header("x-patched")));
  }

  /**
   * The Gateway, a route and the policy; with {@code failing}, the policy also has an operation on
   * a path that does not exist. The local reply patch is the one of Envoy Gateway's
   * EnvoyPatchPolicy task, unchanged.
   */
  String manifests(boolean failing) {
    return stack.gateway()
        + "---\n"
        + PolicyStack.service("echo", echo.port())
        + PolicyStack.route("web", "echo")
        + """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyPatchPolicy
        metadata: {namespace: default, name: patches, generation: %d}
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
          - type: "type.googleapis.com/envoy.config.listener.v3.Listener"
            name: default/eg/http
            operation:
              op: add
              path: "/default_filter_chain/filters/0/typed_config/local_reply_config"
              value:
                mappers:
                - filter:
                    status_code_filter:
                      comparison:
                        op: EQ
                        value:
                          default_value: 404
                          runtime_key: key_b
                  status_code: 406
                  body:
                    inline_string: "could not find what you are looking for"
        %s  - type: type.googleapis.com/envoy.config.route.v3.RouteConfiguration
            name: default/eg/http
            operation:
              op: add
              jsonPath: "$.virtual_hosts[*].routes[?(@.match.path_separated_prefix == '/web')]"
              path: /response_headers_to_add
              value:
              - header: {key: x-route-patched, value: by-json-path}
        """
            .formatted(
                failing ? 1 : 2,
                failing
                    ? "  - type: type.googleapis.com/envoy.config.listener.v3.Listener\n"
                        + "    name: default/eg/http\n"
                        + "    operation: {op: replace, path: /no/such/path, value: 1}\n"
                    : "");
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
  void theLocalReplyPatchOfEnvoyGatewaysTaskRewritesA404() {
    Http.Response r = Http.get(stack.port(), "x.test", "/no-route-here");
    assertThat(r.status()).isEqualTo(406);
    assertThat(r.body()).contains("could not find what you are looking for");
  }

  @Test
  void aFailingOperationMakesThePolicyProgrammedFalseAndFixingItProgrammedTrue() throws Exception {
    JsonNode failed = programmed();
    assertThat(failed.path("status").asText()).isEqualTo("False");
    assertThat(failed.path("reason").asText()).isEqualTo("Invalid");
    assertThat(failed.path("message").asText())
        .startsWith("Unable to apply patch:")
        .contains("\"path\":\"/no/such/path\"");
    assertThat(failed.path("observedGeneration").asLong()).isEqualTo(1);

    stack.apply(manifests(false), config);
    JsonNode fixed = programmed();
    assertThat(fixed.path("status").asText()).isEqualTo("True");
    assertThat(fixed.path("reason").asText()).isEqualTo("Programmed");
    assertThat(fixed.path("message").asText()).isEqualTo("Patches have been successfully applied.");
    assertThat(fixed.path("observedGeneration").asLong()).isEqualTo(2);
    // The other operations still reach Envoy.
    stack.await(
        "the fixed policy served",
        () -> Http.get(stack.port(), "x.test", "/no-route-here").status() == 406);
    assertThat(Http.get(stack.port(), "x.test", "/web").header("x-patched"))
        .isEqualTo("by-envoy-patch-policy");
  }

  private JsonNode programmed() {
    ResourceStatus s = stack.status("EnvoyPatchPolicy", "default", "patches");
    for (JsonNode c : s.status().path("ancestors").get(0).path("conditions")) {
      if (c.path("type").asText().equals("Programmed")) {
        return c;
      }
    }
    throw new AssertionError("no Programmed condition: " + s.status());
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
