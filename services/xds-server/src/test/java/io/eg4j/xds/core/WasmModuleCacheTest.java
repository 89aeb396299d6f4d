package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Wasm module cache against a real origin server on 127.0.0.1: it points the IR's modules at
 * itself, downloads each module once, serves it by checksum even after the origin went away, and
 * refuses a module whose bytes no longer match the checksum the policy was accepted with.
 */
class WasmModuleCacheTest {
  @TempDir Path dir;
  HttpServer origin;
  final AtomicReference<byte[]> body = new AtomicReference<>();
  final AtomicInteger downloads = new AtomicInteger();
  WasmModuleCache cache;
  final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    origin.createContext(
        "/m.wasm",
        ex -> {
          downloads.incrementAndGet();
          byte[] b = body.get();
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    origin.start();
    cache = WasmModuleCache.start(dir.resolve("cache"), "127.0.0.1", 0, "127.0.0.1");
  }

  @AfterEach
  void stop() {
    cache.close();
    origin.stop(0);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private String originUrl() {
    return "http://127.0.0.1:" + origin.getAddress().getPort() + "/m.wasm";
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

  private WasmIr module(String sha) {
    return new WasmIr(
        "p/wasm/0",
        "p/wasm/0",
        null,
        null,
        false,
        originUrl(),
        sha,
        new RouteDestinationIr("origin", List.of()),
        List.of());
  }

  private HttpResponse<byte[]> get(String uri) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void modulesAreServedFromTheCacheOnceDownloaded() throws Exception {
    byte[] bytes = "\0asm-module-one".getBytes(StandardCharsets.ISO_8859_1);
    body.set(bytes);
    String sha = sha256(bytes);
    XdsIr rewritten = cache.rewrite(irWith(module(sha)));
    WasmIr served = rewritten.http().get(0).routes().get(0).extensions().wasm().get(0);
    assertThat(served.uri())
        .isEqualTo("http://127.0.0.1:" + cache.port() + "/" + sha + ".wasm")
        .isEqualTo(cache.uri(sha));
    assertThat(served.sha256()).isEqualTo(sha);
    assertThat(served.cluster().name()).isEqualTo(WasmModuleCache.CLUSTER);
    assertThat(served.cluster().settings().get(0).endpoints().get(0).port())
        .isEqualTo(cache.port());

    assertThat(get(served.uri()).body()).isEqualTo(bytes);
    assertThat(get(served.uri()).body()).isEqualTo(bytes);
    // The origin can go away: the cache keeps serving what it checked.
    origin.stop(0);
    assertThat(get(served.uri()).statusCode()).isEqualTo(200);
    assertThat(downloads.get()).isEqualTo(1);
    // Rewriting again is idempotent.
    assertThat(cache.rewrite(rewritten)).isEqualTo(rewritten);
  }

  @Test
  void aModuleThatNoLongerMatchesItsChecksumIsNotServed() throws Exception {
    byte[] accepted = "\0asm-accepted".getBytes(StandardCharsets.ISO_8859_1);
    String sha = sha256(accepted);
    body.set("\0asm-changed-since".getBytes(StandardCharsets.ISO_8859_1));
    cache.rewrite(irWith(module(sha)));
    HttpResponse<byte[]> r = get(cache.uri(sha));
    assertThat(r.statusCode()).isEqualTo(502);
    // Once the origin serves the right bytes again, the cache recovers.
    body.set(accepted);
    assertThat(get(cache.uri(sha)).body()).isEqualTo(accepted);
  }

  @Test
  void aChecksumNoPolicyNamedIsNotFound() throws Exception {
    assertThat(get(cache.uri("0".repeat(64))).statusCode()).isEqualTo(404);
    assertThat(get("http://127.0.0.1:" + cache.port() + "/../etc/passwd").statusCode())
        .isEqualTo(404);
  }

  @Test
  void anIrWithoutWasmIsLeftAsItIs() {
    XdsIr ir = new XdsIr("ns/gw", List.of(), List.of(), List.of(), List.of());
    assertThat(cache.rewrite(ir)).isSameAs(ir);
  }
}
