package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

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
 * SecurityPolicy authorization through the real envoy: allow and deny by client CIDR (the test
 * client is on loopback), by request header, and by JWT claim and scope from a token verified by
 * the same policy; rules are evaluated in order, the default action applies when none matches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityAuthorizationE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  KeyPair key;

  @BeforeAll
  void start() throws Exception {
    key = Jwts.rsa();
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    StringBuilder yaml =
        new StringBuilder(stack.gateway() + "---\n" + PolicyStack.service("echo", echo.port()));
    for (String r :
        new String[] {"loopback-allowed", "everyone-denied", "elsewhere-only", "team", "claims"}) {
      yaml.append(PolicyStack.route(r, "echo"));
    }
    yaml.append(
        """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: loopback-allowed}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: loopback-allowed}]
          authorization:
            defaultAction: Deny
            rules:
            - {name: loopback, action: Allow, principal: {clientCIDRs: [127.0.0.0/8, 192.0.2.0/24]}}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: everyone-denied}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: everyone-denied}]
          authorization:
            defaultAction: Allow
            rules:
            - {name: all, action: Deny, principal: {clientCIDRs: [0.0.0.0/0]}}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: elsewhere-only}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: elsewhere-only}]
          authorization:
            rules:
            - {name: office, action: Allow, principal: {clientCIDRs: [10.99.0.0/16]}}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: team}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: team}]
          authorization:
            defaultAction: Deny
            rules:
            - {name: red-out, action: Deny, principal: {headers: [{name: x-team, values: [red]}]}}
            - {name: teams-in, action: Allow, principal: {headers: [{name: x-team, values: [red, blue]}]}}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: SecurityPolicy
        metadata: {namespace: default, name: claims}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: claims}]
          jwt:
            providers:
            - name: test
              issuer: https://issuer.test
              localJWKS: {type: Inline, inline: '%s'}
          authorization:
            defaultAction: Deny
            rules:
            - name: admins
              action: Allow
              principal:
                jwt:
                  provider: test
                  scopes: [read]
                  claims:
                  - {name: roles, valueType: StringArray, values: [admin, superuser]}
        """
            .formatted(Jwts.jwks(key, "k1")));
    stack.apply(yaml.toString());
    stack.await(
        "the loopback rule allows the test client",
        () -> Http.get(stack.port(), "x.test", "/loopback-allowed").status() == 200);
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
  void clientCidrRulesAllowAndDeny() {
    assertThat(Http.get(stack.port(), "x.test", "/loopback-allowed/a").status()).isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/everyone-denied/a").status()).isEqualTo(403);
    assertThat(Http.get(stack.port(), "x.test", "/elsewhere-only/a").status())
        .as("no rule matches, the default is Deny")
        .isEqualTo(403);
  }

  @Test
  void headerRulesApplyInOrder() {
    assertThat(Http.get(stack.port(), "x.test", "/team/a", "x-team", "blue").status())
        .isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/team/a", "x-team", "red").status())
        .as("the first rule that matches decides")
        .isEqualTo(403);
    assertThat(Http.get(stack.port(), "x.test", "/team/a").status()).isEqualTo(403);
  }

  @Test
  void jwtClaimAndScopeRules() throws Exception {
    String admin =
        Jwts.token(
            key,
            "k1",
            "\"iss\":\"https://issuer.test\",\"sub\":\"a\",\"roles\":[\"admin\"],\"scope\":\"read write\"");
    String user =
        Jwts.token(
            key,
            "k1",
            "\"iss\":\"https://issuer.test\",\"sub\":\"b\",\"roles\":[\"user\"],\"scope\":\"read\"");
    String noScope =
        Jwts.token(
            key,
            "k1",
            "\"iss\":\"https://issuer.test\",\"sub\":\"c\",\"roles\":[\"admin\"],\"scope\":\"write\"");
    assertThat(
            Http.get(stack.port(), "x.test", "/claims/a", "Authorization", "Bearer " + admin)
                .status())
        .isEqualTo(200);
    assertThat(
            Http.get(stack.port(), "x.test", "/claims/a", "Authorization", "Bearer " + user)
                .status())
        .isEqualTo(403);
    assertThat(
            Http.get(stack.port(), "x.test", "/claims/a", "Authorization", "Bearer " + noScope)
                .status())
        .isEqualTo(403);
    assertThat(Http.get(stack.port(), "x.test", "/claims/a").status()).isEqualTo(401);
  }
}
