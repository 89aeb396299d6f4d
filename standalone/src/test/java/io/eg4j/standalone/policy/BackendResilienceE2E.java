package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy resilience settings through the real envoy, one stack for the class: a
 * circuit breaker of one connection and one pending request answers 503 to the overflow at once; an
 * active HTTP health check takes an endpoint whose health path fails out of rotation; passive
 * outlier detection ejects an endpoint after its first 5xx; a response override replaces a
 * backend's 500 with the policy's status and body.
 *
 * <p>Besides the echo backend there are two small servers: "sick" serves every path with 200 and
 * body {@code sick} except {@code /health}, which answers 503; "broken" answers 500 with body
 * {@code broken} to everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendResilienceE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  ExecutorService pool;

  /**
   * A backend that answers {@code /health} with {@code healthStatus} and body {@code health}, every
   * other path with {@code status} and {@code body}.
   */
  private HttpServer server(String body, int status, int healthStatus) throws IOException {
    return stack.httpBackend(
        ex -> {
          try (ex) {
            ex.getRequestBody().readAllBytes();
            boolean health = ex.getRequestURI().getPath().equals("/health");
            PolicyStack.respond(
                ex, health ? healthStatus : status, "text/plain", health ? "health" : body);
          }
        });
  }

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    pool = Executors.newFixedThreadPool(8);
    stack.closeWith(pool::shutdownNow);
    EchoServer echo = stack.echo("echo");
    int sickPort = server("sick", 200, 503).getAddress().getPort();
    int brokenPort = server("broken", 500, 500).getAddress().getPort();
    StringBuilder yaml =
        new StringBuilder(
            stack.gateway()
                + "---\n"
                + PolicyStack.service("echo", echo.port())
                + "---\n"
                + PolicyStack.service("breaker", echo.port())
                + "---\n"
                + PolicyStack.multiEndpointService("checked", echo.port(), sickPort)
                + "---\n"
                + PolicyStack.multiEndpointService("outliers", echo.port(), brokenPort)
                + "---\n"
                + PolicyStack.service("broken", brokenPort));
    yaml.append(PolicyStack.route("cb", "breaker"))
        .append(PolicyStack.route("hc", "checked"))
        .append(PolicyStack.route("od", "outliers"))
        .append(PolicyStack.route("override", "broken"))
        .append(PolicyStack.route("raw", "broken"))
        .append(PolicyStack.route("plain", "echo"));
    yaml.append(
        """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: cb}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: cb}]
          circuitBreaker: {maxConnections: 1, maxPendingRequests: 1, maxParallelRequests: 1}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: hc}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: hc}]
          loadBalancer: {type: RoundRobin}
          healthCheck:
            active:
              type: HTTP
              interval: 200ms
              timeout: 500ms
              unhealthyThreshold: 1
              healthyThreshold: 1
              http: {path: /health, expectedStatuses: [200]}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: od}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: od}]
          loadBalancer: {type: RoundRobin}
          healthCheck:
            passive:
              consecutive5XxErrors: 1
              consecutiveGatewayErrors: 1
              interval: 1s
              baseEjectionTime: 60s
              maxEjectionPercent: 100
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: override}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: override}]
          responseOverride:
          - match:
              statusCodes:
              - {type: Value, value: 500}
            response:
              contentType: text/plain
              statusCode: 503
              body: {type: Inline, inline: "we are fixing it"}
        """);
    stack.apply(yaml.toString());
    stack.assertAccepted("BackendTrafficPolicy", "cb", "hc", "od", "override");
    stack.awaitServes("/plain");
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void theCircuitBreakerAnswers503ToTheOverflowAtOnce() throws Exception {
    // Six slow requests at once: one runs on the connection, one waits, the rest overflow.
    List<CompletableFuture<long[]>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int n = i;
      calls.add(
          CompletableFuture.supplyAsync(
              () -> {
                long t = System.nanoTime();
                Http.Response r = Http.get(stack.port(), "x.test", "/cb/" + n + "?delay=1500ms");
                return new long[] {r.status(), System.nanoTime() - t};
              },
              pool));
    }
    int ok = 0;
    int overflow = 0;
    for (CompletableFuture<long[]> c : calls) {
      long[] r = c.get(20, TimeUnit.SECONDS);
      if (r[0] == 200) {
        ok++;
      } else {
        assertThat(r[0]).as("a refused request").isEqualTo(503);
        assertThat(Duration.ofNanos(r[1]))
            .as("the overflow is answered without waiting for the backend")
            .isLessThan(Duration.ofMillis(1400));
        overflow++;
      }
    }
    // Envoy lets each worker thread open its first connection even at the connection limit, so
    // with two workers up to two requests run and one waits.
    assertThat(ok).as("the requests on a connection and the pending one").isBetween(1, 3);
    assertThat(overflow).isGreaterThanOrEqualTo(3);
    // Once the burst is over the route serves again.
    assertThat(Http.get(stack.port(), "x.test", "/cb/after").status()).isEqualTo(200);
  }

  @Test
  void anEndpointFailingItsActiveHealthCheckGetsNoTraffic() {
    // Round robin over echo and "sick": without the health check every other answer is "sick".
    stack.await(
        "the active health check ejects the sick endpoint",
        () -> {
          for (int i = 0; i < 6; i++) {
            Http.Response r = Http.get(stack.port(), "x.test", "/hc/probe");
            if (r.status() != 200 || r.body().contains("sick")) {
              return false;
            }
          }
          return true;
        });
    for (int i = 0; i < 20; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", "/hc/" + i);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).as("request %d", i).contains("\"pod\"").doesNotContain("sick");
    }
  }

  @Test
  void outlierDetectionEjectsAnEndpointAfterItsFirst5xx() {
    // Round robin over echo and "broken": "broken" is reached within two requests, answers 500
    // once, and is ejected for a minute; without detection half the answers would be 500.
    int errors = 0;
    for (int i = 0; i < 30; i++) {
      int status = Http.get(stack.port(), "x.test", "/od/" + i).status();
      assertThat(status).isIn(200, 500);
      if (status == 500) {
        errors++;
      }
    }
    // The ejection is decided on Envoy's main thread: a request may slip through meanwhile.
    assertThat(errors).as("5xx answers before the ejection").isBetween(1, 3);
    for (int i = 0; i < 10; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/od/after" + i).status()).isEqualTo(200);
    }
  }

  @Test
  void aResponseOverrideReplacesTheBackendsError() {
    Http.Response r = Http.get(stack.port(), "x.test", "/override/a");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("we are fixing it");
    assertThat(r.header("content-type")).startsWith("text/plain");
    Http.Response raw = Http.get(stack.port(), "x.test", "/raw/a");
    assertThat(raw.status()).as("the same backend without the policy").isEqualTo(500);
    assertThat(raw.body()).isEqualTo("broken");
  }
}
