package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * ClientTrafficPolicy connection manager settings through the real envoy: early request header
 * changes reach the backend, late response header changes reach the client, headers with
 * underscores are let through when the policy allows them, the proxy answers the health check path
 * itself, and the request ID is generated.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientHeadersE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  String base;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    base =
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + PolicyStack.route("app", "echo");
    stack.apply(base);
    stack.await("the route serves", () -> Http.get(stack.port(), "x.test", "/app").status() == 200);
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

  /** The request headers the echo backend saw, names in lower case. */
  private static Map<String, String> seen(Http.Response r) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode h = Json.MAPPER.readTree(r.body()).path("headers");
    Map<String, String> out = new TreeMap<>();
    h.fields()
        .forEachRemaining(
            e -> out.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().get(0).asText()));
    return out;
  }

  @Test
  void headerSettingsChangeWhatBackendsAndClientsSee() throws Exception {
    assertThat(Http.get(stack.port(), "x.test", "/healthz").status())
        .as("no route for the health check path yet")
        .isEqualTo(404);
    // Envoy Gateway's default: a header name with an underscore is refused.
    assertThat(Http.get(stack.port(), "x.test", "/app", "x_under", "1").status()).isEqualTo(400);
    stack.apply(
        base
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: ClientTrafficPolicy
            metadata: {namespace: default, name: headers}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
              healthCheck: {path: /healthz}
              headers:
                withUnderscoresAction: Allow
                requestID: Generate
                earlyRequestHeaders:
                  add: [{name: x-early-add, value: added}]
                  set: [{name: x-early-set, value: replaced}]
                  remove: [x-early-remove]
                  removeOnMatch: [{type: Prefix, value: x-secret-}]
                lateResponseHeaders:
                  set: [{name: x-late, value: late}]
                  remove: [x-echo-private]
            """);
    stack.await(
        "underscores are let through",
        () -> Http.get(stack.port(), "x.test", "/app", "x_under", "1").status() == 200);
    Http.Response r =
        Http.get(
            stack.port(),
            "x.test",
            "/app",
            "x-early-set",
            "original",
            "x-early-remove",
            "gone",
            "x-secret-token",
            "gone too",
            "x-keep",
            "kept");
    Map<String, String> h = seen(r);
    assertThat(h).containsEntry("x-early-add", "added").containsEntry("x-early-set", "replaced");
    assertThat(h).containsEntry("x-keep", "kept").containsKey("x-request-id");
    assertThat(h).doesNotContainKeys("x-early-remove", "x-secret-token");
    assertThat(r.header("x-late")).isEqualTo("late");
    // The health check path is answered by the proxy: the backend never sees it.
    Http.Response health = Http.get(stack.port(), "x.test", "/healthz");
    assertThat(health.status()).isEqualTo(200);
    assertThat(echo.seenPaths()).doesNotContain("/healthz");
  }
}
