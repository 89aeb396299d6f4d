package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy response overrides through the real envoy, one stack for the class: a
 * redirect (Envoy Gateway's, so internal: Envoy fetches the new URL and answers with that response
 * and the redirect's status code), an override that applies only when a response header matches,
 * headers added and set on the custom response, and rules limited to Envoy's own replies or to
 * upstream responses.
 *
 * <p>The "errors" backend answers {@code /<anything>/<status>} with that status, body {@code
 * upstream <status>} and the header {@code x-upstream: yes}; with {@code ?error=V} it adds {@code
 * x-error: V}. "fallback" is an echo backend (its JSON body names the host and path it got); "dead"
 * is a Service whose endpoint port is closed, so Envoy answers 503 itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResponseOverrideE2E {
  @TempDir static Path dir;
  PolicyStack stack;

  private static final Pattern STATUS = Pattern.compile("/(\\d{3})$");

  /** The "errors" backend (see the class comment). */
  private static void answerWithStatus(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getRequestBody().readAllBytes();
      Matcher m = STATUS.matcher(ex.getRequestURI().getPath());
      int status = m.find() ? Integer.parseInt(m.group(1)) : 200;
      String query = ex.getRequestURI().getQuery();
      if (query != null && query.startsWith("error=")) {
        ex.getResponseHeaders().set("x-error", query.substring("error=".length()));
      }
      ex.getResponseHeaders().set("x-upstream", "yes");
      PolicyStack.respond(ex, status, "text/html", "upstream " + status);
    }
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    EchoServer echo = stack.echo("fallback");
    HttpServer errors = stack.httpBackend(ResponseOverrideE2E::answerWithStatus);
    StringBuilder yaml =
        new StringBuilder(
            stack.gateway()
                + "---\n"
                + PolicyStack.service("fallback", echo.port())
                + "---\n"
                + PolicyStack.service("errors", errors.getAddress().getPort())
                + "---\n"
                + PolicyStack.service("dead", closedPort()));
    yaml.append(PolicyStack.route("fallback", "fallback"))
        .append(PolicyStack.route("redirect", "errors"))
        .append(PolicyStack.route("header", "errors"))
        .append(PolicyStack.route("source", "errors"))
        .append(PolicyStack.route("down", "dead"))
        .append(PolicyStack.route("raw", "errors"));
    yaml.append(
        """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: redirect}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: redirect}]
          responseOverride:
          - match:
              statusCodes: [{type: Value, value: 404}]
            redirect:
              hostname: help.example.com
              path: {type: ReplaceFullPath, replaceFullPath: /fallback/not-found}
              statusCode: 301
          - match:
              statusCodes: [{type: Range, range: {start: 500, end: 504}}]
            redirect:
              scheme: http
              path: {type: ReplaceFullPath, replaceFullPath: /fallback/sorry}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: header}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: header}]
          responseOverride:
          - match:
              statusCodes: [{type: Value, value: 500}]
              responseHeaders:
              - name: X-Error
                value: {type: Prefix, value: quota}
            response:
              contentType: text/plain
              statusCode: 429
              body: {type: Inline, inline: "slow down"}
              header:
                add: [{name: x-override, value: "quota"}]
                set: [{name: x-upstream, value: "hidden"}]
          - match:
              responseHeaders:
              - name: x-error
                value: {type: RegularExpression, value: "^maint(enance)?$"}
            response:
              statusCode: 503
              body: {type: Inline, inline: "maintenance"}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: source}
        spec:
          targetRefs:
          - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: source}
          - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: down}
          responseOverride:
          - match:
              statusCodes: [{type: Value, value: 503}]
            source: Local
            response: {statusCode: 502, body: {type: Inline, inline: "envoy could not reach it"}}
          - match:
              statusCodes: [{type: Value, value: 503}]
            source: Backend
            response: {body: {type: Inline, inline: "the backend is busy"}}
        """);
    stack.apply(yaml.toString());
    stack.assertAccepted("BackendTrafficPolicy", "redirect", "header", "source");
    stack.awaitServes("/raw/200");
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aBackend404IsRedirectedToTheNewHostAndPathWithTheRedirectsStatus() {
    Http.Response raw = Http.get(stack.port(), "x.test", "/raw/404");
    assertThat(raw.status()).as("the same backend without the policy").isEqualTo(404);

    Http.Response r = Http.get(stack.port(), "x.test", "/redirect/page/404");
    // Envoy follows the redirect itself: the answer is the fallback's, with status 301.
    assertThat(r.status()).isEqualTo(301);
    assertThat(r.body())
        .contains("\"pod\" : \"fallback\"")
        .contains("\"path\" : \"/fallback/not-found\"")
        .contains("\"host\" : \"help.example.com\"");
    assertThat(r.header("location")).as("an internal redirect sends no Location").isNull();
  }

  @Test
  void aBackend5xxIsRedirectedWithTheDefault302AndTheRequestsHost() {
    for (String status : new String[] {"500", "503"}) {
      Http.Response r = Http.get(stack.port(), "x.test", "/redirect/page/" + status);
      assertThat(r.status()).as("status %s", status).isEqualTo(302);
      assertThat(r.body())
          .contains("\"path\" : \"/fallback/sorry\"")
          .contains("\"host\" : \"x.test\"");
    }
    // A status outside the rules passes through.
    Http.Response r = Http.get(stack.port(), "x.test", "/redirect/page/505");
    assertThat(r.status()).isEqualTo(505);
    assertThat(r.body()).isEqualTo("upstream 505");
  }

  @Test
  void anOverrideAppliesOnlyWhenTheResponseHeaderMatches() {
    Http.Response quota = Http.get(stack.port(), "x.test", "/header/a/500?error=quota-exceeded");
    assertThat(quota.status()).isEqualTo(429);
    assertThat(quota.body()).isEqualTo("slow down");

    Http.Response other = Http.get(stack.port(), "x.test", "/header/a/500?error=disk");
    assertThat(other.status()).as("x-error does not start with quota").isEqualTo(500);
    assertThat(other.body()).isEqualTo("upstream 500");

    Http.Response none = Http.get(stack.port(), "x.test", "/header/a/500");
    assertThat(none.status()).as("no x-error at all").isEqualTo(500);

    Http.Response wrongStatus = Http.get(stack.port(), "x.test", "/header/a/502?error=quota");
    assertThat(wrongStatus.status()).as("the header matches, the status does not").isEqualTo(502);

    // A rule on headers alone applies whatever the status.
    Http.Response maint = Http.get(stack.port(), "x.test", "/header/a/200?error=maintenance");
    assertThat(maint.status()).isEqualTo(503);
    assertThat(maint.body()).isEqualTo("maintenance");
    assertThat(Http.get(stack.port(), "x.test", "/header/a/200?error=maintenances").status())
        .as("the regular expression matches the whole value")
        .isEqualTo(200);
  }

  @Test
  void theCustomResponseCarriesTheAddedAndSetHeaders() {
    Http.Response r = Http.get(stack.port(), "x.test", "/header/a/500?error=quota");
    assertThat(r.status()).isEqualTo(429);
    assertThat(r.header("x-override")).isEqualTo("quota");
    assertThat(r.headers().get("x-upstream")).as("set replaces").containsExactly("hidden");
    assertThat(r.header("content-type")).startsWith("text/plain");
    Http.Response raw = Http.get(stack.port(), "x.test", "/raw/500?error=quota");
    assertThat(raw.header("x-override")).isNull();
    assertThat(raw.header("x-upstream")).isEqualTo("yes");
    assertThat(raw.header("content-type")).startsWith("text/html");
  }

  @Test
  void aSourceLimitsARuleToEnvoysOwnRepliesOrToTheBackends() {
    Http.Response local = Http.get(stack.port(), "x.test", "/down/x");
    assertThat(local.status()).isEqualTo(502);
    assertThat(local.body()).isEqualTo("envoy could not reach it");

    Http.Response backend = Http.get(stack.port(), "x.test", "/source/x/503");
    assertThat(backend.status()).as("the status is kept").isEqualTo(503);
    assertThat(backend.body()).isEqualTo("the backend is busy");
  }
}
