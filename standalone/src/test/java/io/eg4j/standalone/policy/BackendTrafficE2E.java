package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy cluster settings through the real envoy: a round-robin load balancer takes
 * turns between two endpoints, a request timeout answers 504 for a slow backend, and a policy that
 * sets a field eg4j does not enforce leaves its route as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendTrafficE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer a;
  EchoServer b;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    a = EchoServer.start(0, "echo-a", "default");
    b = EchoServer.start(0, "echo-b", "default");
    StringBuilder yaml =
        new StringBuilder(
            stack.gateway()
                + "---\n"
                + PolicyStack.service("pair", a.port())
                + """
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  namespace: default
                  name: pair-2
                  labels:
                    kubernetes.io/service-name: pair
                addressType: IPv4
                ports:
                - name: http
                  port: %d
                  protocol: TCP
                endpoints:
                - addresses: [127.0.0.1]
                  conditions:
                    ready: true
                """
                    .formatted(b.port()));
    for (String r : new String[] {"rr", "slow", "unsupported", "sticky", "retry"}) {
      yaml.append(PolicyStack.route(r, "pair"));
    }
    yaml.append(
        """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: rr}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: rr}]
          loadBalancer: {type: RoundRobin}
          circuitBreaker: {maxConnections: 100, maxPendingRequests: 100}
          tcpKeepalive: {probes: 3, idleTime: 5m, interval: 30s}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: retry}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: retry}]
          retry:
            numRetries: 4
            retryOn: {triggers: [retriable-status-codes], httpStatusCodes: [503]}
            perRetry: {backOff: {baseInterval: 10ms, maxInterval: 50ms}}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: sticky}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: sticky}]
          loadBalancer:
            type: ConsistentHash
            consistentHash: {type: Header, header: {name: x-user}, tableSize: 65537}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: slow}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: slow}]
          timeout:
            tcp: {connectTimeout: 2s}
            http: {requestTimeout: 300ms, connectionIdleTimeout: 30s}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: unsupported}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: unsupported}]
          timeout:
            http: {requestTimeout: 300ms}
          telemetry:
            tracing: {samplingRate: 100}
        """);
    stack.apply(yaml.toString());
    stack.await(
        "the request timeout cuts a slow request",
        () -> Http.get(stack.port(), "x.test", "/slow/a?delay=2s").status() == 504);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    for (EchoServer e : new EchoServer[] {a, b}) {
      if (e != null) {
        e.close();
      }
    }
  }

  private static final Pattern POD = Pattern.compile("\"pod\"\\s*:\\s*\"([^\"]+)\"");

  @Test
  void roundRobinTakesTurns() {
    List<String> pods = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", "/rr/" + i);
      assertThat(r.status()).isEqualTo(200);
      Matcher m = POD.matcher(r.body());
      assertThat(m.find()).as(r.body()).isTrue();
      pods.add(m.group(1));
    }
    for (int i = 1; i < pods.size(); i++) {
      assertThat(pods.get(i)).as("request %d of %s", i, pods).isNotEqualTo(pods.get(i - 1));
    }
  }

  private String pod(String path, String... headers) {
    Http.Response r = Http.get(stack.port(), "x.test", path, headers);
    assertThat(r.status()).isEqualTo(200);
    Matcher m = POD.matcher(r.body());
    assertThat(m.find()).as(r.body()).isTrue();
    return m.group(1);
  }

  @Test
  void consistentHashKeepsAUserOnOneBackend() {
    java.util.Set<String> all = new java.util.HashSet<>();
    for (int user = 0; user < 12; user++) {
      String first = pod("/sticky/a", "x-user", "user-" + user);
      all.add(first);
      for (int i = 0; i < 4; i++) {
        assertThat(pod("/sticky/" + i, "x-user", "user-" + user))
            .as("user-%d stays on its backend", user)
            .isEqualTo(first);
      }
    }
    assertThat(all).as("users spread over both backends").hasSize(2);
  }

  @Test
  void failedRequestsAreRetried() {
    // Each backend answers 503 twice for this id before 200: only retries get the 200.
    assertThat(Http.get(stack.port(), "x.test", "/retry/a?uuid=r1&succeedAfter=2").status())
        .isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/retry/a?uuid=r2&succeedAfter=9").status())
        .as("more failures than retries")
        .isEqualTo(503);
  }

  @Test
  void theRequestTimeoutAnswers504() {
    assertThat(Http.get(stack.port(), "x.test", "/slow/a?delay=2s").status()).isEqualTo(504);
    assertThat(Http.get(stack.port(), "x.test", "/slow/a").status()).isEqualTo(200);
  }

  @Test
  void aPolicyWithAnUnenforcedFieldChangesNothing() {
    assertThat(Http.get(stack.port(), "x.test", "/unsupported/a?delay=1s").status())
        .as("the timeout of the refused policy does not apply")
        .isEqualTo(200);
  }
}
