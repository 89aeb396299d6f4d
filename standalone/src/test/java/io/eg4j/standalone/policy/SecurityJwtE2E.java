package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import java.security.KeyPair;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SecurityPolicy JWT through the real envoy, with keys made in the test: a remote JWKS served by a
 * local HTTP server and an inline local JWKS. No token and bad tokens are refused with 401; a good
 * token reaches the echo backend with a claim copied into a header; an optional policy lets a
 * request without a token through but still refuses a bad one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityJwtE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  HttpServer jwksServer;
  KeyPair key;
  KeyPair otherKey;

  @BeforeAll
  void start() throws Exception {
    key = Jwts.rsa();
    otherKey = Jwts.rsa();
    String jwks = Jwts.jwks(key, "k1");
    jwksServer = Jwts.serve(jwks);
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    String yaml =
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: remote}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /remote}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: local}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /local}}]
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
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: remote}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: remote}]
              jwt:
                providers:
                - name: test-issuer
                  issuer: https://issuer.test
                  audiences: [api]
                  remoteJWKS:
                    uri: http://127.0.0.1:%d/jwks.json
                  claimToHeaders:
                  - {claim: sub, header: x-jwt-sub}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: local}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: local}]
              jwt:
                optional: true
                providers:
                - name: inline
                  issuer: https://issuer.test
                  localJWKS:
                    type: Inline
                    inline: '%s'
            """
                .formatted(jwksServer.getAddress().getPort(), jwks);
    stack.apply(yaml);
    String good = good();
    stack.await(
        "a good token is accepted on the remote-JWKS route",
        () ->
            Http.get(stack.port(), "x.test", "/remote", "Authorization", "Bearer " + good).status()
                == 200);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (jwksServer != null) {
      jwksServer.stop(0);
    }
  }

  private String good() {
    try {
      return Jwts.token(
          key, "k1", "\"iss\":\"https://issuer.test\",\"aud\":\"api\",\"sub\":\"alice\"");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private int get(String path, String token) {
    return token == null
        ? Http.get(stack.port(), "x.test", path).status()
        : Http.get(stack.port(), "x.test", path, "Authorization", "Bearer " + token).status();
  }

  @Test
  void remoteJwksRefusesMissingAndBadTokens() throws Exception {
    assertThat(get("/remote/a", null)).isEqualTo(401);
    assertThat(
            get(
                "/remote/a",
                Jwts.token(
                    otherKey,
                    "k1",
                    "\"iss\":\"https://issuer.test\",\"aud\":\"api\",\"sub\":\"eve\"")))
        .as("signed by another key")
        .isEqualTo(401);
    assertThat(
            get(
                "/remote/a",
                Jwts.token(
                    key, "k1", "\"iss\":\"https://other.test\",\"aud\":\"api\",\"sub\":\"eve\"")))
        .as("another issuer (Envoy: 401 or 403)")
        .isIn(401, 403);
    assertThat(
            get(
                "/remote/a",
                Jwts.token(
                    key, "k1", "\"iss\":\"https://issuer.test\",\"aud\":\"web\",\"sub\":\"eve\"")))
        .as("another audience (Envoy answers 403: the token is valid, its audience is not)")
        .isIn(401, 403);
  }

  @Test
  void aGoodTokenReachesTheBackendWithItsClaimInAHeader() {
    Http.Response r =
        Http.get(stack.port(), "x.test", "/remote/ok", "Authorization", "Bearer " + good());
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("/remote/ok");
    assertThat(r.body().toLowerCase()).containsPattern("\"x-jwt-sub\"\\s*:\\s*\\[\\s*\"alice\"");
  }

  @Test
  void anOptionalLocalJwksPolicyLetsNoTokenThroughButNotABadOne() throws Exception {
    assertThat(get("/local/a", null)).isEqualTo(200);
    assertThat(get("/local/a", good())).isEqualTo(200);
    assertThat(
            get(
                "/local/a",
                Jwts.token(otherKey, "k1", "\"iss\":\"https://issuer.test\",\"sub\":\"eve\"")))
        .isEqualTo(401);
  }

  @Test
  void routesWithoutAPolicyAreNotAffected() {
    assertThat(get("/open/a", null)).isEqualTo(200);
  }
}
