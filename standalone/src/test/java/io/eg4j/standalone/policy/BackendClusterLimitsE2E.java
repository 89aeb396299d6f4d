package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
 * BackendTrafficPolicy cluster settings through the real envoy, one stack for the class: with a
 * per-endpoint limit of one connection a burst of requests queues for it instead of opening a
 * connection each (as the same backend without the limit does); an active HTTP health check sends
 * its own Host header and a POST body, and an endpoint that only answers that request passes it,
 * while a check with another host name ejects it; the cookie Envoy sets for a consistent hash
 * carries the policy's attributes; a route whose upstream sockets get kernel buffer limits serves;
 * out-of-band load reports make Envoy open an HTTP/2 connection to the policy's reporting port.
 *
 * <p>Besides the echo backend there is "picky": it answers every path with 200 and body {@code
 * picky}, except {@code /health}, which answers 200 only to a POST with Host {@code
 * health.example.com} and body {@code ping}, and 503 otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendClusterLimitsE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  ExecutorService pool;
  final CompletableFuture<String> orcaPreface = new CompletableFuture<>();

  /** The "picky" backend (see the class comment). */
  private static void picky(HttpExchange ex) throws IOException {
    try (ex) {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      int status = 200;
      if (ex.getRequestURI().getPath().equals("/health")) {
        boolean expected =
            ex.getRequestMethod().equals("POST")
                && "health.example.com".equals(ex.getRequestHeaders().getFirst("Host"))
                && body.equals("ping");
        status = expected ? 200 : 503;
      }
      PolicyStack.respond(ex, status, "text/plain", "picky");
    }
  }

  private static String check(String name, String route, String hostname) {
    return """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: %s}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %s}]
          loadBalancer: {type: RoundRobin}
          healthCheck:
            active:
              type: HTTP
              interval: 200ms
              timeout: 500ms
              initialJitter: 100ms
              unhealthyThreshold: 1
              healthyThreshold: 1
              http:
                path: /health
                hostname: %s
                method: POST
                requestBody: {type: Text, text: ping}
                expectedStatuses: [200]
        """
        .formatted(name, route, hostname)
        .replaceAll(" *hostname: null\n", "");
  }

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    pool = Executors.newFixedThreadPool(8);
    stack.closeWith(pool::shutdownNow);
    EchoServer echo = stack.echo("echo");
    int pickyPort = stack.httpBackend(BackendClusterLimitsE2E::picky).getAddress().getPort();
    // The ORCA reporting port: records the first bytes of the first connection.
    ServerSocket orca = stack.closeWith(new ServerSocket(0, 8, InetAddress.getLoopbackAddress()));
    pool.submit(
        () -> {
          try (Socket c = orca.accept()) {
            orcaPreface.complete(
                new String(c.getInputStream().readNBytes(24), StandardCharsets.ISO_8859_1));
          } catch (IOException e) {
            orcaPreface.completeExceptionally(e);
          }
        });
    StringBuilder yaml =
        new StringBuilder(
            stack.gateway()
                + "---\n"
                + PolicyStack.service("echo", echo.port())
                + "---\n"
                + PolicyStack.service("limited", echo.port())
                + "---\n"
                + PolicyStack.service("unlimited", echo.port())
                + "---\n"
                + PolicyStack.multiEndpointService("right", echo.port(), pickyPort)
                + "---\n"
                + PolicyStack.multiEndpointService("wrong", echo.port(), pickyPort)
                + "---\n"
                + PolicyStack.multiEndpointService("fallback", echo.port(), pickyPort));
    yaml.append(PolicyStack.route("pe", "limited"))
        .append(PolicyStack.route("nope", "unlimited"))
        .append(PolicyStack.route("hcright", "right"))
        .append(PolicyStack.route("hcwrong", "wrong"))
        .append(PolicyStack.route("sticky", "echo"))
        .append(PolicyStack.route("buffers", "echo"))
        .append(PolicyStack.route("orca", "echo"))
        .append(PolicyStack.route("plain", "echo"))
        .append(
            """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: hcfallback}
            spec:
              parentRefs: [{name: eg}]
              hostnames: [health.example.com]
              rules:
              - matches: [{path: {type: PathPrefix, value: /hcfallback}}]
                backendRefs: [{name: fallback, port: 8080}]
            """);
    yaml.append(
            """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: pe}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: pe}]
              circuitBreaker:
                perEndpoint: {maxConnections: 1}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: sticky}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: sticky}]
              loadBalancer:
                type: ConsistentHash
                consistentHash:
                  type: Cookie
                  cookie:
                    name: affinity
                    ttl: 60s
                    attributes: {SameSite: Strict, Partitioned: ""}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: buffers}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: buffers}]
              connection: {socketBufferLimit: 64Ki}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: orca}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: orca}]
              loadBalancer:
                type: BackendUtilization
                backendUtilization:
                  outOfBand: {reportingPeriod: 1s, port: %d, authority: orca.example.com}
            """
                .formatted(orca.getLocalPort()))
        .append(check("hcright", "hcright", "health.example.com"))
        .append(check("hcwrong", "hcwrong", "other.example.com"))
        .append(check("hcfallback", "hcfallback", null));
    stack.apply(yaml.toString());
    stack.assertAccepted(
        "BackendTrafficPolicy", "pe", "sticky", "buffers", "orca", "hcright", "hcwrong");
    stack.awaitServes("/plain");
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** Six slow requests to {@code route} at once; the count of each status (200, 503). */
  private int[] burst(String route) throws Exception {
    List<CompletableFuture<Integer>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int n = i;
      calls.add(
          CompletableFuture.supplyAsync(
              () ->
                  Http.get(stack.port(), "x.test", "/" + route + "/" + n + "?delay=500ms").status(),
              pool));
    }
    int ok = 0;
    int refused = 0;
    for (CompletableFuture<Integer> c : calls) {
      int status = c.get(20, TimeUnit.SECONDS);
      assertThat(status).isIn(200, 503);
      if (status == 200) {
        ok++;
      } else {
        refused++;
      }
    }
    return new int[] {ok, refused};
  }

  /** A counter of the cluster of {@code route} (its one rule). */
  private long clusterStat(String route, String stat) {
    String body = stack.envoy().adminGet("/stats?filter=" + stat).body();
    for (String line : body.split("\n")) {
      if (line.startsWith("cluster.httproute/default/" + route + "/")
          && line.contains("." + stat + ": ")) {
        return Long.parseLong(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("no " + stat + " for route " + route + " in " + body);
  }

  @Test
  void thePerEndpointConnectionLimitHoldsBackNewConnections() throws Exception {
    // Six slow requests at once to one endpoint. With a limit of one connection per endpoint the
    // requests queue for it (Envoy lets each of its two workers open a first connection); without
    // it each gets a connection of its own.
    int[] limited = burst("pe");
    assertThat(limited[0]).as("all served, one after the other").isEqualTo(6);
    assertThat(clusterStat("pe", "upstream_cx_overflow")).as("connections held back").isPositive();
    assertThat(clusterStat("pe", "upstream_cx_total")).as("connections opened").isBetween(1L, 2L);
    int[] unlimited = burst("nope");
    assertThat(unlimited[0]).isEqualTo(6);
    assertThat(clusterStat("nope", "upstream_cx_overflow")).isZero();
    assertThat(clusterStat("nope", "upstream_cx_total")).as("connections opened").isGreaterThan(2L);
  }

  @Test
  void withoutAHostNameTheHealthCheckSendsTheRoutesHostName() {
    // The route's host name is health.example.com, the one picky wants: Envoy Gateway's Host for
    // a check without http.hostname (Envoy's own default would be the cluster name).
    stack.await(
        "both endpoints serve the route whose check picky passes with the route's host name",
        () -> {
          boolean sawPicky = false;
          boolean sawEcho = false;
          for (int i = 0; i < 6; i++) {
            Http.Response r = Http.get(stack.port(), "health.example.com", "/hcfallback/" + i);
            sawPicky |= r.status() == 200 && r.body().equals("picky");
            sawEcho |= r.status() == 200 && r.body().contains("\"pod\"");
          }
          return sawPicky && sawEcho;
        });
  }

  @Test
  void theHealthCheckSendsItsHostNameAndBody() {
    // "picky" passes only the check with its host name, method and body: on that route it keeps
    // its share of the round robin.
    stack.await(
        "both endpoints serve the route whose check picky passes",
        () -> {
          boolean sawPicky = false;
          boolean sawEcho = false;
          for (int i = 0; i < 6; i++) {
            Http.Response r = Http.get(stack.port(), "x.test", "/hcright/" + i);
            sawPicky |= r.status() == 200 && r.body().equals("picky");
            sawEcho |= r.status() == 200 && r.body().contains("\"pod\"");
          }
          return sawPicky && sawEcho;
        });
    // With another host name picky fails its check and gets no traffic.
    stack.await(
        "the check with the wrong host name ejects picky",
        () -> {
          for (int i = 0; i < 6; i++) {
            Http.Response r = Http.get(stack.port(), "x.test", "/hcwrong/probe");
            if (r.status() != 200 || r.body().equals("picky")) {
              return false;
            }
          }
          return true;
        });
    for (int i = 0; i < 10; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/hcwrong/" + i).body()).contains("\"pod\"");
    }
  }

  @Test
  void theHashCookieCarriesThePolicysAttributes() {
    Http.Response r = Http.get(stack.port(), "x.test", "/sticky/a");
    assertThat(r.status()).isEqualTo(200);
    String cookie = r.header("set-cookie");
    assertThat(cookie)
        .startsWith("affinity=")
        .contains("Max-Age=60")
        .contains("SameSite=Strict")
        .contains("Partitioned");
    Http.Response plain = Http.get(stack.port(), "x.test", "/plain/a");
    assertThat(plain.header("set-cookie")).as("a route without the hash").isNull();
  }

  @Test
  void aRouteWithSocketBufferLimitsServes() {
    Http.Response r = Http.get(stack.port(), "x.test", "/buffers/a");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("\"pod\"");
  }

  @Test
  void outOfBandReportsAreAskedForOnTheirOwnPort() throws Exception {
    // Envoy opens an HTTP/2 (gRPC) connection to the endpoint's reporting port for its
    // OpenRcaService stream, without a request on the route.
    assertThat(orcaPreface.get(20, TimeUnit.SECONDS)).isEqualTo("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assertThat(Http.get(stack.port(), "x.test", "/orca/a").status()).isEqualTo(200);
  }
}
