package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.XdsTestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The whole path a policy takes, for end-to-end tests: Kubernetes YAML through the real translator
 * core, the xDS IR through the xds-server core and a real mTLS ADS server, into the real {@code
 * envoy}, which then serves real requests to echo backends on 127.0.0.1. Only Kafka is left out
 * (its own tests cover it); the IR reaches the ADS server exactly as the xds-server's consumer
 * hands it over.
 *
 * <p>The Gateway is {@code default/eg} with one HTTP listener {@code http} on {@link #port()};
 * Envoy's node belongs to that IR key. The backends a test starts through the stack ({@link #echo},
 * {@link #httpBackend}, {@link #closeWith}) stop when it closes.
 */
public final class PolicyStack implements AutoCloseable {
  /** The IR key of the test Gateway. */
  public static final String IR_KEY = "default/eg";

  private final XdsTestServer xds;
  private final EnvoyProcess envoy;
  private final int port;
  private final PatchOutcomeEvents patchOutcomes;
  private final List<AutoCloseable> owned = new ArrayList<>();
  private TranslateResult last;

  private PolicyStack(
      XdsTestServer xds, EnvoyProcess envoy, int port, PatchOutcomeEvents patchOutcomes) {
    this.xds = xds;
    this.envoy = envoy;
    this.port = port;
    this.patchOutcomes = patchOutcomes;
  }

  /**
   * Keeps the EnvoyPatchPolicy outcomes the xds-server core reports, as the translator does when
   * they come over {@code eg4j.xds-nacks}.
   */
  private static final class PatchOutcomeEvents implements XdsEvents {
    final io.eg4j.translator.core.patch.PatchProgrammed programmed =
        new io.eg4j.translator.core.patch.PatchProgrammed();

    @Override
    public synchronized void patchOutcomes(
        String irKey, io.eg4j.model.status.EnvoyPatchOutcomes outcomes) {
      if (outcomes != null) {
        programmed.offer(outcomes);
      }
    }

    synchronized TranslateResult apply(TranslateResult r) {
      return programmed.apply(
          r,
          k ->
              io.eg4j.model.bus.ContentHash.of(
                  io.eg4j.model.bus.Json.MAPPER.valueToTree(r.xdsIr().get(k))),
          java.time.Instant.now().toString());
    }
  }

  /**
   * Starts the ADS server and Envoy; nothing is served until {@link #apply}.
   *
   * @param dir a scratch directory (certificates, bootstrap, Envoy's log)
   */
  public static PolicyStack start(Path dir) throws Exception {
    return start(dir, spec -> spec);
  }

  /**
   * Like {@link #start(Path)}, with a bootstrap the caller adds to (the EnvoyProxy's bootstrap
   * metrics, for example).
   */
  public static PolicyStack start(
      Path dir, java.util.function.UnaryOperator<EnvoyBootstrapSpec> bootstrapCustomizer)
      throws Exception {
    EnvoyProcess.requireEnvoy();
    PatchOutcomeEvents events = new PatchOutcomeEvents();
    XdsTestServer xds = XdsTestServer.start(dir.resolve("certs"), events, true);
    int admin = EnvoyProcess.freePort();
    Path certs = xds.certs();
    EnvoyBootstrapSpec spec =
        EnvoyBootstrapSpec.of(IR_KEY + "/policy-e2e", IR_KEY, "127.0.0.1", xds.port(), admin)
            .withTls(
                new EnvoyBootstrapSpec.XdsTls(
                    certs.resolve(CertGen.CLIENT_CERT).toString(),
                    certs.resolve(CertGen.CLIENT_KEY).toString(),
                    certs.resolve(CertGen.CA_CERT).toString(),
                    "localhost"))
            // Delta ADS, as the provisioner's proxies use: the policy E2Es run the production path.
            .withDelta(true);
    spec = bootstrapCustomizer.apply(spec);
    Path bootstrap = dir.resolve("bootstrap.yaml");
    Files.writeString(bootstrap, EnvoyBootstrap.render(spec));
    EnvoyProcess envoy = EnvoyProcess.start(bootstrap, admin, dir);
    return new PolicyStack(xds, envoy, EnvoyProcess.freePort(), events);
  }

  /** The port of the Gateway's HTTP listener. */
  public int port() {
    return port;
  }

  /** The Envoy process (admin API, log). */
  public EnvoyProcess envoy() {
    return envoy;
  }

  /**
   * The GatewayClass, the Gateway {@code default/eg} with an HTTP listener on {@link #port()}, and
   * the namespace {@code default}.
   */
  public String gateway() {
    return """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: default
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata:
          name: eg
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          namespace: default
          name: eg
        spec:
          gatewayClassName: eg
          listeners:
          - name: http
            protocol: HTTP
            port: %d
        """
        .formatted(port);
  }

  /**
   * Namespace {@code default}, GatewayClass {@code eg}, an EnvoyProxy {@code default/with-modules}
   * that registers the local dynamic module {@code module} at {@code path}, and Gateway {@code
   * default/eg} with it and one HTTP listener on this stack's port; ends with a document separator.
   */
  public String gatewayWithDynamicModule(String module, java.nio.file.Path path) {
    return """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyProxy
        metadata: {namespace: default, name: with-modules}
        spec:
          dynamicModules:
          - name: %s
            source:
              type: Local
              local: {path: %s}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {namespace: default, name: eg}
        spec:
          gatewayClassName: eg
          infrastructure:
            parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: with-modules}
          listeners:
          - {name: http, protocol: HTTP, port: %d}
        ---
        """
        .formatted(module, path, port);
  }

  /**
   * An HTTPRoute {@code default/<name>} on the Gateway {@code eg} that sends the path prefix {@code
   * /<name>} to port 8080 of the Service {@code default/<service>}, as a YAML document that starts
   * with {@code ---}.
   */
  public static String route(String name, String service) {
    return """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: %1$s}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /%1$s}}]
            backendRefs: [{name: %2$s, port: 8080}]
        """
        .formatted(name, service);
  }

  /**
   * A Service {@code default/<name>} on port 8080 whose one endpoint is 127.0.0.1:{@code
   * targetPort} (an echo backend, an authorization server …).
   */
  public static String service(String name, int targetPort) {
    return service(name, targetPort, null);
  }

  /** Like {@link #service(String, int)}, with an appProtocol on the Service port (e.g. grpc). */
  public static String service(String name, int targetPort, String appProtocol) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          namespace: default
          name: %1$s
        spec:
          ports:
          - name: http
            port: 8080
            protocol: TCP%3$s
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          namespace: default
          name: %1$s-1
          labels:
            kubernetes.io/service-name: %1$s
        addressType: IPv4
        ports:
        - name: http
          port: %2$d
          protocol: TCP
        endpoints:
        - addresses: [127.0.0.1]
          conditions:
            ready: true
        """
        .formatted(
            name, targetPort, appProtocol == null ? "" : "\n    appProtocol: " + appProtocol);
  }

  /**
   * Like {@link #service(String, int)} with an endpoint on 127.0.0.1 for each of {@code ports}, one
   * EndpointSlice {@code <name>-<n>} each (so Envoy balances between them).
   */
  public static String multiEndpointService(String name, int... ports) {
    StringBuilder y = new StringBuilder(service(name, ports[0]));
    for (int i = 1; i < ports.length; i++) {
      y.append(
          """
          ---
          apiVersion: discovery.k8s.io/v1
          kind: EndpointSlice
          metadata:
            namespace: default
            name: %1$s-%2$d
            labels:
              kubernetes.io/service-name: %1$s
          addressType: IPv4
          ports:
          - name: http
            port: %3$d
            protocol: TCP
          endpoints:
          - addresses: [127.0.0.1]
            conditions:
              ready: true
          """
              .formatted(name, i + 1, ports[i]));
    }
    return y.toString();
  }

  /**
   * Starts an echo backend on a free port of 127.0.0.1 whose answers name {@code pod} (namespace
   * {@code default}); it stops when the stack closes.
   */
  public EchoServer echo(String pod) throws IOException {
    return closeWith(EchoServer.start(0, pod, "default"));
  }

  /**
   * Starts an HTTP backend on a free port of 127.0.0.1 that answers every path with {@code
   * handler}, each exchange on a thread of its own (so slow answers overlap); it stops when the
   * stack closes.
   */
  public HttpServer httpBackend(HttpHandler handler) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    ExecutorService threads = Executors.newCachedThreadPool();
    server.createContext("/", handler);
    server.setExecutor(threads);
    server.start();
    closeWith(
        () -> {
          server.stop(0);
          threads.shutdownNow();
        });
    return server;
  }

  /** Answers {@code ex} with {@code status} and a UTF-8 {@code body} of {@code contentType}. */
  public static void respond(HttpExchange ex, int status, String contentType, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  /** Closes {@code resource} (a backend, a thread pool's shutdown …) when the stack closes. */
  public <T extends AutoCloseable> T closeWith(T resource) {
    owned.add(resource);
    return resource;
  }

  /** Translates {@code yaml} with Envoy Gateway's default configuration and serves the result. */
  public TranslateResult apply(String yaml) throws Exception {
    return apply(yaml, EnvoyGatewayConfig.defaults());
  }

  /**
   * Translates {@code yaml} (multi-document Kubernetes YAML) and hands the IR of {@link #IR_KEY} to
   * the ADS server. Returns the translation, whose statuses the test can check.
   */
  public TranslateResult apply(String yaml, EnvoyGatewayConfig config) throws Exception {
    return apply(yaml, config, null);
  }

  /**
   * As {@link #apply(String, EnvoyGatewayConfig)}, the proxy presenting {@code proxyClientTls} to
   * the control plane's services (as {@code eg4j run} on a host gives its own certificate).
   */
  public TranslateResult apply(
      String yaml, EnvoyGatewayConfig config, io.eg4j.translator.core.ProxyClientTls proxyClientTls)
      throws Exception {
    List<ObjectNode> docs =
        ManifestReader.read(
            "test.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    last =
        new Translator(config, java.time.Clock.systemUTC(), proxyClientTls)
            .translate(ResourceSnapshot.of(new ArrayList<>(docs)));
    XdsIr ir = last.xdsIr().get(IR_KEY);
    if (ir == null) {
      throw new AssertionError("no IR for " + IR_KEY + "; statuses: " + last.statuses());
    }
    xds.snapshots().update(ir);
    return last;
  }

  /**
   * Rewrites every IR before the ADS server translates it, as the xds-server's Wasm module cache
   * does.
   */
  public void rewriteIrWith(java.util.function.UnaryOperator<XdsIr> rewrite) {
    xds.snapshots().rewriteIrWith(rewrite);
  }

  /**
   * The status the last translation gave an object, or null; an EnvoyPatchPolicy's with the {@code
   * Programmed} condition the xds-server's outcome gives it, as the translator publishes it.
   */
  public ResourceStatus status(String kind, String namespace, String name) {
    for (ResourceStatus s : patchOutcomes.apply(last).statuses()) {
      if (s.key().kind().equals(kind)
          && namespace.equals(s.key().namespace())
          && s.key().name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  /**
   * Asserts that the last translation accepted each of the {@code kind} objects {@code
   * default/<name>} without a False condition.
   */
  public void assertAccepted(String kind, String... names) {
    for (String name : names) {
      ResourceStatus s = status(kind, "default", name);
      assertThat(s).as("the status of %s default/%s", kind, name).isNotNull();
      assertThat(s.status().toString())
          .as("%s default/%s", kind, name)
          .contains("\"Accepted\"")
          .doesNotContain("\"False\"");
    }
  }

  /** Waits (see {@link #await}) until {@code GET <path>} with Host {@code x.test} answers 200. */
  public void awaitServes(String path) {
    await(path + " serves", () -> Http.get(port, "x.test", path).status() == 200);
  }

  /**
   * Waits, at most 20 s, until {@code condition} holds; fails with Envoy's log tail otherwise.
   * Polls every 100 ms.
   */
  public void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    String log = envoy.logText();
    throw new AssertionError(
        "timed out waiting for: " + what + "\n" + log.substring(Math.max(0, log.length() - 6000)));
  }

  /** Stops what the test started through the stack (the last first), then Envoy and ADS. */
  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        // Stop the rest all the same.
      }
    }
    owned.clear();
    envoy.close();
    xds.close();
  }
}
