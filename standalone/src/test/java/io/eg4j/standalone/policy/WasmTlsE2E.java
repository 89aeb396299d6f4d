package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.WasmModuleCache;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.OciTestRegistry;
import io.eg4j.xds.testing.OciTestRegistry.Image;
import io.eg4j.xds.testing.TestTls;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wasm modules fetched over HTTPS from servers whose certificate a private CA signed, through the
 * real envoy: a module on an HTTPS server and an image in a registry that speaks only TLS, each
 * policy naming the CA in a ConfigMap or a ClusterTrustBundle ({@code code.http.tls} / {@code
 * code.image.tls}). The translator fetches each for its checksum trusting that CA, the control
 * plane's cache fetches it again with the CA the IR carries, and Envoy runs the module; a policy
 * that names no CA for the same server is refused with the reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WasmTlsE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  HttpsServer modules;
  OciTestRegistry registry;
  WasmModuleCache cache;
  EnvoyGatewayConfig config;
  CertGen.Bundle ca;
  Image image;

  @BeforeAll
  void start() throws Exception {
    ca = CertGen.generate(List.of("127.0.0.1"), Duration.ofDays(1));
    byte[] module = WasmModules.addResponseHeader("x-wasm", "from-https");
    modules = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    modules.setHttpsConfigurator(new HttpsConfigurator(TestTls.serverContext(ca)));
    modules.createContext(
        "/adder.wasm",
        ex -> {
          ex.sendResponseHeaders(200, module.length);
          ex.getResponseBody().write(module);
          ex.close();
        });
    modules.start();
    registry = OciTestRegistry.anonymousTls(TestTls.serverContext(ca));
    image =
        registry.pushArtifact(
            "team/adder", "v1", WasmModules.addResponseHeader("x-wasm", "from-tls-registry"));
    cache = WasmModuleCache.start(dir.resolve("wasm-cache"), "127.0.0.1", 0, "127.0.0.1");
    stack = PolicyStack.start(dir);
    stack.rewriteIrWith(cache::rewrite);
    echo = EchoServer.start(0, "echo", "default");
    config =
        EnvoyGatewayConfig.from(
            Json.YAML.readTree(
                """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: EnvoyGateway
                gateway:
                  controllerName: gateway.envoyproxy.io/gatewayclass-controller
                """));
    String moduleUrl = "https://127.0.0.1:" + modules.getAddress().getPort() + "/adder.wasm";
    stack.apply(
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + PolicyStack.route("https-module", "echo")
            + PolicyStack.route("tls-image", "echo")
            + PolicyStack.route("untrusted", "echo")
            + PolicyStack.route("bundle-module", "echo")
            + PolicyStack.route("bundle-image", "echo")
            + """
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: wasm-ca}
            data:
              ca.crt: |
            %1$s
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: https-module}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: https-module}]
              wasm:
              - name: adder
                code:
                  type: HTTP
                  http:
                    url: "%2$s"
                    tls: {caCertificateRef: {kind: ConfigMap, name: wasm-ca}}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: tls-image}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: tls-image}]
              wasm:
              - name: adder
                code:
                  type: Image
                  image:
                    url: "%3$s"
                    tls: {caCertificateRef: {kind: ConfigMap, name: wasm-ca}}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: untrusted}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: untrusted}]
              wasm:
              - name: adder
                code:
                  type: HTTP
                  http: {url: "%2$s"}
            ---
            apiVersion: certificates.k8s.io/v1beta1
            kind: ClusterTrustBundle
            metadata: {name: wasm-bundle}
            spec:
              trustBundle: |
            %1$s
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: bundle-module}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: bundle-module}]
              wasm:
              - name: adder
                code:
                  type: HTTP
                  http:
                    url: "%2$s"
                    tls:
                      caCertificateRef:
                        {group: certificates.k8s.io, kind: ClusterTrustBundle, name: wasm-bundle}
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: bundle-image}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: bundle-image}]
              wasm:
              - name: adder
                code:
                  type: Image
                  image:
                    url: "%3$s"
                    tls:
                      caCertificateRef:
                        {group: certificates.k8s.io, kind: ClusterTrustBundle, name: wasm-bundle}
            """
                .formatted(
                    ca.get(CertGen.CA_CERT).strip().indent(4).stripTrailing(),
                    moduleUrl,
                    image.url().substring("oci://".length())),
        config);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (registry != null) {
      registry.close();
    }
    if (modules != null) {
      modules.stop(0);
    }
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void aModuleOnAnHttpsServerSignedByThePolicysCaRuns() {
    assertThat(stack.status("EnvoyExtensionPolicy", "default", "https-module").status().toString())
        .contains("\"reason\":\"Accepted\"")
        .doesNotContain("\"status\":\"False\"");
    stack.await(
        "the route answers with the header the module adds",
        () -> {
          Http.Response r = Http.get(stack.port(), "x.test", "/https-module");
          return r.status() == 200 && "from-https".equals(r.header("x-wasm"));
        });
  }

  @Test
  void aModuleInARegistryOnTlsSignedByThePolicysCaRuns() {
    assertThat(stack.status("EnvoyExtensionPolicy", "default", "tls-image").status().toString())
        .contains("\"reason\":\"Accepted\"")
        .doesNotContain("\"status\":\"False\"");
    stack.await(
        "the route answers with the header the image's module adds",
        () -> {
          Http.Response r = Http.get(stack.port(), "x.test", "/tls-image");
          return r.status() == 200 && "from-tls-registry".equals(r.header("x-wasm"));
        });
    assertThat(registry.blobRequests.get()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aClusterTrustBundleIsTheCaOfAModuleAndOfAnImage() {
    for (String[] c :
        List.of(
            new String[] {"bundle-module", "from-https"},
            new String[] {"bundle-image", "from-tls-registry"})) {
      assertThat(stack.status("EnvoyExtensionPolicy", "default", c[0]).status().toString())
          .as(c[0])
          .contains("\"reason\":\"Accepted\"")
          .doesNotContain("\"status\":\"False\"");
      stack.await(
          "route " + c[0] + " answers with the header the module adds",
          () -> {
            Http.Response r = Http.get(stack.port(), "x.test", "/" + c[0]);
            return r.status() == 200 && c[1].equals(r.header("x-wasm"));
          });
    }
  }

  @Test
  void theSameServerWithoutTheCaIsNotTrusted() {
    assertThat(stack.status("EnvoyExtensionPolicy", "default", "untrusted").status().toString())
        .contains("\"status\":\"False\"")
        .contains("spec.wasm[0].code.http: cannot download");
    Http.Response r = Http.get(stack.port(), "x.test", "/untrusted");
    assertThat(r.header("x-wasm")).isNull();
  }
}
