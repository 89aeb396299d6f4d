package io.eg4j.xds.e2e;

import static io.eg4j.xds.testing.Ir.dest;
import static io.eg4j.xds.testing.Ir.route;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.bus.Json;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.TlsIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.testing.Backends;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.Ir;
import io.eg4j.xds.testing.UpgradeBackends;
import io.eg4j.xds.testing.XdsTestServer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import java.net.DatagramSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real envoy, configured over mTLS state-of-the-world ADS by the xds-server core, proxying real
 * requests to echo backends on 127.0.0.1. Assertions read the echo body, as the Gateway API
 * conformance suite does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class XdsDataPlaneE2E {
  @TempDir static Path dir;

  EchoServer echoA;
  EchoServer echoB;
  EchoServer echoC;
  EchoServer echoMirror;
  Backends.Running tcp;
  Backends.Running tls;
  Backends.Running udp;
  Backends.Running udp2;
  Backends.Running httpsBackend;
  Backends.Running ws;
  String caBackend;
  int udpSplitPort;
  Server grpc;
  XdsTestServer xds;
  EnvoyProcess envoy;
  int httpPort;
  int httpsPort;
  int tcpPort;
  int emptyTcpPort;
  int readyPort;
  int udpPort;
  String caA;
  String caB;
  String caPass;

  @BeforeAll
  void start() throws Exception {
    EnvoyProcess.requireEnvoy();
    echoA = EchoServer.start(0, "echo-a", "default");
    echoB = EchoServer.start(0, "echo-b", "default");
    echoC = EchoServer.start(0, "echo-c", "default");
    echoMirror = EchoServer.start(0, "echo-mirror", "default");
    tcp = Backends.tcpEcho("tcp:");
    String[] pass = CertGen.serverCertificate(List.of("pass.example.com"), Duration.ofDays(1));
    caPass = pass[2];
    tls = Backends.tlsEcho("pass:", pass[0], pass[1]);
    udp = Backends.udpEcho("udp:");
    udp2 = Backends.udpEcho("udp2:");
    String[] backendCert =
        CertGen.serverCertificate(List.of("backend.example.com"), Duration.ofDays(1));
    caBackend = backendCert[2];
    httpsBackend = UpgradeBackends.httpsSniEcho(backendCert[0], backendCert[1]);
    ws = UpgradeBackends.websocketEcho();
    grpc = Backends.grpcEcho("grpc:");
    httpPort = EnvoyProcess.freePort();
    httpsPort = EnvoyProcess.freePort();
    tcpPort = EnvoyProcess.freePort();
    emptyTcpPort = EnvoyProcess.freePort();
    readyPort = EnvoyProcess.freePort();
    try (DatagramSocket s = new DatagramSocket(0)) {
      udpPort = s.getLocalPort();
    }
    try (DatagramSocket s = new DatagramSocket(0)) {
      udpSplitPort = s.getLocalPort();
    }
    String[] certA = CertGen.serverCertificate(List.of("a.example.com"), Duration.ofDays(1));
    String[] certB = CertGen.serverCertificate(List.of("*.b.example.com"), Duration.ofDays(1));
    caA = certA[2];
    caB = certB[2];

    xds = XdsTestServer.start(dir.resolve("certs"), XdsEvents.NONE, true);
    xds.snapshots().update(ir(certA, certB));

    int admin = EnvoyProcess.freePort();
    Path certs = xds.certs();
    EnvoyBootstrapSpec spec =
        EnvoyBootstrapSpec.of("default/eg/e2e-sotw", "default/eg", "127.0.0.1", xds.port(), admin)
            .withTls(
                new EnvoyBootstrapSpec.XdsTls(
                    certs.resolve(CertGen.CLIENT_CERT).toString(),
                    certs.resolve(CertGen.CLIENT_KEY).toString(),
                    certs.resolve(CertGen.CA_CERT).toString(),
                    "localhost"));
    Path bootstrap = dir.resolve("bootstrap.yaml");
    Files.writeString(bootstrap, EnvoyBootstrap.render(spec));
    envoy = EnvoyProcess.start(bootstrap, admin, dir);
    try {
      await("HTTP route served", () -> Http.get(httpPort, "any.test", "/exact").status() == 200);
    } catch (AssertionError e) {
      String log = envoy.logText();
      throw new AssertionError(
          e.getMessage() + "\n" + log.substring(Math.max(0, log.length() - 6000)), e);
    }
    await(
        "UDP listener served",
        () -> {
          try {
            return Backends.udpRoundTrip(udpPort, "ping").equals("udp:ping");
          } catch (Exception e) {
            return false;
          }
        });
  }

  private XdsIr ir(String[] certA, String[] certB) {
    int a = echoA.port();
    int b = echoB.port();
    int c = echoC.port();
    List<HttpRouteIr> routes =
        List.of(
            route("host-exact").host("exact.example.com").to(dest("host-exact", "HTTP", b)).build(),
            route("host-wild").host("*.example.com").to(dest("host-wild", "HTTP", c)).build(),
            route("exact").exact("/exact").to(dest("exact", "HTTP", a)).build(),
            // Gateway API precedence, as the translator orders it: header, query and method
            // matches come before the bare prefix on the same path.
            route("match-header")
                .prefix("/match")
                .header("version", "two")
                .to(dest("match-b", "HTTP", b))
                .build(),
            route("match-query")
                .prefix("/match")
                .query("q", "one")
                .to(dest("match-c", "HTTP", c))
                .build(),
            route("match-method")
                .prefix("/match")
                .method("DELETE")
                .to(dest("match-c", "HTTP", c))
                .build(),
            route("match-prefix").prefix("/match").to(dest("match-a", "HTTP", a)).build(),
            route("regex").regex("/re/[0-9]+").to(dest("regex", "HTTP", b)).build(),
            // GRPCRoute's method-only match: a suffix on :path.
            route("suffix")
                .prefix("/suffix")
                .headerMatch(new HttpRouteIr.StringMatchIr(":path", "Suffix", "/Say", false))
                .to(dest("suffix", "HTTP", c))
                .build(),
            route("regex-rewrite")
                .prefix("/api")
                .rewriteRegex("^/api/v1/(.*)$", "/v2/\\1")
                .to(dest("regex-rewrite", "HTTP", a))
                .build(),
            route("weighted")
                .prefix("/weighted")
                .to(Ir.weighted("weighted", new int[] {a, b}, new int[] {80, 20}))
                .build(),
            route("redirect")
                .prefix("/redirect")
                .redirect(
                    new HttpRouteIr.RedirectIr(
                        "https",
                        "example.org",
                        null,
                        new HttpRouteIr.UrlRewriteIr.PathRewriteIr(
                            "ReplacePrefixMatch", "/new", null),
                        301))
                .build(),
            // Above Envoy's default 4 KiB direct-response limit (multi-byte characters count as
            // their UTF-8 bytes).
            route("big-body").prefix("/big-body").direct(200, BIG_BODY).build(),
            route("strip")
                .prefix("/strip")
                .rewrite("rewritten.example.com", "ReplacePrefixMatch", "/")
                .to(dest("strip", "HTTP", a))
                .build(),
            route("prefix-rw")
                .prefix("/prefix-rw")
                .rewrite(null, "ReplacePrefixMatch", "/new-prefix")
                .to(dest("prefix-rw", "HTTP", a))
                .build(),
            route("full")
                .prefix("/full")
                .rewrite(null, "ReplaceFullPath", "/replaced")
                .to(dest("full", "HTTP", a))
                .build(),
            route("headers")
                .prefix("/headers")
                .requestHeaders(Map.of("x-added", "a"), Map.of("x-set", "s"), List.of("x-removed"))
                .responseHeaders(Map.of("x-resp", "b"), Map.of(), List.of())
                .to(dest("headers", "HTTP", a))
                .build(),
            route("mirror")
                .prefix("/mirror")
                .to(dest("mirror", "HTTP", a))
                .mirror(dest("mirror-m", "HTTP", echoMirror.port()))
                .build(),
            route("timeout").prefix("/timeout").timeout(500).to(dest("timeout", "HTTP", a)).build(),
            route("retry-with")
                .prefix("/retry/with")
                .retry(3, 503)
                .to(dest("retry", "HTTP", a))
                .build(),
            route("retry-without").prefix("/retry/without").to(dest("retry", "HTTP", a)).build(),
            route("invalid").prefix("/invalid").direct(500).build(),
            route("cors")
                .prefix("/cors")
                .cors(
                    new HttpRouteIr.CorsIr(
                        List.of("https://*.example.com"),
                        List.of("GET", "POST"),
                        List.of("x-custom"),
                        List.of("x-exposed"),
                        600L,
                        true))
                .to(dest("cors", "HTTP", a))
                .build(),
            route("ws").prefix("/ws").to(dest("ws", "WS", ws.port())).build(),
            route("upstream-tls")
                .prefix("/upstream-tls")
                .to(upstreamTls("upstream-tls", List.of()))
                .build(),
            route("upstream-tls-wrong-san")
                .prefix("/wrong-san")
                .to(upstreamTls("upstream-tls-wrong-san", List.of("other.example.com")))
                .build(),
            // One valid backendRef of weight 3 and invalid ones of weight 1: a quarter gets 500.
            route("half-invalid")
                .prefix("/half-invalid")
                .to(
                    new RouteDestinationIr(
                        "half-invalid", List.of(Ir.setting("half-invalid/0", 3, null, null, a)), 1))
                .build(),
            route("backend-headers")
                .prefix("/backend-headers")
                .to(
                    new RouteDestinationIr(
                        "backend-headers",
                        List.of(
                            Ir.setting(
                                "backend-headers/0",
                                1,
                                new HttpRouteIr.HeaderModsIr(
                                    Map.of(), Map.of("x-backend", "a"), List.of()),
                                null,
                                a),
                            Ir.setting(
                                "backend-headers/1",
                                1,
                                new HttpRouteIr.HeaderModsIr(
                                    Map.of(), Map.of("x-backend", "b"), List.of()),
                                new HttpRouteIr.HeaderModsIr(
                                    Map.of("x-from", "b"), Map.of(), List.of()),
                                b))))
                .build(),
            route("sticky")
                .prefix("/sticky")
                .session(
                    new HttpRouteIr.SessionPersistenceIr("Cookie", "eg-session", null, null, null))
                .to(
                    new RouteDestinationIr(
                        "sticky", List.of(Ir.setting("sticky/0", 1, null, null, a, b, c))))
                .build(),
            route("grpc")
                .prefix("/eg4j.test.Echo")
                .grpc()
                .to(dest("grpc", "HTTP2", grpc.getPort()))
                .build());
    HttpListenerIr http =
        new HttpListenerIr(
            "default/eg/http", "127.0.0.1", httpPort, 80, List.of("*"), null, routes, null);
    HttpListenerIr httpsA =
        new HttpListenerIr(
            "default/eg/https-a",
            "127.0.0.1",
            httpsPort,
            443,
            List.of("a.example.com"),
            new TlsIr(
                List.of(new TlsIr.CertificateIr("default/cert-a", certA[0], certA[1], List.of())),
                List.of()),
            List.of(route("https-a").host("a.example.com").to(dest("https-a", "HTTP", a)).build()),
            null);
    HttpListenerIr httpsB =
        new HttpListenerIr(
            "default/eg/https-b",
            "127.0.0.1",
            httpsPort,
            443,
            List.of("*.b.example.com"),
            new TlsIr(
                List.of(new TlsIr.CertificateIr("default/cert-b", certB[0], certB[1], List.of())),
                List.of()),
            List.of(
                route("https-b").host("*.b.example.com").to(dest("https-b", "HTTP", b)).build()),
            null);
    TcpListenerIr passthrough =
        new TcpListenerIr(
            "default/eg/tls-pass",
            "127.0.0.1",
            httpsPort,
            443,
            List.of(
                new TcpListenerIr.TcpRouteIr(
                    "pass", List.of("pass.example.com"), null, dest("pass", "TCP", tls.port()))));
    TcpListenerIr plainTcp =
        new TcpListenerIr(
            "default/eg/tcp",
            "127.0.0.1",
            tcpPort,
            900,
            List.of(
                new TcpListenerIr.TcpRouteIr(
                    "tcp", List.of(), null, dest("tcp", "TCP", tcp.port()))));
    UdpListenerIr udpListener =
        new UdpListenerIr(
            "default/eg/udp", "127.0.0.1", udpPort, 53, "udp", dest("udp", "UDP", udp.port()));
    UdpListenerIr udpSplit =
        new UdpListenerIr(
            "default/eg/udp-split",
            "127.0.0.1",
            udpSplitPort,
            54,
            "udp-split",
            new RouteDestinationIr(
                "udp-split",
                List.of(
                    udpSetting("udp-split/0", 3, udp.port()),
                    udpSetting("udp-split/1", 1, udp2.port()))));
    // A TCP listener nothing attached to: bound, and closes every connection.
    TcpListenerIr emptyTcp =
        new TcpListenerIr("default/eg/tcp-empty", "127.0.0.1", emptyTcpPort, 901, List.of());
    return new XdsIr(
        "default/eg",
        List.of(http, httpsA, httpsB),
        List.of(passthrough, plainTcp, emptyTcp),
        List.of(udpListener, udpSplit),
        List.of(),
        new XdsIr.ReadyListenerIr("127.0.0.1", readyPort, "/ready"),
        null);
  }

  /** The HTTPS backend behind a BackendTLSPolicy: SNI backend.example.com, our test CA. */
  private RouteDestinationIr upstreamTls(String name, List<String> subjectAltNames) {
    return new RouteDestinationIr(
        name,
        List.of(
            new RouteDestinationIr.DestinationSettingIr(
                name + "/backend/0",
                1,
                "HTTP",
                "IP",
                List.of(new RouteDestinationIr.EndpointIr("127.0.0.1", httpsBackend.port())),
                RouteDestinationIr.UpstreamTlsIr.verified(
                    "backend.example.com", caBackend, subjectAltNames))));
  }

  private static RouteDestinationIr.DestinationSettingIr udpSetting(
      String name, int weight, int port) {
    return new RouteDestinationIr.DestinationSettingIr(
        name,
        weight,
        "UDP",
        "IP",
        List.of(new RouteDestinationIr.EndpointIr("127.0.0.1", port)),
        null);
  }

  @AfterAll
  void stop() {
    if (envoy != null) {
      envoy.close();
    }
    if (xds != null) {
      xds.close();
    }
    for (AutoCloseable c :
        new AutoCloseable[] {
          echoA, echoB, echoC, echoMirror, tcp, tls, udp, udp2, httpsBackend, ws
        }) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
    if (grpc != null) {
      grpc.shutdownNow();
    }
  }

  static JsonNode echo(Http.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    try {
      return Json.MAPPER.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError("not an echo body: " + r.body(), e);
    }
  }

  static String pod(Http.Response r) {
    return echo(r).path("pod").asText();
  }

  static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (Boolean.TRUE.equals(condition.get())) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for: " + what);
  }

  @Test
  void pathExactPrefixAndRegex() {
    assertThat(pod(Http.get(httpPort, "any.test", "/exact"))).isEqualTo("echo-a");
    assertThat(Http.get(httpPort, "any.test", "/exact/more").status()).isEqualTo(404);
    assertThat(pod(Http.get(httpPort, "any.test", "/match/deeper"))).isEqualTo("echo-a");
    // Prefixes match whole segments: /matchmaker is not under /match.
    assertThat(Http.get(httpPort, "any.test", "/matchmaker").status()).isEqualTo(404);
    assertThat(pod(Http.get(httpPort, "any.test", "/re/123"))).isEqualTo("echo-b");
    assertThat(Http.get(httpPort, "any.test", "/re/abc").status()).isEqualTo(404);
  }

  @Test
  void pathSuffixMatchAndRegexRewrite() {
    assertThat(pod(Http.get(httpPort, "any.test", "/suffix/pkg.Svc/Say"))).isEqualTo("echo-c");
    assertThat(Http.get(httpPort, "any.test", "/suffix/pkg.Svc/Other").status()).isEqualTo(404);
    assertThat(echo(Http.get(httpPort, "any.test", "/api/v1/users/7")).path("path").asText())
        .isEqualTo("/v2/users/7");
  }

  @Test
  void headerQueryMethodMatchesAndPrecedence() {
    assertThat(pod(Http.get(httpPort, "any.test", "/match", "version", "two"))).isEqualTo("echo-b");
    assertThat(pod(Http.get(httpPort, "any.test", "/match?q=one"))).isEqualTo("echo-c");
    // Header match wins over query match (it comes first in precedence order).
    assertThat(pod(Http.get(httpPort, "any.test", "/match?q=one", "version", "two")))
        .isEqualTo("echo-b");
    assertThat(pod(Http.send("DELETE", httpPort, "any.test", "/match"))).isEqualTo("echo-c");
    assertThat(pod(Http.get(httpPort, "any.test", "/match", "version", "three")))
        .isEqualTo("echo-a");
  }

  @Test
  void hostnamePrecedence() {
    // Exact hostname beats the wildcard, the wildcard beats "*".
    assertThat(pod(Http.get(httpPort, "exact.example.com", "/exact"))).isEqualTo("echo-b");
    assertThat(pod(Http.get(httpPort, "other.example.com", "/exact"))).isEqualTo("echo-c");
    assertThat(pod(Http.get(httpPort, "example.net", "/exact"))).isEqualTo("echo-a");
    // A port in the Host header does not change the virtual host.
    assertThat(pod(Http.get(httpPort, "exact.example.com:8080", "/"))).isEqualTo("echo-b");
  }

  @Test
  void weightsSplitTrafficWithinTolerance() {
    int a = 0;
    int b = 0;
    for (int i = 0; i < 200; i++) {
      String p = pod(Http.get(httpPort, "any.test", "/weighted"));
      if (p.equals("echo-a")) {
        a++;
      } else if (p.equals("echo-b")) {
        b++;
      }
    }
    // 80/20 over 200 requests: expected 160/40, standard deviation about 5.7. ±30 is > 5 sigma.
    assertThat(a + b).isEqualTo(200);
    assertThat(a).isBetween(130, 190);
    assertThat(b).isBetween(10, 70);
  }

  /** 6,000 UTF-8 bytes: 2,000 three-byte characters. */
  static final String BIG_BODY = "\u20ac".repeat(2000);

  @Test
  void directResponseBodyAboveEnvoysDefaultLimitIsServedWhole() {
    Http.Response r = Http.get(httpPort, "any.test", "/big-body");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(BIG_BODY);
  }

  @Test
  void redirect() {
    Http.Response r = Http.get(httpPort, "any.test", "/redirect/x");
    assertThat(r.status()).isEqualTo(301);
    assertThat(r.header("location")).isEqualTo("https://example.org/new/x");
  }

  @Test
  void rewrites() {
    JsonNode strip = echo(Http.get(httpPort, "any.test", "/strip/three"));
    assertThat(strip.path("path").asText()).isEqualTo("/three");
    assertThat(strip.path("host").asText()).isEqualTo("rewritten.example.com");
    assertThat(echo(Http.get(httpPort, "any.test", "/strip")).path("path").asText()).isEqualTo("/");
    assertThat(echo(Http.get(httpPort, "any.test", "/prefix-rw/one")).path("path").asText())
        .isEqualTo("/new-prefix/one");
    assertThat(echo(Http.get(httpPort, "any.test", "/full/a/b?x=1")).path("path").asText())
        .isEqualTo("/replaced?x=1");
  }

  @Test
  void headerModifiers() {
    Http.Response r =
        Http.get(
            httpPort,
            "any.test",
            "/headers",
            "x-set",
            "old",
            "x-removed",
            "gone",
            "x-added",
            "first");
    JsonNode h = echo(r).path("headers");
    assertThat(h.path("X-Set").toString()).isEqualTo("[\"s\"]");
    assertThat(h.has("X-Removed")).isFalse();
    assertThat(h.path("X-Added").toString()).contains("first").contains("a");
    assertThat(r.header("x-resp")).isEqualTo("b");
  }

  @Test
  void mirror() throws InterruptedException {
    String path = "/mirror/" + UUID.randomUUID();
    assertThat(pod(Http.get(httpPort, "any.test", path))).isEqualTo("echo-a");
    await("mirror receives " + path, () -> echoMirror.seenPaths().contains(path));
  }

  @Test
  void requestTimeoutGives504() {
    assertThat(Http.get(httpPort, "any.test", "/timeout?delay=2s").status()).isEqualTo(504);
    assertThat(Http.get(httpPort, "any.test", "/timeout?delay=10ms").status()).isEqualTo(200);
  }

  @Test
  void retriesAgainstAFlakyBackend() {
    String ok = "/retry/with?uuid=" + UUID.randomUUID() + "&succeedAfter=2";
    assertThat(pod(Http.get(httpPort, "any.test", ok))).isEqualTo("echo-a");
    String fails = "/retry/without?uuid=" + UUID.randomUUID() + "&succeedAfter=2";
    assertThat(Http.get(httpPort, "any.test", fails).status()).isEqualTo(503);
  }

  @Test
  void invalidBackendGives500() {
    assertThat(Http.get(httpPort, "any.test", "/invalid/x").status()).isEqualTo(500);
  }

  @Test
  void invalidBackendShareGets500() {
    int errors = 0;
    int ok = 0;
    for (int i = 0; i < 200; i++) {
      int status = Http.get(httpPort, "any.test", "/half-invalid").status();
      if (status == 500) {
        errors++;
      } else if (status == 200) {
        ok++;
      }
    }
    // Weight 1 of 4 is invalid: expected 50 of 200, standard deviation about 6.1; ±25 is > 4 sigma.
    assertThat(errors + ok).isEqualTo(200);
    assertThat(errors).isBetween(25, 75);
  }

  @Test
  void perBackendHeaderFiltersApplyOnlyToTheirBackend() {
    int seenA = 0;
    int seenB = 0;
    for (int i = 0; i < 60 && (seenA < 3 || seenB < 3); i++) {
      Http.Response r = Http.get(httpPort, "any.test", "/backend-headers");
      JsonNode body = echo(r);
      String pod = body.path("pod").asText();
      String sent = body.path("headers").path("X-Backend").toString();
      if (pod.equals("echo-a")) {
        seenA++;
        assertThat(sent).isEqualTo("[\"a\"]");
        assertThat(r.header("x-from")).isNull();
      } else {
        seenB++;
        assertThat(pod).isEqualTo("echo-b");
        assertThat(sent).isEqualTo("[\"b\"]");
        assertThat(r.header("x-from")).isEqualTo("b");
      }
    }
    assertThat(seenA).isGreaterThanOrEqualTo(3);
    assertThat(seenB).isGreaterThanOrEqualTo(3);
  }

  @Test
  void cookieSessionPersistenceKeepsTheBackend() {
    // Three endpoints behind one backendRef: without the cookie requests spread over them.
    java.util.Set<String> spread = new java.util.HashSet<>();
    for (int i = 0; i < 30; i++) {
      spread.add(pod(Http.get(httpPort, "any.test", "/sticky")));
    }
    assertThat(spread).hasSizeGreaterThan(1);
    Http.Response first = Http.get(httpPort, "any.test", "/sticky/x");
    String setCookie = first.header("set-cookie");
    assertThat(setCookie).startsWith("eg-session=").contains("Path=/sticky");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    String chosen = pod(first);
    for (int i = 0; i < 20; i++) {
      assertThat(pod(Http.get(httpPort, "any.test", "/sticky/x", "cookie", cookie)))
          .isEqualTo(chosen);
    }
  }

  @Test
  void httpsTerminationPicksCertificateBySni() throws Exception {
    String[] a = Backends.httpsGet(httpsPort, "a.example.com", caA, "/");
    assertThat(a[0]).startsWith("HTTP/1.1 200").contains("\"pod\" : \"echo-a\"");
    assertThat(a[1]).contains("a.example.com");
    String[] b = Backends.httpsGet(httpsPort, "x.b.example.com", caB, "/");
    assertThat(b[0]).startsWith("HTTP/1.1 200").contains("\"pod\" : \"echo-b\"");
    assertThat(b[1]).contains("*.b.example.com");
  }

  @Test
  void tlsPassthroughBySni() throws Exception {
    String[] r = Backends.tlsRoundTrip(httpsPort, "pass.example.com", caPass, "hello");
    assertThat(r[0]).isEqualTo("pass:hello");
    // The certificate is the backend's: Envoy did not terminate TLS.
    assertThat(r[1]).contains("pass.example.com");
  }

  @Test
  void tcpProxy() throws Exception {
    assertThat(Backends.tcpRoundTrip(tcpPort, "hello")).isEqualTo("tcp:hello");
  }

  @Test
  void readyListenerAnswersTheReadinessPathOnly() {
    // The readiness listener comes over xDS with the configuration: the probe passes once Envoy
    // has it, and nothing else is served on that port.
    assertThat(Http.get(readyPort, "any", "/ready").status()).isEqualTo(200);
    assertThat(Http.get(readyPort, "any", "/").status()).isEqualTo(500);
    assertThat(Http.get(readyPort, "any", "/exact").status()).isEqualTo(500);
  }

  @Test
  void tcpListenerWithoutRoutesAcceptsAndCloses() throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", emptyTcpPort)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("hello\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      // The proxy's cluster has no endpoint: the connection ends without a byte back (closed, or
      // reset when the close races the write).
      int first;
      try {
        first = s.getInputStream().read();
      } catch (java.net.SocketException reset) {
        first = -1;
      }
      assertThat(first).isEqualTo(-1);
    }
  }

  @Test
  void udpProxy() throws Exception {
    assertThat(Backends.udpRoundTrip(udpPort, "hello")).isEqualTo("udp:hello");
  }

  @Test
  void udpRouteSplitsSessionsOverItsBackendsByWeight() throws Exception {
    int first = 0;
    int second = 0;
    // Each round trip uses a new client socket, so a new udp_proxy session and a new pick.
    for (int i = 0; i < 100; i++) {
      String reply = Backends.udpRoundTrip(udpSplitPort, "s" + i);
      if (reply.equals("udp:s" + i)) {
        first++;
      } else if (reply.equals("udp2:s" + i)) {
        second++;
      }
    }
    // Weights 3:1 over 100 sessions: expected 75/25, standard deviation about 4.3; ±20 > 4 sigma.
    assertThat(first + second).isEqualTo(100);
    assertThat(first).isBetween(55, 95);
    assertThat(second).isBetween(5, 45);
  }

  @Test
  void corsPreflightAndSimpleRequestThroughEnvoy() {
    Http.Response pre =
        Http.send(
            "OPTIONS",
            httpPort,
            "any.test",
            "/cors",
            "origin",
            "https://app.example.com",
            "access-control-request-method",
            "POST");
    assertThat(pre.status()).isEqualTo(200);
    assertThat(pre.header("access-control-allow-origin")).isEqualTo("https://app.example.com");
    assertThat(pre.header("access-control-allow-methods")).contains("POST");
    assertThat(pre.header("access-control-allow-headers")).isEqualTo("x-custom");
    assertThat(pre.header("access-control-max-age")).isEqualTo("600");
    assertThat(pre.header("access-control-allow-credentials")).isEqualTo("true");
    // Envoy answered the preflight itself: no echo body.
    assertThat(pre.body()).doesNotContain("echo-a");

    Http.Response simple =
        Http.get(httpPort, "any.test", "/cors", "origin", "https://app.example.com");
    assertThat(pod(simple)).isEqualTo("echo-a");
    assertThat(simple.header("access-control-allow-origin")).isEqualTo("https://app.example.com");
    assertThat(simple.header("access-control-expose-headers")).isEqualTo("x-exposed");

    Http.Response other =
        Http.send(
            "OPTIONS",
            httpPort,
            "any.test",
            "/cors",
            "origin",
            "https://evil.test",
            "access-control-request-method",
            "POST");
    assertThat(other.header("access-control-allow-origin")).isNull();
  }

  @Test
  void websocketUpgradeThroughEnvoy() throws Exception {
    String key = Base64.getEncoder().encodeToString("eg4j-websocket-k".getBytes(UTF_8));
    try (Socket s = new Socket("127.0.0.1", httpPort)) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write(
              ("GET /ws/chat HTTP/1.1\r\nHost: any.test\r\nUpgrade: websocket\r\n"
                      + "Connection: Upgrade\r\nSec-WebSocket-Key: "
                      + key
                      + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                  .getBytes(UTF_8));
      List<String> head = UpgradeBackends.readHead(s.getInputStream());
      assertThat(head.get(0)).startsWith("HTTP/1.1 101");
      assertThat(UpgradeBackends.header(head, "sec-websocket-accept"))
          .isEqualTo(UpgradeBackends.accept(key));
      // After the upgrade Envoy is a byte pipe: a masked text frame comes back as sent.
      byte[] frame = {(byte) 0x81, (byte) 0x84, 1, 2, 3, 4, 'p' ^ 1, 'i' ^ 2, 'n' ^ 3, 'g' ^ 4};
      s.getOutputStream().write(frame);
      s.getOutputStream().flush();
      byte[] back = s.getInputStream().readNBytes(frame.length);
      assertThat(back).isEqualTo(frame);
    }
  }

  @Test
  void upstreamTlsSendsSniAndVerifiesTheBackend() {
    Http.Response r = Http.get(httpPort, "any.test", "/upstream-tls/x");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("sni=backend.example.com path=/upstream-tls/x");
    // The backend's certificate does not carry the SAN the policy asks for: Envoy refuses it.
    assertThat(Http.get(httpPort, "any.test", "/wrong-san").status()).isEqualTo(503);
  }

  @Test
  void grpcCall() throws Exception {
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", httpPort)
            .usePlaintext()
            .overrideAuthority("grpc.test")
            .build();
    try {
      assertThat(Backends.grpcSay(ch, "hi")).isEqualTo("grpc:hi");
    } finally {
      ch.shutdownNow();
    }
  }
}
