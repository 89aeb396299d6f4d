package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy local rate limits through the real envoy: the route allows 3 requests a
 * minute, then answers 429 with the rate limit headers; requests of user "alice" (by header) share
 * a bucket of 1 a minute; another route without a policy is not limited. Distinct selectors: a
 * bucket per value of a header, and a bucket per client address in a range (clients bound to
 * 127.0.0.1 and 127.0.0.2).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalRateLimitE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + PolicyStack.route("limited", "echo")
            + PolicyStack.route("free", "echo")
            + PolicyStack.route("per-user", "echo")
            + PolicyStack.route("per-client", "echo")
            + PolicyStack.route("costly", "echo")
            + PolicyStack.route("shared-a", "echo")
            + PolicyStack.route("shared-b", "echo")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: limits}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: limited}]
              rateLimit:
                type: Local
                local:
                  rules:
                  - limit: {requests: 3, unit: Minute}
                  - clientSelectors:
                    - headers: [{name: x-user, value: alice}]
                    limit: {requests: 1, unit: Minute}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: per-user}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: per-user}]
              rateLimit:
                local:
                  rules:
                  - clientSelectors:
                    - headers: [{name: x-user, type: Distinct}]
                    limit: {requests: 1, unit: Minute}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: per-client}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: per-client}]
              rateLimit:
                local:
                  rules:
                  - clientSelectors:
                    - sourceCIDR: {type: Distinct, value: 127.0.0.0/8}
                    limit: {requests: 1, unit: Minute}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: costly}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: costly}]
              rateLimit:
                local:
                  rules:
                  # 6 tokens a minute, 3 per request: the third request is refused.
                  - clientSelectors: [{headers: [{name: x-plan, value: heavy}]}]
                    limit: {requests: 6, unit: Minute}
                    cost: {request: {from: Number, number: 3}}
                  # A bucket per value of ?key.
                  - clientSelectors: [{queryParams: [{name: key, type: Distinct}]}]
                    limit: {requests: 1, unit: Minute}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: shared}
            spec:
              targetRefs:
              - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: shared-a}
              - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: shared-b}
              rateLimit:
                local:
                  rules:
                  # One bucket for both routes: everyone but bob.
                  - clientSelectors: [{headers: [{name: x-user, value: bob, invert: true}]}]
                    limit: {requests: 3, unit: Minute}
                    shared: true
                  # x-user: bob has a bucket of 1 on both routes together.
                  - clientSelectors: [{headers: [{name: x-user, value: bob}]}]
                    limit: {requests: 1, unit: Minute}
                    shared: true
            """);
    stack.await(
        "the free route serves", () -> Http.get(stack.port(), "x.test", "/free").status() == 200);
    stack.await(
        "the per-client route serves",
        () -> Http.get(stack.port(), "x.test", "/per-client", "x-warm", "1").status() != 404);
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
  void requestsOverTheLimitGet429() {
    // alice's own bucket: one request, then 429 (her requests do not use the default bucket).
    assertThat(Http.get(stack.port(), "x.test", "/limited", "x-user", "alice").status())
        .isEqualTo(200);
    Http.Response refused = Http.get(stack.port(), "x.test", "/limited", "x-user", "alice");
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.header("x-ratelimit-limit")).isNotNull();
    // Everyone else: three requests a minute.
    for (int i = 0; i < 3; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/limited").status())
          .as("request " + i)
          .isEqualTo(200);
    }
    Http.Response fourth = Http.get(stack.port(), "x.test", "/limited");
    assertThat(fourth.status()).isEqualTo(429);
    assertThat(fourth.header("x-ratelimit-remaining")).isEqualTo("0");
    // A route without the policy is not limited.
    for (int i = 0; i < 5; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/free").status()).isEqualTo(200);
    }
  }

  @Test
  void theCostlyPolicyIsAccepted() {
    stack.assertAccepted("BackendTrafficPolicy", "costly");
  }

  @Test
  void aRequestCostOfThreeExhaustsSixTokensInTwoRequests() {
    for (int i = 0; i < 2; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/costly", "x-plan", "heavy").status())
          .as("heavy request " + (i + 1))
          .isEqualTo(200);
    }
    assertThat(Http.get(stack.port(), "x.test", "/costly", "x-plan", "heavy").status())
        .isEqualTo(429);
    // Requests the rule does not select are not limited (no default limit on this route).
    for (int i = 0; i < 4; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/costly", "x-plan", "light").status())
          .isEqualTo(200);
    }
  }

  @Test
  void distinctQueryParameterValuesHaveABucketEach() {
    assertThat(Http.get(stack.port(), "x.test", "/costly?key=a").status()).isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/costly?key=a").status()).isEqualTo(429);
    assertThat(Http.get(stack.port(), "x.test", "/costly?key=b").status()).isEqualTo(200);
    for (int i = 0; i < 3; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/costly?other=1").status()).isEqualTo(200);
    }
  }

  @Test
  void aSharedLimitIsExhaustedAcrossTheTwoRoutes() {
    stack.assertAccepted("BackendTrafficPolicy", "shared");
    assertThat(Http.get(stack.port(), "x.test", "/shared-a", "x-user", "bob").status())
        .isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/shared-b", "x-user", "bob").status())
        .isEqualTo(429);
    // Everyone else's bucket: 3 a minute on both routes together.
    assertThat(Http.get(stack.port(), "x.test", "/shared-b").status()).isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/shared-a").status()).isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/shared-b").status()).isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/shared-a").status()).isEqualTo(429);
    assertThat(Http.get(stack.port(), "x.test", "/shared-b").status()).isEqualTo(429);
    // The listener's other routes take nothing from the shared buckets.
    for (int i = 0; i < 4; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/free", "x-user", "bob").status())
          .isEqualTo(200);
    }
  }

  @Test
  void distinctHeaderValuesHaveABucketEach() {
    assertThat(Http.get(stack.port(), "x.test", "/per-user", "x-user", "alice").status())
        .isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/per-user", "x-user", "alice").status())
        .isEqualTo(429);
    // bob's bucket is his own.
    assertThat(Http.get(stack.port(), "x.test", "/per-user", "x-user", "bob").status())
        .isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/per-user", "x-user", "bob").status())
        .isEqualTo(429);
    // Without the header the rule does not apply (no default limit on this route).
    for (int i = 0; i < 3; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/per-user").status()).isEqualTo(200);
    }
  }

  @Test
  void distinctSourceAddressesHaveABucketEach() throws Exception {
    // The wait in start() may already have used 127.0.0.1's one request.
    int first = statusFrom("127.0.0.1", "/per-client");
    assertThat(first).isIn(200, 429);
    assertThat(statusFrom("127.0.0.1", "/per-client")).isEqualTo(429);
    // Another client address in the range has its own bucket.
    assertThat(statusFrom("127.0.0.2", "/per-client")).isEqualTo(200);
    assertThat(statusFrom("127.0.0.2", "/per-client")).isEqualTo(429);
  }

  /** One HTTP/1.1 request from a client socket bound to {@code source}; the response status. */
  private int statusFrom(String source, String path) throws Exception {
    try (java.net.Socket s = new java.net.Socket()) {
      s.setSoTimeout(5000);
      s.bind(new java.net.InetSocketAddress(source, 0));
      s.connect(new java.net.InetSocketAddress("127.0.0.1", stack.port()), 5000);
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String line =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(
                      s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII))
              .readLine();
      return Integer.parseInt(line.split(" ")[1]);
    }
  }
}
