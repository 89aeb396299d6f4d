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
 * a bucket of 1 a minute; another route without a policy is not limited.
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
            """);
    stack.await(
        "the free route serves", () -> Http.get(stack.port(), "x.test", "/free").status() == 200);
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
}
