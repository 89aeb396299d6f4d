package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.testing.Http;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One external processor with three backendRefs that differ in TLS, through the real envoy: a
 * Service in plain text (h2c), a Backend with {@code spec.tls} and a Service with a
 * BackendTLSPolicy, each a gRPC processor written here that tags the request with its own name. The
 * two TLS servers accept only TLS with a certificate of a test CA and the plain one only plain
 * text, so a request is processed (and reaches the echo tagged) only when Envoy picks the right
 * transport socket for the backend it chose; over enough requests all three serve. A SecurityPolicy
 * authorization service (gRPC) with a plain and a TLS backendRef is served the same way: one
 * cluster, each backendRef with its own transport socket.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExtProcMixedTlsE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  final List<Server> processors = new ArrayList<>();
  final Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();

  @BeforeAll
  void start() throws Exception {
    CertGen.Bundle ca = CertGen.generate(List.of("proc.test"), Duration.ofDays(1));
    Path certs = dir.resolve("proc-certs");
    ca.writeTo(certs);
    Server plain = processor("plain", null);
    Server tlsBackend = processor("tls-backend", certs);
    Server tlsService = processor("tls-service", certs);
    Server plainAuthz = authz("authz-plain", null);
    Server tlsAuthz = authz("authz-tls", certs);
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
                    infrastructure: {type: Host, host: {}}
                extensionApis:
                  enableBackend: true
                """));
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + "---\n"
            + PolicyStack.service("proc-plain", plain.getPort(), "kubernetes.io/h2c")
            + "---\n"
            + PolicyStack.service("proc-tls", tlsService.getPort())
            + "---\n"
            + PolicyStack.service("authz-plain", plainAuthz.getPort(), "kubernetes.io/h2c")
            + """
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: proc-ca}
            data:
              ca.crt: |
            %s
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: Backend
            metadata: {namespace: default, name: proc-tls-backend}
            spec:
              endpoints: [{ip: {address: 127.0.0.1, port: %d}}]
              tls:
                caCertificateRefs: [{kind: ConfigMap, name: proc-ca}]
                sni: proc.test
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: BackendTLSPolicy
            metadata: {namespace: default, name: proc-tls}
            spec:
              targetRefs: [{group: "", kind: Service, name: proc-tls}]
              validation:
                caCertificateRefs: [{group: "", kind: ConfigMap, name: proc-ca}]
                hostname: proc.test
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: mixed}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /mixed}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: mixed}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: mixed}]
              extProc:
              - backendRefs:
                - {name: proc-plain, port: 8080}
                - {group: gateway.envoyproxy.io, kind: Backend, name: proc-tls-backend}
                - {name: proc-tls, port: 8080}
                processingMode: {request: {}}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: Backend
            metadata: {namespace: default, name: authz-tls}
            spec:
              endpoints: [{ip: {address: 127.0.0.1, port: %d}}]
              tls:
                caCertificateRefs: [{kind: ConfigMap, name: proc-ca}]
                sni: proc.test
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
                grpc:
                  backendRefs:
                  - {name: authz-plain, port: 8080}
                  - {group: gateway.envoyproxy.io, kind: Backend, name: authz-tls}
            """
                .formatted(
                    ca.get(CertGen.CA_CERT).strip().indent(4).stripTrailing(),
                    tlsBackend.getPort(),
                    tlsAuthz.getPort()),
        config);
    assertThat(stack.status("EnvoyExtensionPolicy", "default", "mixed").status().toString())
        .as("EnvoyExtensionPolicy mixed")
        .contains("\"reason\":\"Accepted\"");
    assertThat(stack.status("SecurityPolicy", "default", "guarded").status().toString())
        .as("SecurityPolicy guarded")
        .contains("\"reason\":\"Accepted\"");
    stack.await(
        "the processed route serves",
        () -> Http.get(stack.port(), "x.test", "/mixed").status() == 200);
    stack.await(
        "the guarded route serves",
        () -> Http.get(stack.port(), "x.test", "/guarded").status() == 200);
  }

  /**
   * An authorization service that allows every request and tells the backend its name ({@code
   * x-authz-by: eg4j-<name>}), over TLS when {@code certs} is given.
   */
  private Server authz(String name, Path certs) throws Exception {
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new AuthorizationGrpc.AuthorizationImplBase() {
                  @Override
                  public void check(CheckRequest req, StreamObserver<CheckResponse> out) {
                    processed.get(name).incrementAndGet();
                    out.onNext(
                        CheckResponse.newBuilder()
                            .setStatus(com.google.rpc.Status.newBuilder().setCode(0))
                            .setOkResponse(
                                OkHttpResponse.newBuilder()
                                    .addHeaders(
                                        HeaderValueOption.newBuilder()
                                            .setHeader(
                                                HeaderValue.newBuilder()
                                                    .setKey("x-authz-by")
                                                    .setValue("eg4j-" + name))))
                            .build());
                    out.onCompleted();
                  }
                });
    if (certs != null) {
      b.sslContext(
          GrpcSslContexts.forServer(
                  certs.resolve(CertGen.SERVER_CERT).toFile(),
                  certs.resolve(CertGen.SERVER_KEY).toFile())
              .build());
    }
    Server s = b.build().start();
    processors.add(s);
    processed.put(name, new AtomicInteger());
    return s;
  }

  /** A processor that tags requests with {@code name}, over TLS when {@code certs} is given. */
  private Server processor(String name, Path certs) throws Exception {
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new Tagger(name));
    if (certs != null) {
      b.sslContext(
          GrpcSslContexts.forServer(
                  certs.resolve(CertGen.SERVER_CERT).toFile(),
                  certs.resolve(CertGen.SERVER_KEY).toFile())
              .build());
    }
    Server s = b.build().start();
    processors.add(s);
    processed.put(name, new AtomicInteger());
    return s;
  }

  @AfterAll
  void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    processors.forEach(Server::shutdownNow);
  }

  @Test
  void everyProcessorServesOverItsOwnTransport() {
    Map<String, Integer> tags = new TreeMap<>();
    // The cluster picks a backend per request (equal weights); 300 requests leave each of three
    // unpicked with a probability below 1e-50.
    for (int i = 0; i < 300 && tags.size() < 3; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", "/mixed/" + i);
      assertThat(r.status()).as("request " + i + ": " + r.body()).isEqualTo(200);
      String body = r.body().toLowerCase(Locale.ROOT);
      String tag =
          List.of("tls-backend", "tls-service", "plain").stream()
              .filter(t -> body.contains("eg4j-" + t))
              .findFirst()
              .orElseThrow(() -> new AssertionError("request not processed: " + body));
      tags.merge(tag, 1, Integer::sum);
    }
    assertThat(tags).containsOnlyKeys("plain", "tls-backend", "tls-service");
    for (String name : List.of("plain", "tls-backend", "tls-service")) {
      assertThat(processed.get(name).get()).as("requests processed by " + name).isPositive();
    }
  }

  @Test
  void everyAuthorizationBackendChecksOverItsOwnTransport() {
    Map<String, Integer> tags = new TreeMap<>();
    // Two backendRefs of equal weight: 200 requests leave one unpicked with a probability of
    // 2^-199.
    for (int i = 0; i < 200 && tags.size() < 2; i++) {
      Http.Response r = Http.get(stack.port(), "x.test", "/guarded/" + i);
      assertThat(r.status()).as("request " + i + ": " + r.body()).isEqualTo(200);
      String body = r.body().toLowerCase(Locale.ROOT);
      String tag =
          List.of("authz-plain", "authz-tls").stream()
              .filter(t -> body.contains("eg4j-" + t))
              .findFirst()
              .orElseThrow(() -> new AssertionError("request not checked: " + body));
      tags.merge(tag, 1, Integer::sum);
    }
    assertThat(tags).containsOnlyKeys("authz-plain", "authz-tls");
    assertThat(processed.get("authz-tls").get()).isPositive();
    assertThat(processed.get("authz-plain").get()).isPositive();
  }

  /** Sets {@code x-processed-by: eg4j-<name>} on the request. */
  final class Tagger extends ExternalProcessorGrpc.ExternalProcessorImplBase {
    private final String name;

    Tagger(String name) {
      this.name = name;
    }

    @Override
    public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ProcessingRequest req) {
          ProcessingResponse.Builder r = ProcessingResponse.newBuilder();
          if (req.hasRequestHeaders()) {
            processed.get(name).incrementAndGet();
            r.setRequestHeaders(
                HeadersResponse.newBuilder()
                    .setResponse(
                        CommonResponse.newBuilder()
                            .setHeaderMutation(
                                HeaderMutation.newBuilder()
                                    .addSetHeaders(
                                        HeaderValueOption.newBuilder()
                                            .setHeader(
                                                HeaderValue.newBuilder()
                                                    .setKey("x-processed-by")
                                                    .setRawValue(
                                                        ByteString.copyFromUtf8(
                                                            "eg4j-" + name)))))));
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
  }
}
