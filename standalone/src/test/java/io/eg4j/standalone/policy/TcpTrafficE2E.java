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
}
