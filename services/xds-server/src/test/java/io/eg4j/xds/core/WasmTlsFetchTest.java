package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import io.eg4j.model.wasm.OciImagePuller;
import io.eg4j.model.wasm.TrustedCa;
import io.eg4j.xds.testing.OciTestRegistry;
import io.eg4j.xds.testing.OciTestRegistry.Image;
import io.eg4j.xds.testing.TestTls;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wasm modules fetched over HTTPS from servers whose certificate chains to a CA of their own (a
 * policy's {@code code.http.tls} / {@code code.image.tls}): the OCI puller and the xds-server's
 * Wasm cache trust the policy's CA bundle besides the system's roots, and a server the bundle does
 * not vouch for is still refused.
 */
class WasmTlsFetchTest {
  @TempDir Path dir;
  static final byte[] MODULE = "\0asm\1\0\0\0-tls-module".getBytes(StandardCharsets.ISO_8859_1);
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  CertGen.Bundle trusted;
  CertGen.Bundle stranger;
  HttpsServer origin;
  final AtomicInteger originHits = new AtomicInteger();
  OciTestRegistry registry;
  WasmModuleCache cache;

  @BeforeEach
  void start() throws Exception {
    trusted = CertGen.generate(List.of("127.0.0.1"), Duration.ofDays(1));
    stranger = CertGen.generate(List.of("127.0.0.1"), Duration.ofDays(1));
    origin = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    origin.setHttpsConfigurator(new HttpsConfigurator(TestTls.serverContext(trusted)));
    origin.createContext(
        "/m.wasm",
        ex -> {
          originHits.incrementAndGet();
          ex.sendResponseHeaders(200, MODULE.length);
          ex.getResponseBody().write(MODULE);
          ex.close();
        });
    origin.start();
    cache = WasmModuleCache.start(dir.resolve("cache"), "127.0.0.1", 0, "127.0.0.1");
  }

  @AfterEach
  void stop() {
    origin.stop(0);
    cache.close();
    if (registry != null) {
      registry.close();
    }
  }

  private String originUrl() {
    return "https://127.0.0.1:" + origin.getAddress().getPort() + "/m.wasm";
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

  private static WasmIr wasm(String name, String uri, String sha, String caPem) {
    return new WasmIr(name, name, null, null, false, uri, sha, null, List.of(), null, caPem);
  }

  private static int fetch(String uri) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void theCacheDownloadsOverHttpsWithThePolicysCaAndRefusesAnUnknownServer() throws Exception {
    String sha = OciImagePuller.sha256Hex(MODULE);
    WasmIr served =
        cache
            .rewrite(irWith(wasm("p/wasm/0", originUrl(), sha, trusted.get(CertGen.CA_CERT))))
            .http()
            .get(0)
            .routes()
            .get(0)
            .extensions()
            .wasm()
            .get(0);
    // The CA bundle stays with the control plane: Envoy fetches from the cache.
    assertThat(served.caCertificate()).isNull();
    assertThat(served.cluster().name()).isEqualTo(WasmModuleCache.CLUSTER);
    HttpResponse<byte[]> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(served.uri())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(MODULE);
    assertThat(originHits.get()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void withoutTheCaOrWithAnotherOneTheOriginIsNotTrusted() throws Exception {
    // Another module from the same server, so nothing is on disk already.
    byte[] other = "\0asm\1\0\0\0-other".getBytes(StandardCharsets.ISO_8859_1);
    origin.createContext(
        "/other.wasm",
        ex -> {
          originHits.incrementAndGet();
          ex.sendResponseHeaders(200, other.length);
          ex.getResponseBody().write(other);
          ex.close();
        });
    String url = originUrl().replace("/m.wasm", "/other.wasm");
    String sha = OciImagePuller.sha256Hex(other);
    cache.rewrite(irWith(wasm("p/wasm/0", url, sha, null)));
    assertThat(fetch(cache.uri(sha))).isEqualTo(502);
    cache.rewrite(irWith(wasm("p/wasm/1", url, sha, stranger.get(CertGen.CA_CERT))));
    assertThat(fetch(cache.uri(sha)))
        .as("a CA bundle that did not sign the server's certificate does not make it trusted")
        .isEqualTo(502);
    assertThat(originHits.get()).as("no TLS handshake succeeded").isZero();
  }

  @Test
  void aRegistryOnTlsIsPulledWithThePolicysCa() throws Exception {
    registry = OciTestRegistry.anonymousTls(TestTls.serverContext(trusted));
    Image img = registry.pushArtifact("team/filter", "v1", MODULE);
    OciImagePuller withCa =
        new OciImagePuller(
            TrustedCa.client(trusted.get(CertGen.CA_CERT), TIMEOUT, false), TIMEOUT, true);
    OciImagePuller.Pulled p = withCa.pull(img.url(), null);
    assertThat(p.module()).isEqualTo(MODULE);
    assertThat(p.imageDigest()).isEqualTo(img.digest());

    OciImagePuller withStranger =
        new OciImagePuller(
            TrustedCa.client(stranger.get(CertGen.CA_CERT), TIMEOUT, false), TIMEOUT, true);
    assertThatThrownBy(() -> withStranger.pull(img.url(), null))
        .isInstanceOf(OciImagePuller.PullException.class)
        .hasMessageContaining("could not reach 127.0.0.1");
    // Without a CA bundle a loopback registry is spoken to in plain HTTP, which a TLS one refuses.
    assertThatThrownBy(() -> new OciImagePuller(TIMEOUT).pull(img.url(), null))
        .isInstanceOf(java.io.IOException.class);

    // The cache pulls it with the CA the IR carries and serves the module.
    String sha = OciImagePuller.sha256Hex(MODULE);
    String pinned = "oci://" + registry.host() + "/team/filter@sha256:" + img.digest();
    cache.rewrite(irWith(wasm("p/wasm/0", pinned, sha, trusted.get(CertGen.CA_CERT))));
    assertThat(fetch(cache.uri(sha))).isEqualTo(200);
  }

  @Test
  void aCaBundleWithoutACertificateIsRefused() {
    assertThatThrownBy(() -> TrustedCa.context("not a certificate"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CA bundle");
  }
}
