package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy admission control and the ClientTrafficPolicy switch for rate limit headers
 * through the real envoy, one stack for the class.
 *
 * <p>A "broken" backend answers 500 to everything and counts the requests it gets. The route {@code
 * /ac} reaches it through admission control: once the failures fill the sampling window, Envoy
 * rejects most requests itself with 503, and they never reach the backend. The route {@code
 * /tolerant} has the same admission control but counts 500 as a success, so nothing is rejected;
 * {@code /raw} has no policy. A ClientTrafficPolicy on the Gateway leaves out the x-ratelimit-*
 * headers: the local rate limit of {@code /quiet} sends none, that of {@code /loud}, whose rule
 * asks for them ({@code xRateLimitHeaders: DraftVersion03}), still does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdmissionControlE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  final AtomicInteger served = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    EchoServer echo = stack.echo("echo");
    int port =
        stack
            .httpBackend(
                ex -> {
                  try (ex) {
                    ex.getRequestBody().readAllBytes();
                    served.incrementAndGet();
                    PolicyStack.respond(ex, 500, "text/plain", "broken");
                  }
                })
            .getAddress()
            .getPort();
    String yaml =
        stack.gateway()
            + "---\n"
            + PolicyStack.service("broken", port)
            + "---\n"
            + PolicyStack.service("tolerated", port)
            + "---\n"
            + PolicyStack.service("unguarded", port)
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + PolicyStack.route("ac", "broken")
            + PolicyStack.route("tolerant", "tolerated")
            + PolicyStack.route("raw", "unguarded")
            + PolicyStack.route("quiet", "echo")
            + PolicyStack.route("loud", "echo")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: ac}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: ac}]
              admissionControl:
                samplingWindow: 30s
                minSuccessRate: 95
                maxRejectionPercent: 95
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: tolerant}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: tolerant}]
              admissionControl:
                samplingWindow: 30s
                minSuccessRate: 95
                maxRejectionPercent: 95
                successCriteria:
                  http: {statusCodes: [500]}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: quiet}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: quiet}]
              rateLimit:
                type: Local
                local:
                  rules:
                  - limit: {requests: 1000, unit: Minute}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: loud}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: loud}]
              rateLimit:
                type: Local
                local:
                  rules:
                  - limit: {requests: 1000, unit: Minute}
                    xRateLimitHeaders: DraftVersion03
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: ClientTrafficPolicy
            metadata: {namespace: default, name: quiet}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
              headers: {disableRateLimitHeaders: true}
            """;
    stack.apply(yaml);
    stack.assertAccepted("BackendTrafficPolicy", "ac", "tolerant", "quiet", "loud");
    stack.assertAccepted("ClientTrafficPolicy", "quiet");
    for (String r : new String[] {"ac", "tolerant", "raw"}) {
      stack.await(
          "the route /" + r + " reaches the backend",
          () -> Http.get(stack.port(), "x.test", "/" + r + "/warm").status() == 500);
    }
    stack.awaitServes("/quiet/warm");
    stack.awaitServes("/loud/warm");
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** The answers to {@code n} requests on {@code path}: [500 from the backend, 503 rejected]. */
  private int[] send(String path, int n) {
    int[] out = new int[2];
    for (int i = 0; i < n; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", path + "/" + i);
      if (r.status() == 500) {
        assertThat(r.body()).isEqualTo("broken");
        out[0]++;
      } else {
        assertThat(r.status()).as("a request rejected by admission control").isEqualTo(503);
        assertThat(r.body()).doesNotContain("broken");
        out[1]++;
      }
    }
    return out;
  }

  @Test
  void aFailingBackendIsShieldedOnceItsSuccessRateDrops() {
    int before = served.get();
    int[] answers = send("/ac", 200);
    int reached = served.get() - before;
    // Every request fails: the rejection probability climbs towards the 95% cap as the window
    // fills, so well over half of 200 requests are refused by Envoy without reaching the backend.
    assertThat(answers[1]).as("requests rejected by admission control").isGreaterThan(100);
    assertThat(answers[0]).as("requests let through").isGreaterThan(0);
    assertThat(reached).as("the backend sees only the requests let through").isEqualTo(answers[0]);
  }

  @Test
  void failuresCountedAsSuccessesAreNeverRejected() {
    int[] answers = send("/tolerant", 150);
    assertThat(answers[1]).as("no request is rejected").isZero();
    assertThat(answers[0]).isEqualTo(150);
  }

  @Test
  void withoutThePolicyEveryRequestReachesTheBackend() {
    int[] answers = send("/raw", 150);
    assertThat(answers[1]).isZero();
  }

  @Test
  void theListenersSwitchLeavesOutTheRateLimitHeadersUnlessARuleAsks() {
    Http.Response quiet = Http.get(stack.port(), "x.test", "/quiet/a");
    assertThat(quiet.status()).isEqualTo(200);
    assertThat(quiet.header("x-ratelimit-limit")).isNull();
    assertThat(quiet.header("x-ratelimit-remaining")).isNull();
    Http.Response loud = Http.get(stack.port(), "x.test", "/loud/a");
    assertThat(loud.status()).isEqualTo(200);
    assertThat(loud.header("x-ratelimit-limit")).isNotNull();
  }
}
