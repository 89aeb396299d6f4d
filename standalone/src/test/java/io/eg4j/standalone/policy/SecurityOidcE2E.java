package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SecurityPolicy OIDC through the real envoy, with the whole browser flow against an OpenID
 * provider run by the test on 127.0.0.1: a request without a session is redirected to the provider,
 * the provider redirects back with a code, Envoy exchanges the code at the token endpoint (checking
 * the client secret), sets the session cookies and sends the browser back; with the cookies the
 * request reaches the echo backend, carrying the access token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityOidcE2E {
  static final String CLIENT = "eg4j-test-client";
  static final String SECRET = "s3cret-value";

  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  HttpServer provider;
  final AtomicInteger tokenExchanges = new AtomicInteger();
  final AtomicInteger discoveries = new AtomicInteger();
  final HttpClient client =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  static Map<String, String> query(String q) {
    Map<String, String> out = new LinkedHashMap<>();
    if (q == null) {
      return out;
    }
    for (String kv : q.split("&")) {
      int i = kv.indexOf('=');
      if (i > 0) {
        out.put(
            URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8),
            URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @BeforeAll
  void start() throws Exception {
    provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    provider.createContext(
        "/authorize",
        ex -> {
          Map<String, String> q = query(ex.getRequestURI().getRawQuery());
          String back =
              q.get("redirect_uri")
                  + "?code=code-1&state="
                  + URLEncoder.encode(q.getOrDefault("state", ""), StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Location", back);
          ex.sendResponseHeaders(302, -1);
          ex.close();
        });
    provider.createContext(
        "/.well-known/openid-configuration",
        ex -> {
          String base = "http://127.0.0.1:" + provider.getAddress().getPort();
          discoveries.incrementAndGet();
          byte[] out =
              ("{\"issuer\":\""
                      + base
                      + "\",\"authorization_endpoint\":\""
                      + base
                      + "/authorize\",\"token_endpoint\":\""
                      + base
                      + "/token\"}")
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, out.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(out);
          }
        });
    provider.createContext(
        "/token",
        ex -> {
          String auth = ex.getRequestHeaders().getFirst("Authorization");
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          String want =
              "Basic "
                  + Base64.getEncoder()
                      .encodeToString((CLIENT + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
          boolean ok = want.equals(auth) && query(body).get("code") != null;
          byte[] out =
              (ok
                      ? "{\"access_token\":\"at-1\",\"id_token\":\"it-1\",\"token_type\":\"Bearer\","
                          + "\"expires_in\":3600,\"refresh_token\":\"rt-1\"}"
                      : "{\"error\":\"invalid_client\"}")
                  .getBytes(StandardCharsets.UTF_8);
          if (ok) {
            tokenExchanges.incrementAndGet();
          }
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(ok ? 200 : 401, out.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(out);
          }
        });
    provider.start();
    int p = provider.getAddress().getPort();
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    String yaml =
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + """
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: envoy-gateway-system}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {namespace: envoy-gateway-system, name: envoy-oidc-hmac}
            data:
              hmac-secret: %s
            ---
            apiVersion: v1
            kind: Secret
            metadata: {namespace: default, name: oidc-client}
            data:
              client-secret: %s
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: app}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: login}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}]
              oidc:
                provider:
                  issuer: http://127.0.0.1:%d
                clientID: %s
                clientSecret: {name: oidc-client}
                redirectURL: http://x.test:%d/oauth2/callback
                logoutPath: /logout
                %s
                csrfTokenTTL: 5m
                disableTokenEncryption: true
                cookieConfig: {sameSite: Strict}
            """
                .formatted(
                    Base64.getEncoder()
                        .encodeToString(
                            "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8)),
                    Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8)),
                    p,
                    CLIENT,
                    stack.port(),
                    forwarding().indent(4).strip());
    stack.apply(yaml);
    stack.await(
        "an unauthenticated request is redirected to the provider",
        () -> Http.get(stack.port(), "x.test", "/app").status() == 302);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (provider != null) {
      provider.stop(0);
    }
  }

  /** A GET to Envoy (as host x.test) or to the provider, with the cookie jar's cookies. */
  HttpResponse<String> get(URI uri, Map<String, String> cookies) throws Exception {
    boolean toEnvoy = "x.test".equals(uri.getHost());
    URI target =
        toEnvoy
            ? URI.create(
                "http://127.0.0.1:"
                    + stack.port()
                    + uri.getRawPath()
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()))
            : uri;
    HttpRequest.Builder b = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).GET();
    if (toEnvoy) {
      b.header("Host", "x.test:" + stack.port());
    }
    if (!cookies.isEmpty()) {
      StringBuilder c = new StringBuilder();
      cookies.forEach(
          (k, v) -> c.append(c.length() == 0 ? "" : "; ").append(k).append('=').append(v));
      b.header("Cookie", c.toString());
    }
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    for (String sc : r.headers().allValues("set-cookie")) {
      String pair = sc.split(";", 2)[0];
      int i = pair.indexOf('=');
      if (i > 0) {
        String v = pair.substring(i + 1);
        if (v.isEmpty() || sc.toLowerCase().contains("max-age=0") || sc.contains("1970")) {
          cookies.remove(pair.substring(0, i));
        } else {
          cookies.put(pair.substring(0, i), v);
        }
      }
    }
    return r;
  }

  /** The policy's token forwarding settings (YAML lines of {@code oidc}). */
  String forwarding() {
    return "forwardAccessToken: true\nforwardIDToken: {header: X-Id-Token}";
  }

  /** What the backend sees of the tokens, as {@link #forwarding()} asks. */
  void assertForwarded(String echoed) {
    assertThat(echoed).containsPattern("(?i)\"authorization\"\\s*:\\s*\\[\\s*\"Bearer at-1\"");
    // The ID token is forwarded in its own header.
    assertThat(echoed).containsPattern("(?i)\"x-id-token\"\\s*:\\s*\\[\\s*\"it-1\"");
  }

  @Test
  void theBrowserFlowEndsAtTheBackendWithTheAccessToken() throws Exception {
    Map<String, String> jar = new LinkedHashMap<>();
    URI start = URI.create("http://x.test:" + stack.port() + "/app/page");
    HttpResponse<String> r = get(start, jar);
    assertThat(r.statusCode()).isEqualTo(302);
    URI authorize = URI.create(r.headers().firstValue("location").orElseThrow());
    // The endpoints came from the issuer's discovery document.
    assertThat(discoveries.get()).isPositive();
    assertThat(authorize.getPath()).isEqualTo("/authorize");
    // The login flow's CSRF cookie lives csrfTokenTTL; every cookie is SameSite=Strict.
    assertThat(r.headers().allValues("set-cookie"))
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c).contains("SameSite=Strict"))
        .anySatisfy(c -> assertThat(c).contains("Max-Age=300"));
    assertThat(query(authorize.getRawQuery())).containsEntry("client_id", CLIENT);
    int exchanges = tokenExchanges.get();
    // The provider sends the browser back with a code; Envoy exchanges it and sets the session.
    URI callback = URI.create(get(authorize, jar).headers().firstValue("location").orElseThrow());
    assertThat(callback.getPath()).isEqualTo("/oauth2/callback");
    HttpResponse<String> afterCallback = get(callback, jar);
    assertThat(afterCallback.statusCode()).as(afterCallback.body()).isEqualTo(302);
    assertThat(tokenExchanges.get()).isEqualTo(exchanges + 1);
    URI back = URI.create(afterCallback.headers().firstValue("location").orElseThrow());
    HttpResponse<String> page = get(back.getHost() == null ? start.resolve(back) : back, jar);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("/app/page");
    assertForwarded(page.body());
    // The session cookie holds the token in plain text (disableTokenEncryption).
    assertThat(jar.values()).contains("at-1");
    // The session cookies keep working without the provider.
    assertThat(get(start, jar).statusCode()).isEqualTo(200);
  }

  @Test
  void aRequestWithoutASessionNeverReachesTheBackend() throws Exception {
    Map<String, String> jar = new LinkedHashMap<>();
    jar.put("BearerToken", "forged");
    HttpResponse<String> r = get(URI.create("http://x.test:" + stack.port() + "/app/x"), jar);
    assertThat(r.statusCode()).isEqualTo(302);
    assertThat(echo.seenPaths()).doesNotContain("/app/x");
  }
}
