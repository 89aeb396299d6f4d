package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import io.eg4j.model.wasm.OciImagePuller;
import io.eg4j.model.wasm.OciImagePuller.Credentials;
import io.eg4j.model.wasm.OciImagePuller.PullException;
import io.eg4j.model.wasm.OciImagePuller.Pulled;
import io.eg4j.model.wasm.OciImagePuller.Reference;
import io.eg4j.xds.testing.OciTestRegistry;
import io.eg4j.xds.testing.OciTestRegistry.Auth;
import io.eg4j.xds.testing.OciTestRegistry.Image;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Wasm modules pulled from OCI images, against a tiny registry on 127.0.0.1 ({@link
 * OciTestRegistry}): both image layouts, the bearer-token flow and basic auth with a pull secret's
 * credentials, an image index, and every digest checked; then the xds-server's Wasm cache pulling
 * and serving an image's module by its checksum.
 */
class WasmImagePullTest {
  @TempDir Path dir;
  final OciImagePuller puller = new OciImagePuller(Duration.ofSeconds(10));
  OciTestRegistry registry;
  WasmModuleCache cache;

  static final byte[] MODULE = "\0asm\1\0\0\0-a-module".getBytes(StandardCharsets.ISO_8859_1);

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.close();
    }
    if (cache != null) {
      cache.close();
    }
  }

  @Test
  void theWasmArtifactLayerIsTheModule() throws Exception {
    registry = OciTestRegistry.anonymous();
    Image img = registry.pushArtifact("team/filter", "v1", MODULE);
    Pulled p = puller.pull(img.url(), null);
    assertThat(p.module()).isEqualTo(MODULE);
    assertThat(p.imageDigest()).isEqualTo(img.digest());
    assertThat(p.indexDigest()).isNull();
    assertThat(p.reference().toString())
        .isEqualTo("oci://" + registry.host() + "/team/filter@sha256:" + img.digest());
    assertThat(p.moduleSha256()).isEqualTo(OciImagePuller.sha256Hex(MODULE));
    // The pinned reference pulls the same image again, by digest.
    assertThat(puller.pull(p.reference().toString(), null).module()).isEqualTo(MODULE);
  }

  @ParameterizedTest
  @CsvSource({"true", "false"})
  void aCompatImageHoldsPluginWasmInATarGzipLayer(boolean docker) throws Exception {
    registry = OciTestRegistry.anonymous();
    Image img = registry.pushCompat("filter", "v2", MODULE, docker);
    Pulled p = puller.pull(img.url(), null);
    assertThat(p.module()).isEqualTo(MODULE);
    assertThat(p.imageDigest()).isEqualTo(img.digest());
  }

  @Test
  void theBearerTokenFlowUsesThePullSecretsCredentials() throws Exception {
    registry = OciTestRegistry.guarded(Auth.BEARER, "robot", "s3cret");
    Image img = registry.pushCompat("private/filter", "v1", MODULE, false);
    Credentials creds =
        OciImagePuller.credentials(registry.dockerConfig("robot", "s3cret"), registry.host())
            .orElseThrow();
    assertThat(puller.pull(img.url(), creds).module()).isEqualTo(MODULE);
    assertThat(registry.tokensIssued.get()).isEqualTo(1);

    // Anonymous, or with a wrong password, the token endpoint refuses.
    assertThatThrownBy(() -> puller.pull(img.url(), null))
        .isInstanceOf(PullException.class)
        .hasMessageContaining("token endpoint of " + registry.host() + " answered HTTP 401");
    Credentials wrong =
        OciImagePuller.credentials(registry.dockerConfig("robot", "nope"), registry.host())
            .orElseThrow();
    assertThatThrownBy(() -> puller.pull(img.url(), wrong))
        .isInstanceOf(PullException.class)
        .hasMessageContaining("check the pull secret");
    assertThat(registry.tokensIssued.get()).isEqualTo(1);
  }

  @Test
  void basicAuthSendsTheCredentialsToTheRegistry() throws Exception {
    registry = OciTestRegistry.guarded(Auth.BASIC, "robot", "s3cret");
    Image img = registry.pushArtifact("filter", "v1", MODULE);
    Credentials creds =
        OciImagePuller.credentials(registry.dockerConfig("robot", "s3cret"), registry.host())
            .orElseThrow();
    assertThat(puller.pull(img.url(), creds).module()).isEqualTo(MODULE);
    assertThatThrownBy(() -> puller.pull(img.url(), null))
        .isInstanceOf(PullException.class)
        .hasMessageContaining("asks for credentials");
  }

  @Test
  void anImageIndexYieldsItsLinuxAmd64Image() throws Exception {
    registry = OciTestRegistry.anonymous();
    byte[] other = "\0asm\1\0\0\0-arm".getBytes(StandardCharsets.ISO_8859_1);
    Image arm = registry.pushArtifact("filter", "arm64", other);
    Image amd = registry.pushArtifact("filter", "amd64", MODULE);
    Image index = registry.pushIndex("filter", "v1", arm, amd);
    Pulled p = puller.pull(index.url(), null);
    assertThat(p.module()).isEqualTo(MODULE);
    assertThat(p.imageDigest()).isEqualTo(amd.digest());
    assertThat(p.indexDigest()).isEqualTo(index.digest());
    assertThat(p.hasDigest(index.digest())).isTrue();
    assertThat(p.hasDigest(amd.digest())).isTrue();
    assertThat(p.hasDigest(arm.digest())).isFalse();
  }

  @Test
  void aBlobWhoseBytesDoNotMatchItsDigestIsRefused() throws Exception {
    registry = OciTestRegistry.anonymous();
    Image img = registry.pushArtifact("filter", "v1", MODULE);
    String layer = registry.layers(img).get(0);
    registry.tamper(layer, "\0asm\1\0\0\0-evil-module".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> puller.pull(img.url(), null))
        .isInstanceOf(PullException.class)
        .hasMessageContaining("the layer sha256:" + layer)
        .hasMessageContaining("has digest sha256:");
  }

  @Test
  void imagesWithoutAModuleAreRefusedWithTheReason() throws Exception {
    registry = OciTestRegistry.anonymous();
    Image notWasm = registry.pushArtifact("filter", "text", "hello".getBytes());
    assertThatThrownBy(() -> puller.pull(notWasm.url(), null))
        .hasMessageContaining("fetched Wasm binary from")
        .hasMessageContaining("is invalid");
    assertThatThrownBy(() -> puller.pull("oci://" + registry.host() + "/filter:missing", null))
        .hasMessageContaining("HTTP 404");
    assertThatThrownBy(
            () ->
                puller.pull("oci://" + registry.host() + "/filter@sha256:" + "0".repeat(64), null))
        .hasMessageContaining("HTTP 404");
    Image noPlugin = registry.pushCompat("filter", "tar", Map.of("other.wasm", MODULE), false);
    assertThatThrownBy(() -> puller.pull(noPlugin.url(), null))
        .hasMessageContaining("plugin.wasm not found");
  }

  @ParameterizedTest
  @CsvSource({
    "r.example/w,r.example,w,latest,",
    "oci://r.example:5000/team/w:v1,r.example:5000,team/w,v1,",
    "envoyproxy/gateway-wasm:1,index.docker.io,envoyproxy/gateway-wasm,1,",
    "busybox,index.docker.io,library/busybox,latest,",
  })
  void referencesAreParsedAsDockerNamesThem(
      String image, String registry, String repository, String tag, String digest)
      throws Exception {
    assertThat(Reference.parse(image)).isEqualTo(new Reference(registry, repository, tag, digest));
  }

  @Test
  void badReferencesAreRefused() throws Exception {
    assertThatThrownBy(() -> Reference.parse("localhost/w@sha256:ab"))
        .hasMessageContaining("bad digest");
    assertThatThrownBy(() -> Reference.parse("r.example/UPPER:v1"))
        .hasMessageContaining("could not parse url");
    Reference pinned = Reference.parse("r.example/w@sha256:" + "c".repeat(64));
    assertThat(pinned.tag()).isNull();
    assertThat(pinned.toString()).isEqualTo("oci://r.example/w@sha256:" + "c".repeat(64));
  }

  @Test
  void credentialsAreLookedUpByRegistryInTheDockerConfig() throws Exception {
    String cfg =
        """
        {"auths": {
          "https://index.docker.io/v1/": {"username": "hub", "password": "p1"},
          "https://r.example:5000": {"auth": "%s"},
          "other.example": {"username": "o", "password": "p3"}}}
        """
            .formatted(java.util.Base64.getEncoder().encodeToString("u2:p:2".getBytes()));
    assertThat(OciImagePuller.credentials(cfg, "index.docker.io").orElseThrow().username())
        .isEqualTo("hub");
    Credentials c = OciImagePuller.credentials(cfg, "r.example:5000").orElseThrow();
    assertThat(c.username()).isEqualTo("u2");
    assertThat(c.password()).isEqualTo("p:2");
    assertThat(c.toString()).doesNotContain("p:2");
    assertThat(OciImagePuller.credentials(cfg, "nowhere.example")).isEmpty();
    // Only the image's registry's entry is passed on.
    String narrowed = OciImagePuller.narrowed(cfg, "r.example:5000");
    assertThat(Json.MAPPER.readTree(narrowed).path("auths").size()).isEqualTo(1);
    assertThat(narrowed).doesNotContain("hub").doesNotContain("p3");
    assertThatThrownBy(() -> OciImagePuller.credentials("ThisIsNotJson", "r.example"))
        .hasMessageContaining("not a docker config");
  }

  private static XdsIr irWith(WasmIr w) {
    RouteDestinationIr backend =
        new RouteDestinationIr(
            "backend",
            List.of(
                new DestinationSettingIr(
                    "backend/0", 1, "HTTP", "IP", List.of(new EndpointIr("127.0.0.1", 9)), null)));
    HttpRouteIr route =
        new HttpRouteIr(
                "r", null, null, null, null, null, backend, null, null, null, null, null, null,
                null, null, null, false, null, null, null, null, null, null)
            .withExtensions(new ExtensionIr("p", List.of(), List.of(), List.of(w)));
    HttpListenerIr listener =
        new HttpListenerIr("l", null, 8080, 8080, List.of("*"), null, List.of(route), null);
    return new XdsIr("ns/gw", List.of(listener), List.of(), List.of(), List.of());
  }

  @Test
  void theCachePullsAnImageWithItsPullSecretAndServesTheModule() throws Exception {
    registry = OciTestRegistry.guarded(Auth.BEARER, "robot", "s3cret");
    Image img = registry.pushCompat("private/filter", "v1", MODULE, true);
    String pinned = "oci://" + registry.host() + "/private/filter@sha256:" + img.digest();
    String sha = OciImagePuller.sha256Hex(MODULE);
    cache = WasmModuleCache.start(dir.resolve("cache"), "127.0.0.1", 0, "127.0.0.1");
    WasmIr w =
        new WasmIr(
            "p/wasm/0",
            "p/wasm/0",
            null,
            null,
            false,
            pinned,
            sha,
            null,
            List.of(),
            registry.dockerConfig("robot", "s3cret"));
    assertThat(w.isImage()).isTrue();
    // The IR round-trips through JSON with its pull secret (the bus seals the whole IR).
    assertThat(Json.MAPPER.readValue(Json.MAPPER.writeValueAsBytes(w), WasmIr.class).pullSecret())
        .isEqualTo(w.pullSecret());
    WasmIr served =
        cache.rewrite(irWith(w)).http().get(0).routes().get(0).extensions().wasm().get(0);
    assertThat(served.uri()).isEqualTo(cache.uri(sha));
    assertThat(served.cluster().name()).isEqualTo(WasmModuleCache.CLUSTER);
    // The pull secret stops at the cache: nothing Envoy's configuration is made from carries it.
    assertThat(served.pullSecret()).isNull();
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create(served.uri())).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(MODULE);
    assertThat(registry.tokensIssued.get()).isGreaterThanOrEqualTo(1);

    // An image whose module is not the one the policy was accepted with is not served.
    String other = "f".repeat(64);
    cache.rewrite(
        irWith(
            new WasmIr(
                "p/wasm/1",
                "p/wasm/1",
                null,
                null,
                false,
                pinned,
                other,
                null,
                List.of(),
                registry.dockerConfig("robot", "s3cret"))));
    assertThat(
            http.send(
                    HttpRequest.newBuilder(URI.create(cache.uri(other))).build(),
                    HttpResponse.BodyHandlers.ofByteArray())
                .statusCode())
        .isEqualTo(502);
  }
}
