package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.core.WasmModuleCache;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.OciTestRegistry;
import io.eg4j.xds.testing.OciTestRegistry.Auth;
import io.eg4j.xds.testing.OciTestRegistry.Image;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Wasm module from an OCI image through the real envoy: the image sits in a private registry on
 * 127.0.0.1 (bearer-token auth, the compat layout with {@code plugin.wasm} in a tar+gzip layer),
 * the policy's pull secret is a {@code kubernetes.io/dockerconfigjson} Secret in another namespace
 * allowed by a ReferenceGrant; the translator pulls it for its checksum, the control plane's cache
 * pulls it again with the secret the IR carries, and Envoy loads it from the cache and runs it. A
 * policy whose {@code sha256} is not the image's digest is refused with the reason, and its route
 * is not served with a module it did not ask for.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WasmImageE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  OciTestRegistry registry;
  WasmModuleCache cache;
  EnvoyGatewayConfig config;
  Image image;

  @BeforeAll
  void start() throws Exception {
    registry = OciTestRegistry.guarded(Auth.BEARER, "robot", "s3cret");
    image =
        registry.pushCompat(
            "team/header-adder", "v1", WasmModules.addResponseHeader("x-wasm", "from-oci"), false);
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
  }

  private String manifests(String sha256) {
    String url = image.url().substring("oci://".length());
    String config =
        Base64.getEncoder()
            .encodeToString(
                registry.dockerConfig("robot", "s3cret").getBytes(StandardCharsets.UTF_8));
    return stack.gateway()
        + "---\n"
        + PolicyStack.service("echo", echo.port())
        + PolicyStack.route("oci", "echo")
        + """
        ---
        apiVersion: v1
        kind: Secret
        metadata: {namespace: registry-creds, name: pull}
        type: kubernetes.io/dockerconfigjson
        data:
          .dockerconfigjson: %1$s
        ---
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {namespace: registry-creds, name: allow-policies}
        spec:
          from:
          - {group: gateway.envoyproxy.io, kind: EnvoyExtensionPolicy, namespace: default}
          to:
          - {group: "", kind: Secret}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyExtensionPolicy
        metadata: {namespace: default, name: oci}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: oci}]
          wasm:
          - name: header-adder
            code:
              type: Image
              image:
                url: "%2$s"
                pullSecretRef: {name: pull, namespace: registry-creds}%3$s
        """
            .formatted(config, url, sha256 == null ? "" : "\n        sha256: " + sha256);
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
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void envoyRunsTheModuleOfAPrivateImageServedFromTheCache() throws Exception {
    stack.apply(manifests(image.digest()), config);
    assertThat(stack.status("EnvoyExtensionPolicy", "default", "oci").status().toString())
        .contains("\"reason\":\"Accepted\"")
        .doesNotContain("\"status\":\"False\"");
    stack.await(
        "the route answers with the header the image's module adds",
        () -> {
          Http.Response r = Http.get(stack.port(), "x.test", "/oci");
          return r.status() == 200 && "from-oci".equals(r.header("x-wasm"));
        });
    // Both the translator and the cache authenticated with the pull secret's credentials.
    assertThat(registry.tokensIssued.get()).isGreaterThanOrEqualTo(2);
    assertThat(registry.blobRequests.get()).isGreaterThanOrEqualTo(2);

    // A checksum that is not the image's digest: the policy is refused and says why.
    String wrong = "e".repeat(64);
    stack.apply(manifests(wrong), config);
    String status = stack.status("EnvoyExtensionPolicy", "default", "oci").status().toString();
    assertThat(status)
        .contains("\"status\":\"False\"")
        .contains("spec.wasm[0].code.image")
        .contains("has checksum " + image.digest())
        .contains("does not match: " + wrong);
    stack.await(
        "the route no longer runs the module it did not ask for",
        () -> {
          Http.Response r = Http.get(stack.port(), "x.test", "/oci");
          return r.status() != 200 || r.header("x-wasm") == null;
        });
  }
}
