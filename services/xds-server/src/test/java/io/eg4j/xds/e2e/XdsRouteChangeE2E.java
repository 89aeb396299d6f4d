package io.eg4j.xds.e2e;

import static io.eg4j.xds.testing.Ir.dest;
import static io.eg4j.xds.testing.Ir.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.XdsTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Updates under traffic, with the real envoy on delta ADS over mTLS: route changes that swap
 * clusters return no non-2xx (make-before-break), and a rejected resource is reported as a NACK.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class XdsRouteChangeE2E {
  @TempDir static Path dir;

  EchoServer echoA;
  EchoServer echoB;
  XdsTestServer xds;
  EnvoyProcess envoy;
  int port;
  final List<String> nacks = new CopyOnWriteArrayList<>();
  final AtomicInteger connected = new AtomicInteger();

  @BeforeAll
  void start() throws Exception {
    EnvoyProcess.requireEnvoy();
    echoA = EchoServer.start(0, "echo-a", "default");
    echoB = EchoServer.start(0, "echo-b", "default");
    port = EnvoyProcess.freePort();
    XdsEvents events =
        new XdsEvents() {
          @Override
          public void nack(String key, String typeUrl, String version, String error, String node) {
            nacks.add(key + "|" + typeUrl + "|" + error + "|" + node);
          }

          @Override
          public void connected(int streams) {
            connected.set(streams);
          }
        };
    xds = XdsTestServer.start(dir.resolve("certs"), events, true, java.time.Duration.ofSeconds(2));
    xds.snapshots().update(ir("v0", echoA.port(), null));
    int admin = EnvoyProcess.freePort();
    Path certs = xds.certs();
    EnvoyBootstrapSpec spec =
        EnvoyBootstrapSpec.of("default/eg/e2e-delta", "default/eg", "127.0.0.1", xds.port(), admin)
            .withDelta(true)
            .withTls(
                new EnvoyBootstrapSpec.XdsTls(
                    certs.resolve(CertGen.CLIENT_CERT).toString(),
                    certs.resolve(CertGen.CLIENT_KEY).toString(),
                    certs.resolve(CertGen.CA_CERT).toString(),
                    "127.0.0.1"));
    Path bootstrap = dir.resolve("bootstrap.yaml");
    Files.writeString(bootstrap, EnvoyBootstrap.render(spec));
    envoy = EnvoyProcess.start(bootstrap, admin, dir);
    awaitPod("echo-a");
  }

  /** One route /load to a cluster named after the generation, so every change swaps clusters. */
  private XdsIr ir(String generation, int backend, String extraRegex) {
    List<HttpRouteIr> routes =
        new java.util.ArrayList<>(
            List.of(
                route("load")
                    .prefix("/load")
                    .to(dest("load-" + generation, "HTTP", backend))
                    .build()));
    if (extraRegex != null) {
      routes.add(
          route("bad").regex(extraRegex).to(dest("load-" + generation, "HTTP", backend)).build());
    }
    return new XdsIr(
        "default/eg",
        List.of(
            new HttpListenerIr(
                "default/eg/http", "127.0.0.1", port, 80, List.of("*"), null, routes, null)),
        List.of(),
        List.of(),
        List.of());
  }

  private void awaitPod(String pod) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Http.Response r = Http.get(port, "load.test", "/load");
      if (r.status() == 200 && r.body().contains("\"pod\" : \"" + pod + "\"")) {
        return;
      }
      Thread.sleep(50);
    }
    String log = envoy == null ? "" : envoy.logText();
    throw new AssertionError(
        "never served by " + pod + "\n" + log.substring(Math.max(0, log.length() - 4000)));
  }

  @AfterAll
  void stop() {
    if (envoy != null) {
      envoy.close();
    }
    if (xds != null) {
      xds.close();
    }
    if (echoA != null) {
      echoA.close();
    }
    if (echoB != null) {
      echoB.close();
    }
  }

  @Test
  @org.junit.jupiter.api.Order(1)
  void routeChangesUnderLoadSeeNoNon2xx() throws Exception {
    assertThat(connected.get()).isEqualTo(1);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    Map<Integer, AtomicInteger> bad = new ConcurrentHashMap<>();
    ExecutorService load = Executors.newFixedThreadPool(4);
    for (int i = 0; i < 4; i++) {
      load.execute(
          () -> {
            while (running.get()) {
              int s = Http.get(port, "load.test", "/load").status();
              if (s >= 200 && s < 300) {
                ok.incrementAndGet();
              } else {
                bad.computeIfAbsent(s, k -> new AtomicInteger()).incrementAndGet();
              }
            }
          });
    }
    try {
      Thread.sleep(300);
      String[] pods = {"echo-b", "echo-a", "echo-b", "echo-a"};
      for (int g = 0; g < pods.length; g++) {
        EchoServer target = pods[g].equals("echo-a") ? echoA : echoB;
        assertThat(xds.snapshots().update(ir("v" + (g + 1), target.port(), null))).isTrue();
        awaitPod(pods[g]);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!xds.snapshots().settled("default/eg") && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        Thread.sleep(200);
      }
    } finally {
      running.set(false);
      load.shutdown();
      assertThat(load.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(bad).as("non-2xx responses during route changes").isEmpty();
    assertThat(ok.get()).isGreaterThan(100);
  }

  @Test
  @org.junit.jupiter.api.Order(2)
  void rejectedResourceIsReportedAsNack() throws Exception {
    xds.snapshots().update(ir("nack", echoA.port(), "/bad/(unclosed"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (nacks.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(nacks).isNotEmpty();
    String nack = nacks.get(0);
    assertThat(nack).startsWith("default/eg|").contains("default/eg/e2e-delta");
    assertThat(nack).contains("missing )").contains("/bad/(unclosed");
    // Envoy keeps serving its last good configuration, and the xds-server does not remove the
    // clusters it needs, even after the step timeout (2s here) has passed.
    assertThat(Http.get(port, "load.test", "/load").status()).isEqualTo(200);
    Thread.sleep(3000);
    assertThat(xds.snapshots().settled("default/eg")).isFalse();
    assertThat(Http.get(port, "load.test", "/load").status()).isEqualTo(200);
  }
}
