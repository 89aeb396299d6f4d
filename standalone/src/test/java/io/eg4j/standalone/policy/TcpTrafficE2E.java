package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.xds.testing.Backends;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy cluster settings on a TCPRoute through the real envoy: without a policy the
 * connections spread over both TCP backends; with a consistent hash by client address every
 * connection from this client reaches one backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TcpTrafficE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  Backends.Running a;
  Backends.Running b;
  int tcpPort;
  String base;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    a = Backends.tcpEcho("a:");
    b = Backends.tcpEcho("b:");
    tcpPort = EnvoyProcess.freePort();
    base =
        stack.gateway()
            + """
              - name: tcp
                protocol: TCP
                port: %1$d
            ---
            apiVersion: v1
            kind: Service
            metadata: {namespace: default, name: pair}
            spec:
              ports: [{name: tcp, port: 9000, protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              namespace: default
              name: pair-1
              labels: {kubernetes.io/service-name: pair}
            addressType: IPv4
            ports: [{name: tcp, port: %2$d, protocol: TCP}]
            endpoints:
            - addresses: [127.0.0.1]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              namespace: default
              name: pair-2
              labels: {kubernetes.io/service-name: pair}
            addressType: IPv4
            ports: [{name: tcp, port: %3$d, protocol: TCP}]
            endpoints:
            - addresses: [127.0.0.1]
            ---
            apiVersion: gateway.networking.k8s.io/v1alpha2
            kind: TCPRoute
            metadata: {namespace: default, name: pair}
            spec:
              parentRefs: [{name: eg, sectionName: tcp}]
              rules:
              - backendRefs: [{name: pair, port: 9000}]
            """
                .formatted(tcpPort, a.port(), b.port());
    stack.apply(base);
    stack.await(
        "the TCP route serves",
        () -> {
          try {
            return Backends.tcpRoundTrip(tcpPort, "x").endsWith(":x");
          } catch (Exception e) {
            return false;
          }
        });
  }

  @AfterAll
  void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {a, b}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private Set<String> backendsOf(int connections) throws Exception {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < connections; i++) {
      seen.add(Backends.tcpRoundTrip(tcpPort, "ping").substring(0, 2));
    }
    return seen;
  }

  /**
   * Opens a connection, exchanges one line, then waits idle (at most 10 seconds) for Envoy to close
   * it; returns the milliseconds until the close, or -1 when it stayed open.
   */
  private long idleCloseMillis() throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", tcpPort)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("hi\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      java.io.InputStream in = s.getInputStream();
      int c;
      while ((c = in.read()) != '\n') {
        if (c < 0) {
          return 0;
        }
      }
      long start = System.nanoTime();
      try {
        if (in.read() < 0) {
          return (System.nanoTime() - start) / 1_000_000;
        }
      } catch (java.net.SocketTimeoutException e) {
        return -1;
      }
      return -1;
    }
  }

  @Test
  void theTcpIdleTimeoutClosesAnIdleConnection() throws Exception {
    stack.apply(
        base
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: ClientTrafficPolicy
            metadata: {namespace: default, name: idle}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: tcp}]
              timeout:
                tcp: {idleTimeout: 1s}
            """);
    stack.await(
        "the idle timeout is in effect",
        () -> {
          try {
            return idleCloseMillis() > 0;
          } catch (Exception e) {
            return false;
          }
        });
    // Closed after the second of silence, not before it (and well before Envoy's default hour).
    assertThat(idleCloseMillis()).isBetween(800L, 5_000L);
  }

  @Test
  void aConsistentHashKeepsAClientOnOneBackend() throws Exception {
    assertThat(backendsOf(30)).as("spread without a policy").containsExactlyInAnyOrder("a:", "b:");
    stack.apply(
        base
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: sticky}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: TCPRoute, name: pair}]
              loadBalancer:
                type: ConsistentHash
                consistentHash: {type: SourceIP}
            """);
    stack.await(
        "the policy is in effect",
        () -> {
          try {
            return backendsOf(10).size() == 1;
          } catch (Exception e) {
            return false;
          }
        });
    assertThat(backendsOf(30)).hasSize(1);
    assertThat(Http.get(stack.port(), "x.test", "/").status()).isEqualTo(404);
  }

  /**
   * A policy on the whole Gateway, which has an HTTP and a TCP listener, with an HTTP setting
   * (retries) and a cluster setting (a consistent hash by client address): as in Envoy Gateway it
   * is Accepted, the HTTP route retries and the TCP route's connections stick to one backend.
   */
  @Test
  void aGatewayPolicyActsOnItsHttpAndItsTcpRoutes() throws Exception {
    java.util.concurrent.atomic.AtomicInteger attempts =
        new java.util.concurrent.atomic.AtomicInteger();
    // Every other attempt fails: only a retry turns each request into a 200.
    int flaky =
        stack
            .httpBackend(
                ex ->
                    PolicyStack.respond(
                        ex,
                        attempts.incrementAndGet() % 2 == 1 ? 503 : 200,
                        "text/plain",
                        "attempt"))
            .getAddress()
            .getPort();
    String withRoute =
        base + PolicyStack.route("flaky", "flaky") + "---\n" + PolicyStack.service("flaky", flaky);
    try {
      stack.apply(
          withRoute
              + """
              ---
              apiVersion: gateway.envoyproxy.io/v1alpha1
              kind: BackendTrafficPolicy
              metadata: {namespace: default, name: gateway-wide}
              spec:
                targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
                retry:
                  numRetries: 2
                  retryOn:
                    httpStatusCodes: [503]
                loadBalancer:
                  type: ConsistentHash
                  consistentHash: {type: SourceIP}
              """);
      stack.assertAccepted("BackendTrafficPolicy", "gateway-wide");
      stack.await(
          "the TCP route's connections stick to one backend",
          () -> {
            try {
              return backendsOf(10).size() == 1;
            } catch (Exception e) {
              return false;
            }
          });
      assertThat(backendsOf(30)).hasSize(1);
      stack.awaitServes("/flaky");
      int before = attempts.get();
      for (int i = 0; i < 6; i++) {
        assertThat(Http.get(stack.port(), "x.test", "/flaky").status()).isEqualTo(200);
      }
      // Six requests, each a failed attempt and its retry (the alternation may start either way,
      // so one request can succeed at once).
      assertThat(attempts.get() - before).isBetween(11, 12);
    } finally {
      // The other tests start from the TCP route without a policy.
      stack.apply(base);
      stack.await(
          "the connections spread again",
          () -> {
            try {
              return backendsOf(30).size() == 2;
            } catch (Exception e) {
              return false;
            }
          });
    }
  }
}
