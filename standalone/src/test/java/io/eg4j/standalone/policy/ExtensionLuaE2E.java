package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * EnvoyExtensionPolicy Lua scripts through the real envoy: a request header set by a route's script
 * (with its filterContext) reaches the echo backend, a ConfigMap script sets a response header, a
 * route without the policy sees neither, and a route whose script fails validation answers 500.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExtensionLuaE2E {
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
                  enableLua: true
                """));
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: lua}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /lua}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: plain}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /plain}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: bad}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /bad}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: scripts}
            data:
              lua: |
                function envoy_on_response(response_handle)
                  response_handle:headers():add("x-lua-response", "from-configmap")
                end
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: lua}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: lua}]
              lua:
              - type: Inline
                inline: |
                  function envoy_on_request(request_handle)
                    for k, v in pairs(request_handle:filterContext()) do
                      if k == "tag" then
                        request_handle:headers():add("x-lua-request", "set-by-lua-" .. v)
                      end
                    end
                  end
                filterContext:
                  tag: blue
              - type: ValueRef
                valueRef: {group: "", kind: ConfigMap, name: scripts}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: bad}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: bad}]
              lua:
              - type: Inline
                inline: |
                  function envoy_on_request(request_handle)
                    request_handle:noSuchMethod()
                  end
            """,
        config);
    stack.await("the route serves", () -> Http.get(stack.port(), "x.test", "/lua").status() == 200);
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

  private static String echoedHeader(Http.Response r, String name) throws Exception {
    JsonNode headers = Json.MAPPER.readTree(r.body()).path("headers");
    for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue().path(0).asText();
      }
    }
    return null;
  }

  @Test
  void theScriptsRunOnTheirRoute() throws Exception {
    Http.Response r = Http.get(stack.port(), "x.test", "/lua");
    assertThat(r.status()).isEqualTo(200);
    assertThat(echoedHeader(r, "x-lua-request")).isEqualTo("set-by-lua-blue");
    assertThat(r.header("x-lua-response")).isEqualTo("from-configmap");
  }

  @Test
  void aRouteWithoutThePolicyIsUntouched() throws Exception {
    Http.Response r = Http.get(stack.port(), "x.test", "/plain");
    assertThat(r.status()).isEqualTo(200);
    assertThat(echoedHeader(r, "x-lua-request")).isNull();
    assertThat(r.header("x-lua-response")).isNull();
  }

  @Test
  void aRouteWhosePolicyIsNotAcceptedFailsClosed() {
    assertThat(Http.get(stack.port(), "x.test", "/bad").status()).isEqualTo(500);
  }
}
