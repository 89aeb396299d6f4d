package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SecurityPolicy basic auth and API key auth through the real envoy: no credential is refused with
 * 401, a wrong one too, the right one reaches the echo backend (with the user name forwarded for
 * basic auth); routes without the policy are not affected.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityBasicAndApiKeyE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** An htpasswd line with Envoy's supported {SHA} hash. */
  static String htpasswd(String user, String password) throws Exception {
    byte[] sha =
        MessageDigest.getInstance("SHA-1").digest(password.getBytes(StandardCharsets.UTF_8));
    return user + ":{SHA}" + Base64.getEncoder().encodeToString(sha);
  }

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    String routes =
        """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: basic}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /basic}}]
            backendRefs: [{name: echo, port: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: keyed}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /keyed}}]
            backendRefs: [{name: echo, port: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: forwarded}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /forwarded}}]
            backendRefs: [{name: echo, port: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: open}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /open}}]
            backendRefs: [{name: echo, port: 8080}]
        ---
        apiVersion: v1
        kind: Secret
        metadata: {namespace: default, name: users}
        data:
          .htpasswd: %s
        ---
        apiVersion: v1
        kind: Secret
        metadata: {namespace: default, name: api-keys}
        data:
          client-a: %s
          client-b: %s
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: basic}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: basic}]
          basicAuth:
            users: {name: users}
            forwardUsernameHeader: x-user
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: keyed}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: keyed}]
          apiKeyAuth:
            credentialRefs: [{name: api-keys}]
            extractFrom:
            - headers: [x-api-key]
            - params: [api_key]
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: forwarded}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: forwarded}]
          apiKeyAuth:
            credentialRefs: [{name: api-keys}]
            extractFrom:
            - headers: [x-api-key]
            forwardClientIDHeader: x-client-id
            sanitize: true
        """
            .formatted(
                b64(htpasswd("alice", "wonderland") + "\n" + htpasswd("bob", "builder") + "\n"),
                b64("key-aaa"),
                b64("key-bbb"));
    stack.apply(stack.gateway() + "---\n" + PolicyStack.service("echo", echo.port()) + routes);
    stack.await(
        "the open route serves", () -> Http.get(stack.port(), "x.test", "/open").status() == 200);
    stack.await(
        "basic auth is enforced", () -> Http.get(stack.port(), "x.test", "/basic").status() == 401);
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
  void basicAuthRefusesMissingAndWrongCredentials() {
    assertThat(Http.get(stack.port(), "x.test", "/basic/a").status()).isEqualTo(401);
    assertThat(
            Http.get(
                    stack.port(),
                    "x.test",
                    "/basic/a",
                    "Authorization",
                    "Basic " + b64("alice:not-her-password"))
                .status())
        .isEqualTo(401);
    assertThat(
            Http.get(stack.port(), "x.test", "/basic/a", "Authorization", "Basic " + b64("eve:x"))
                .status())
        .isEqualTo(401);
  }

  @Test
  void basicAuthLetsTheRightUserThroughAndForwardsTheName() {
    Http.Response r =
        Http.get(
            stack.port(), "x.test", "/basic/ok", "Authorization", "Basic " + b64("bob:builder"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("/basic/ok");
    assertThat(r.body().toLowerCase()).containsPattern("\"x-user\"\\s*:\\s*\\[\\s*\"bob\"");
  }

  @Test
  void apiKeyAuthRefusesMissingAndWrongKeys() {
    assertThat(Http.get(stack.port(), "x.test", "/keyed/a").status()).isEqualTo(401);
    assertThat(Http.get(stack.port(), "x.test", "/keyed/a", "x-api-key", "key-zzz").status())
        .isEqualTo(401);
  }

  @Test
  void apiKeyAuthTakesAKeyFromAHeaderOrAQueryParameter() {
    Http.Response byHeader = Http.get(stack.port(), "x.test", "/keyed/h", "x-api-key", "key-aaa");
    assertThat(byHeader.status()).isEqualTo(200);
    assertThat(byHeader.body()).contains("/keyed/h");
    assertThat(Http.get(stack.port(), "x.test", "/keyed/q?api_key=key-bbb").status())
        .isEqualTo(200);
  }

  @Test
  void apiKeyAuthWithoutForwardingKeepsTheKeyAndAddsNoClientId() {
    Http.Response r = Http.get(stack.port(), "x.test", "/keyed/k", "x-api-key", "key-aaa");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("key-aaa");
    assertThat(r.body().toLowerCase()).doesNotContain("x-client-id");
  }

  @Test
  void apiKeyAuthForwardsTheClientIdAndRemovesTheKey() {
    assertThat(Http.get(stack.port(), "x.test", "/forwarded/a").status()).isEqualTo(401);
    Http.Response r = Http.get(stack.port(), "x.test", "/forwarded/a", "x-api-key", "key-bbb");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("/forwarded/a");
    assertThat(r.body().toLowerCase())
        .containsPattern("\"x-client-id\"\\s*:\\s*\\[\\s*\"client-b\"");
    assertThat(r.body()).doesNotContain("key-bbb");
    assertThat(r.body().toLowerCase()).doesNotContain("x-api-key");
  }

  @Test
  void routesWithoutAPolicyAreNotAffected() {
    assertThat(Http.get(stack.port(), "x.test", "/open/x").status()).isEqualTo(200);
  }
}
