package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fail closed, through the real envoy: a SecurityPolicy that cannot be enforced is Accepted=False
 * and its routes answer 500, never the backend, while routes it does not target keep serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityFailClosedE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
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

  private String routes() {
    return stack.gateway()
        + "---\n"
        + PolicyStack.service("echo", echo.port())
        + """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          namespace: default
          name: guarded
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /guarded}}]
            backendRefs: [{name: echo, port: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          namespace: default
          name: open
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /open}}]
            backendRefs: [{name: echo, port: 8080}]
        """;
  }

  @Test
  void aPolicyWhoseSecretIsMissingMakesItsRouteAnswer500() throws Exception {
    stack.apply(
        routes()
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata:
              namespace: default
              name: basic
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: guarded}]
              basicAuth:
                users: {name: no-such-secret}
            """);
    stack.await(
        "the open route serves", () -> Http.get(stack.port(), "x.test", "/open").status() == 200);
    for (int i = 0; i < 20; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", "/guarded/" + i);
      assertThat(r.status()).as("request %d to the guarded route", i).isEqualTo(500);
    }
    assertThat(echo.seenPaths()).noneMatch(p -> p.startsWith("/guarded"));
    ResourceStatus s = stack.status("SecurityPolicy", "default", "basic");
    assertThat(s.status().toString())
        .contains("\"Accepted\"")
        .contains("\"False\"")
        .contains("no-such-secret");
  }

  @Test
  void aPolicyWithAFieldEg4jDoesNotEnforceIsNotAcceptedAndFailsClosed() throws Exception {
    // A field the CRD allows but no SecurityPolicy feature translates (checked by FieldSupport).
    stack.apply(
        routes()
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata:
              namespace: default
              name: future
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: guarded}]
              cors:
                allowOrigins: ["https://a.test"]
                someFieldFromTheFuture: true
            """);
    stack.await(
        "the guarded route fails closed",
        () -> Http.get(stack.port(), "x.test", "/guarded/x").status() == 500);
    assertThat(Http.get(stack.port(), "x.test", "/open").status()).isEqualTo(200);
    ResourceStatus s = stack.status("SecurityPolicy", "default", "future");
    assertThat(s.status().toString()).contains("spec.cors.someFieldFromTheFuture");
  }
}
