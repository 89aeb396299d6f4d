package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The EnvoyProxy telemetry through the real envoy. The GatewayClass's EnvoyProxy writes two access
 * logs to files (one in Envoy Gateway's default JSON format, one in a text format with a CEL match
 * that keeps only 404s) and traces every request to a Zipkin collector, a small HTTP server of the
 * test on 127.0.0.1 that records what Envoy posts to {@code /api/v2/spans}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TelemetryE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  HttpServer zipkin;
  final List<String> spans = new CopyOnWriteArrayList<>();
  Path jsonLog;
  Path textLog;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    zipkin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    zipkin.createContext(
        "/api/v2/spans",
        exchange -> {
          spans.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    zipkin.start();
    jsonLog = dir.resolve("access.json.log");
    textLog = dir.resolve("errors.log");
    String yaml =
        stack
                .gateway()
                .replace(
                    "  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n",
                    "  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n"
                        + "  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy,"
                        + " namespace: default, name: observed}\n")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyProxy
            metadata: {namespace: default, name: observed}
            spec:
              telemetry:
                accessLog:
                  settings:
                  - sinks:
                    - type: File
                      file: {path: %1$s}
                  - matches: ["response.code == 404"]
                    format:
                      type: Text
                      text: "missing %%REQ(:PATH)%% %%RESPONSE_CODE%%\\n"
                    sinks:
                    - type: File
                      file: {path: %2$s}
                tracing:
                  samplingRate: 100
                  spanName: {client: proxy-in, server: proxy-out}
                  customTags:
                    team: {type: Literal, literal: {value: edge}}
                  provider:
                    type: Zipkin
                    backendRefs: [{name: zipkin, port: 8080}]
            ---
            """
                .formatted(jsonLog, textLog)
            + PolicyStack.service("app", echo.port())
            + "\n---\n"
            + PolicyStack.service("zipkin", zipkin.getAddress().getPort())
            + PolicyStack.route("app", "app")
            + PolicyStack.route("named", "app")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: span-names}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: named}]
              telemetry:
                tracing:
                  spanName: {client: "front %REQ(:method)%", server: backend-call}
            """;
    stack.apply(yaml);
    assertThat(String.valueOf(stack.status("Gateway", "default", "eg")))
        .doesNotContain("InvalidParameters");
    stack.await(
        "the route serves", () -> Http.get(stack.port(), "x.test", "/app/ready").status() == 200);
    stack.await(
        "the span-named route serves",
        () -> Http.get(stack.port(), "x.test", "/named/ready").status() == 200);
    assertThat(String.valueOf(stack.status("BackendTrafficPolicy", "default", "span-names")))
        .contains("Accepted")
        .doesNotContain("not supported");
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (zipkin != null) {
      zipkin.stop(0);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  @Test
  void everyRequestIsLoggedInEnvoyGatewaysDefaultJsonFormat() throws Exception {
    Http.Response r = Http.get(stack.port(), "x.test", "/app/json");
    assertThat(r.status()).isEqualTo(200);
    stack.await(
        "a JSON access log line for /app/json",
        () -> lines(jsonLog).stream().anyMatch(l -> l.contains("\"/app/json\"")));
    JsonNode line = null;
    for (String l : lines(jsonLog)) {
      if (l.contains("\"/app/json\"")) {
        line = Json.MAPPER.readTree(l);
      }
    }
    assertThat(line.path("method").asText()).isEqualTo("GET");
    assertThat(line.path("x-envoy-origin-path").asText()).isEqualTo("/app/json");
    assertThat(line.path("response_code").asInt()).isEqualTo(200);
    assertThat(line.path(":authority").asText()).isEqualTo("x.test");
    assertThat(line.path("upstream_host").asText()).endsWith(":" + echo.port());
    assertThat(line.path("route_name").asText()).contains("httproute/default/app");
    // Every field of Envoy Gateway's default format is there.
    for (String field :
        List.of(
            "start_time",
            "protocol",
            "response_flags",
            "bytes_received",
            "bytes_sent",
            "duration",
            "user-agent",
            "x-request-id",
            "x-forwarded-for",
            "upstream_cluster",
            "downstream_remote_address",
            "requested_server_name")) {
      assertThat(line.has(field)).as(field).isTrue();
    }
  }

  @Test
  void theCelMatchKeepsOnlyTheRequestsItSelects() throws Exception {
    assertThat(Http.get(stack.port(), "x.test", "/app/found").status()).isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/nowhere").status()).isEqualTo(404);
    stack.await(
        "the 404 in the text log",
        () -> lines(textLog).stream().anyMatch(l -> l.equals("missing /nowhere 404")));
    // The JSON log (no match) has the 200 as well; the text log never has a 200.
    stack.await(
        "the 200 in the JSON log",
        () -> lines(jsonLog).stream().anyMatch(l -> l.contains("/app/found")));
    List<String> text = new ArrayList<>(lines(textLog));
    assertThat(text).isNotEmpty().allMatch(l -> l.endsWith(" 404"));
  }

  @Test
  void requestsAreTracedToTheZipkinCollector() throws Exception {
    for (int i = 0; i < 6; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/app/traced").status()).isEqualTo(200);
    }
    // Envoy's Zipkin tracer flushes every 5 s or every 5 spans.
    stack.await(
        "spans posted to the collector",
        () -> spans.stream().anyMatch(s -> s.contains("/app/traced")));
    String posted = String.join("\n", spans);
    JsonNode batch = null;
    for (String s : spans) {
      if (s.contains("/app/traced")) {
        batch = Json.MAPPER.readTree(s);
      }
    }
    assertThat(batch.isArray()).as(posted).isTrue();
    JsonNode span = null;
    for (JsonNode s : batch) {
      if (s.path("tags").path("http.url").asText().contains("/app/traced")) {
        span = s;
      }
    }
    assertThat(span).as(posted).isNotNull();
    assertThat(span.path("tags").path("team").asText()).isEqualTo("edge");
  }

  /**
   * A BackendTrafficPolicy's {@code spanName} renames the route's spans: the downstream span takes
   * the client name (its command operator filled in) and the upstream span the server name, Envoy's
   * route tracing {@code operation} and {@code upstream_operation}, over the EnvoyProxy's {@code
   * spanName}, which names the other route's spans (the connection manager's tracing).
   */
  @Test
  void aPolicysSpanNamesNameTheRoutesSpans() throws Exception {
    for (int i = 0; i < 6; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/named/span").status()).isEqualTo(200);
      assertThat(Http.get(stack.port(), "x.test", "/app/unnamed").status()).isEqualTo(200);
    }
    stack.await(
        "spans of both routes posted to the collector",
        () ->
            spans.stream().anyMatch(s -> s.contains("\"backend-call\""))
                && spans.stream().anyMatch(s -> s.contains("\"front "))
                && spans.stream().anyMatch(s -> s.contains("/app/unnamed")));
    // Both spans of a request carry the cluster of its route.
    List<JsonNode> named = new ArrayList<>();
    List<JsonNode> others = new ArrayList<>();
    for (String s : spans) {
      for (JsonNode span : Json.MAPPER.readTree(s)) {
        String cluster = span.path("tags").path("upstream_cluster").asText();
        if (cluster.startsWith("httproute/default/named/")) {
          named.add(span);
        } else if (cluster.startsWith("httproute/default/app/")) {
          others.add(span);
        }
      }
    }
    String posted = String.join("\n", spans);
    assertThat(named)
        .as(posted)
        .anySatisfy(
            span -> {
              assertThat(span.path("kind").asText()).isEqualTo("SERVER");
              assertThat(span.path("name").asText()).isEqualTo("front GET");
            })
        .anySatisfy(
            span -> {
              assertThat(span.path("kind").asText()).isEqualTo("CLIENT");
              assertThat(span.path("name").asText()).isEqualTo("backend-call");
            });
    // The other route keeps the tracer's own names.
    // The other route's spans take the EnvoyProxy's names (the connection manager's).
    assertThat(others)
        .as(posted)
        .noneMatch(span -> span.path("name").asText().matches("front .*|backend-call"))
        .anySatisfy(
            span -> {
              assertThat(span.path("kind").asText()).isEqualTo("SERVER");
              assertThat(span.path("name").asText()).isEqualTo("proxy-in");
            })
        .anySatisfy(
            span -> {
              assertThat(span.path("kind").asText()).isEqualTo("CLIENT");
              assertThat(span.path("name").asText()).isEqualTo("proxy-out");
            });
  }
}
