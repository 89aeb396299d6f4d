package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SecurityPolicy external authorization through the real envoy, against an HTTP and a gRPC ({@code
 * envoy.service.auth.v3}) authorization server run by the test on 127.0.0.1. Both allow a request
 * that carries {@code x-allow: yes} and deny the rest; an allowed request reaches the echo backend
 * with the header the service added; an unreachable service denies unless the policy fails open.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityExtAuthE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  HttpServer httpAuthz;
  Server grpcAuthz;
  final AtomicInteger grpcChecks = new AtomicInteger();
  final java.util.List<String> httpCheckPaths = new java.util.concurrent.CopyOnWriteArrayList<>();
  final java.util.Set<String> flakySeen = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @BeforeAll
  void start() throws Exception {
    httpAuthz = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    httpAuthz.createContext(
        "/",
        ex -> {
          httpCheckPaths.add(ex.getRequestURI().getPath());
          String flaky = ex.getRequestHeaders().getFirst("x-flaky");
          if (flaky != null && flakySeen.add(flaky)) {
            // The first check of each flaky request fails; only a retry gets an answer.
            ex.sendResponseHeaders(503, -1);
            ex.close();
            return;
          }
          boolean allow = "yes".equals(ex.getRequestHeaders().getFirst("x-allow"));
          if (allow) {
            ex.getResponseHeaders().add("x-authz-user", "http-alice");
          }
          ex.sendResponseHeaders(allow ? 200 : 403, -1);
          ex.close();
        });
    httpAuthz.start();
    grpcAuthz =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new AuthorizationGrpc.AuthorizationImplBase() {
                  @Override
                  public void check(CheckRequest req, StreamObserver<CheckResponse> out) {
                    grpcChecks.incrementAndGet();
                    String allow =
                        req.getAttributes().getRequest().getHttp().getHeadersMap().get("x-allow");
                    CheckResponse.Builder r = CheckResponse.newBuilder();
                    if ("yes".equals(allow)) {
                      r.setStatus(com.google.rpc.Status.newBuilder().setCode(0))
                          .setOkResponse(
                              OkHttpResponse.newBuilder()
                                  .addHeaders(
                                      HeaderValueOption.newBuilder()
                                          .setHeader(
                                              HeaderValue.newBuilder()
                                                  .setKey("x-authz-user")
                                                  .setValue("grpc-alice"))));
                    } else {
                      r.setStatus(com.google.rpc.Status.newBuilder().setCode(7))
                          .setDeniedResponse(
                              DeniedHttpResponse.newBuilder()
                                  .setStatus(
                                      HttpStatus.newBuilder().setCode(StatusCode.Forbidden)));
                    }
                    out.onNext(r.build());
                    out.onCompleted();
                  }
                })
            .build()
            .start();
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    String yaml =
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + "---\n"
            + PolicyStack.service("http-authz", httpAuthz.getAddress().getPort())
            + "---\n"
            + PolicyStack.service("grpc-authz", grpcAuthz.getPort(), "kubernetes.io/h2c")
            + "---\n"
            + PolicyStack.service("down-authz", io.eg4j.xds.testing.EnvoyProcess.freePort())
            + "---\n"
            + PolicyStack.service(
                "down-grpc-authz", io.eg4j.xds.testing.EnvoyProcess.freePort(), "kubernetes.io/h2c")
            + PolicyStack.route("http-checked", "echo")
            + PolicyStack.route("grpc-checked", "echo")
            + PolicyStack.route("down-closed", "echo")
            + PolicyStack.route("down-open", "echo")
            + PolicyStack.route("down-status", "echo")
            + PolicyStack.route("down-grpc-status", "echo")
            + PolicyStack.route("open", "echo")
            + PolicyStack.route("http-override", "echo")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: http-override}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: http-override}]
              extAuth:
                headersToExtAuth: [x-allow, x-flaky]
                http:
                  backendRefs: [{name: http-authz, port: 8080}]
                  pathOverride: /verify
                  backendSettings:
                    retry:
                      numRetries: 2
                      retryOn: {triggers: [5xx]}
                      perRetry: {backOff: {baseInterval: 0.01s, maxInterval: 0.05s}}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: http-checked}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: http-checked}]
              extAuth:
                headersToExtAuth: [x-allow]
                http:
                  backendRefs: [{name: http-authz, port: 8080}]
                  path: /check
                  headersToBackend: [x-authz-user]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: grpc-checked}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: grpc-checked}]
              extAuth:
                grpc:
                  backendRefs: [{name: grpc-authz, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: down-closed}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: down-closed}]
              extAuth:
                timeout: 1s
                http:
                  backendRefs: [{name: down-authz, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: down-status}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: down-status}]
              extAuth:
                timeout: 1s
                statusOnError: 503
                http:
                  backendRefs: [{name: down-authz, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: down-grpc-status}
            spec:
              targetRefs:
              - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: down-grpc-status}
              extAuth:
                timeout: 1s
                statusOnError: 401
                grpc:
                  backendRefs: [{name: down-grpc-authz, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: down-open}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: down-open}]
              extAuth:
                failOpen: true
                timeout: 1s
                http:
                  backendRefs: [{name: down-authz, port: 8080}]
            """;
    stack.apply(yaml);
    stack.await(
        "the HTTP-checked route serves an allowed request",
        () -> Http.get(stack.port(), "x.test", "/http-checked", "x-allow", "yes").status() == 200);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (httpAuthz != null) {
      httpAuthz.stop(0);
    }
    if (grpcAuthz != null) {
      grpcAuthz.shutdownNow();
    }
  }

  @Test
  void anHttpServiceWithAPathOverrideAndRetries() {
    assertThat(Http.get(stack.port(), "x.test", "/http-override/a/b", "x-allow", "yes").status())
        .isEqualTo(200);
    assertThat(httpCheckPaths).contains("/verify").doesNotContain("/verify/http-override/a/b");
    assertThat(
            Http.get(stack.port(), "x.test", "/http-override/c", "x-allow", "yes", "x-flaky", "1")
                .status())
        .as("the first check fails with 503, the retry allows")
        .isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/http-override/c", "x-allow", "no").status())
        .isEqualTo(403);
  }

  @Test
  void anHttpServiceAllowsAndDeniesByHeader() {
    Http.Response ok = Http.get(stack.port(), "x.test", "/http-checked/a", "x-allow", "yes");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.body().toLowerCase())
        .containsPattern("\"x-authz-user\"\\s*:\\s*\\[\\s*\"http-alice\"");
    assertThat(Http.get(stack.port(), "x.test", "/http-checked/a").status()).isEqualTo(403);
    assertThat(Http.get(stack.port(), "x.test", "/http-checked/a", "x-allow", "no").status())
        .isEqualTo(403);
  }

  @Test
  void aGrpcServiceAllowsAndDeniesByHeader() {
    int before = grpcChecks.get();
    Http.Response ok = Http.get(stack.port(), "x.test", "/grpc-checked/a", "x-allow", "yes");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.body().toLowerCase())
        .containsPattern("\"x-authz-user\"\\s*:\\s*\\[\\s*\"grpc-alice\"");
    assertThat(Http.get(stack.port(), "x.test", "/grpc-checked/a").status()).isEqualTo(403);
    assertThat(grpcChecks.get() - before).isEqualTo(2);
  }

  @Test
  void anUnreachableServiceDeniesUnlessThePolicyFailsOpen() {
    assertThat(Http.get(stack.port(), "x.test", "/down-closed/a", "x-allow", "yes").status())
        .isEqualTo(403);
    assertThat(Http.get(stack.port(), "x.test", "/down-open/a").status()).isEqualTo(200);
  }

  @Test
  void anUnreachableServiceAnswersThePolicysStatusOnError() {
    assertThat(Http.get(stack.port(), "x.test", "/down-status/a", "x-allow", "yes").status())
        .isEqualTo(503);
    assertThat(Http.get(stack.port(), "x.test", "/down-grpc-status/a", "x-allow", "yes").status())
        .isEqualTo(401);
  }

  @Test
  void routesWithoutAPolicyAreNotChecked() {
    assertThat(Http.get(stack.port(), "x.test", "/open/a").status()).isEqualTo(200);
  }
}
