package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backends and extensions through the real envoy, as a user of Envoy Gateway's host mode writes
 * them: an EnvoyExtensionPolicy external processor (a gRPC server written here) changes a request
 * header the backend sees and a response header the client sees; a Backend reaches the echo by the
 * FQDN {@code localhost}; an authorization service listening on a Unix socket, named by a Backend,
 * allows and denies requests; and an HTTPRouteFilter direct response takes its body from a
 * ConfigMap.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendsAndExtensionsE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  Server extProc;
  UnixAuthz authz;
  final AtomicInteger processed = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    extProc =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new HeaderProcessor())
            .build()
            .start();
    // A short path: a Unix socket path holds at most 107 bytes.
    Path sockets = Files.createTempDirectory(Path.of("/tmp"), "eg4j-uds");
    authz = UnixAuthz.start(sockets.resolve("authz.sock"));
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    EnvoyGatewayConfig config =
        EnvoyGatewayConfig.from(
            Json.YAML.readTree(
                """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: EnvoyGateway
                gateway:
                  controllerName: gateway.envoyproxy.io/gatewayclass-controller
                provider:
                  type: Custom
                  custom:
                    resource: {type: File, file: {paths: [/tmp]}}
                    infrastructure: {type: Host, host: {}}
                extensionApis:
                  enableBackend: true
                """));
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + "---\n"
            + PolicyStack.service("extproc", extProc.getPort(), "kubernetes.io/h2c")
            + "---\n"
            + PolicyStack.service(
                "down-extproc", io.eg4j.xds.testing.EnvoyProcess.freePort(), "kubernetes.io/h2c")
            + PolicyStack.route("down-default", "echo")
            + PolicyStack.route("down-status", "echo")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: Backend
            metadata: {namespace: default, name: echo-by-name}
            spec:
              endpoints: [{fqdn: {hostname: localhost, port: %d}}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: Backend
            metadata: {namespace: default, name: authz-uds}
            spec:
              endpoints: [{unix: {path: %s}}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: maintenance-page}
            data: {response.body: "down for maintenance, back at noon"}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: HTTPRouteFilter
            metadata: {namespace: default, name: maintenance}
            spec:
              directResponse:
                statusCode: 503
                contentType: text/plain
                body: {type: ValueRef, valueRef: {group: "", kind: ConfigMap, name: maintenance-page}}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: app}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /fqdn}}]
                backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: echo-by-name}]
              - matches: [{path: {type: PathPrefix, value: /maintenance}}]
                filters:
                - type: ExtensionRef
                  extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: maintenance}
              - backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: processed}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /processed}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: processor}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: processed}]
              extProc:
              - backendRefs: [{name: extproc, port: 8080}]
                processingMode:
                  request: {}
                  response: {}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: down-default}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: down-default}]
              extProc:
              - backendRefs: [{name: down-extproc, port: 8080}]
                processingMode: {request: {}}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: down-status}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: down-status}]
              extProc:
              - backendRefs: [{name: down-extproc, port: 8080}]
                processingMode: {request: {}}
                statusOnError: 503
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: guarded}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /guarded}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: guarded}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: guarded}]
              extAuth:
                headersToExtAuth: [x-allow]
                http:
                  backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: authz-uds}]
            """
                .formatted(echo.port(), authz.path()),
        config);
    for (String[] policy :
        List.of(
            new String[] {"EnvoyExtensionPolicy", "processor"},
            new String[] {"EnvoyExtensionPolicy", "down-status"},
            new String[] {"SecurityPolicy", "guarded"})) {
      assertThat(stack.status(policy[0], "default", policy[1]).status().toString())
          .as(policy[0] + " " + policy[1])
          .contains("\"reason\":\"Accepted\"");
    }
    stack.await("the route serves", () -> Http.get(stack.port(), "x.test", "/").status() == 200);
    stack.await(
        "the processed route serves",
        () -> Http.get(stack.port(), "x.test", "/processed").status() == 200);
  }

  @AfterAll
  void stop() throws IOException {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (extProc != null) {
      extProc.shutdownNow();
    }
    if (authz != null) {
      authz.close();
    }
  }

  @Test
  void theExternalProcessorChangesWhatTheBackendAndTheClientSee() {
    int before = processed.get();
    Http.Response r = Http.get(stack.port(), "x.test", "/processed/a");
    assertThat(r.status()).isEqualTo(200);
    // The echo reports the request headers it received.
    assertThat(r.body().toLowerCase(Locale.ROOT)).contains("x-processed-by").contains("eg4j-test");
    assertThat(r.header("x-processed-response")).isEqualTo("yes");
    assertThat(processed.get()).isGreaterThan(before);
    // A route without the policy is not processed.
    Http.Response plain = Http.get(stack.port(), "x.test", "/plain");
    assertThat(plain.body().toLowerCase(Locale.ROOT)).doesNotContain("x-processed-by");
    assertThat(plain.header("x-processed-response")).isNull();
  }

  @Test
  void anUnreachableProcessorAnswersThePolicysStatusOnError() {
    assertThat(Http.get(stack.port(), "x.test", "/down-default/a").status())
        .as("Envoy's own status when the processor cannot be reached")
        .isEqualTo(500);
    assertThat(Http.get(stack.port(), "x.test", "/down-status/a").status()).isEqualTo(503);
    assertThat(echo.seenPaths()).doesNotContain("/down-default/a", "/down-status/a");
  }

  @Test
  void aBackendReachesTheEchoByTheNameLocalhost() {
    Http.Response r = Http.get(stack.port(), "x.test", "/fqdn/hello");
    assertThat(r.status()).isEqualTo(200);
    assertThat(echo.seenPaths()).contains("/fqdn/hello");
  }

  @Test
  void anAuthorizationServiceOnAUnixSocketAllowsAndDenies() {
    int before = authz.checks();
    Http.Response allowed = Http.get(stack.port(), "x.test", "/guarded/ok", "x-allow", "yes");
    assertThat(allowed.status()).isEqualTo(200);
    Http.Response denied = Http.get(stack.port(), "x.test", "/guarded/no");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(echo.seenPaths()).contains("/guarded/ok").doesNotContain("/guarded/no");
    assertThat(authz.checks()).isGreaterThanOrEqualTo(before + 2);
  }

  @Test
  void aDirectResponseTakesItsBodyFromAConfigMap() {
    Http.Response r = Http.get(stack.port(), "x.test", "/maintenance");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("down for maintenance, back at noon");
    assertThat(r.header("content-type")).isEqualTo("text/plain");
  }

  /** Sets a request header on the way in and a response header on the way out. */
  final class HeaderProcessor extends ExternalProcessorGrpc.ExternalProcessorImplBase {
    @Override
    public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ProcessingRequest req) {
          processed.incrementAndGet();
          ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
          if (req.hasRequestHeaders()) {
            r.setRequestHeaders(set("x-processed-by", "eg4j-test"));
          } else if (req.hasResponseHeaders()) {
            r.setResponseHeaders(set("x-processed-response", "yes"));
          } else if (req.hasRequestBody()) {
            r.setRequestBody(
                io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse.getDefaultInstance());
          } else if (req.hasResponseBody()) {
            r.setResponseBody(
                io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse.getDefaultInstance());
          } else if (req.hasRequestTrailers()) {
            r.setRequestTrailers(
                io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse.getDefaultInstance());
          } else if (req.hasResponseTrailers()) {
            r.setResponseTrailers(
                io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse.getDefaultInstance());
          }
          out.onNext(r.build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }

    private HeadersResponse set(String name, String value) {
      return HeadersResponse.newBuilder()
          .setResponse(
              CommonResponse.newBuilder()
                  .setHeaderMutation(
                      HeaderMutation.newBuilder()
                          .addSetHeaders(
                              HeaderValueOption.newBuilder()
                                  .setHeader(
                                      HeaderValue.newBuilder()
                                          .setKey(name)
                                          .setRawValue(ByteString.copyFromUtf8(value))))))
          .build();
    }
  }

  /**
   * A minimal HTTP/1.1 authorization service on a Unix socket (the JDK's HTTP server binds only
   * TCP): 200 when the checked request carries {@code x-allow: yes}, else 403. Keeps connections
   * open for Envoy's reuse; one thread per connection.
   */
  static final class UnixAuthz implements AutoCloseable {
    private final Path path;
    private final ServerSocketChannel server;
    private final AtomicInteger checks = new AtomicInteger();
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();

    private UnixAuthz(Path path, ServerSocketChannel server) {
      this.path = path;
      this.server = server;
    }

    static UnixAuthz start(Path path) throws IOException {
      ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(path));
      UnixAuthz a = new UnixAuthz(path, server);
      Thread t = new Thread(a::acceptLoop, "unix-authz");
      t.setDaemon(true);
      t.start();
      return a;
    }

    Path path() {
      return path;
    }

    int checks() {
      return checks.get();
    }

    private void acceptLoop() {
      while (server.isOpen()) {
        try {
          SocketChannel c = server.accept();
          open.add(c);
          Thread t = new Thread(() -> serve(c), "unix-authz-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(SocketChannel c) {
      ByteBuffer buf = ByteBuffer.allocate(16384);
      ByteArrayOutputStream pending = new ByteArrayOutputStream();
      try (c) {
        while (c.read(buf) > 0) {
          buf.flip();
          pending.write(buf.array(), 0, buf.limit());
          buf.clear();
          String text = pending.toString(StandardCharsets.ISO_8859_1);
          int end;
          while ((end = text.indexOf("\r\n\r\n")) >= 0) {
            // Check requests carry no body (Envoy sends content-length: 0).
            String head = text.substring(0, end).toLowerCase(Locale.ROOT);
            text = text.substring(end + 4);
            checks.incrementAndGet();
            boolean allow = head.contains("\r\nx-allow: yes");
            String status = allow ? "200 OK" : "403 Forbidden";
            c.write(
                ByteBuffer.wrap(
                    ("HTTP/1.1 " + status + "\r\ncontent-length: 0\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1)));
          }
          pending.reset();
          pending.write(text.getBytes(StandardCharsets.ISO_8859_1));
        }
      } catch (IOException e) {
        // The connection is gone; Envoy opens another.
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (SocketChannel c : open) {
        c.close();
      }
      Files.deleteIfExists(path);
      Files.deleteIfExists(path.getParent());
    }
  }
}
