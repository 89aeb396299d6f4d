package io.eg4j.xds.e2e;

import static io.eg4j.xds.testing.Ir.dest;
import static io.eg4j.xds.testing.Ir.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.core.XdsEvents;
import io.eg4j.xds.core.XdsResources;
import io.eg4j.xds.core.XdsTranslator;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import io.eg4j.xds.testing.XdsTestServer;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A cluster that changes while its endpoints stay the same (a circuit breaker threshold, say) must
 * reach the real envoy at once on both ADS flavours. Envoy warms the changed cluster until it is
 * sent the cluster's ClusterLoadAssignment again; on delta ADS a server that only sends what
 * changed would leave it warming until Envoy's EDS fetch times out (15 s).
 */
class XdsClusterChangeE2E {
  private static final String KEY = "default/eg";

  @TempDir Path dir;

  @ParameterizedTest(name = "delta={0}")
  @ValueSource(booleans = {true, false})
  void changedClusterWithSameEndpointsIsServedAtOnce(boolean delta) throws Exception {
    EnvoyProcess.requireEnvoy();
    int port = EnvoyProcess.freePort();
    try (EchoServer echo = EchoServer.start(0, "echo-a", "default");
        XdsTestServer xds = XdsTestServer.start(dir.resolve("certs"), new XdsEvents() {}, true)) {
      XdsResources base = new XdsTranslator().translate(ir(port, echo.port()));
      String cluster = loadCluster(base).getName();
      assertThat(xds.snapshots().update(KEY, base)).isTrue();
      try (EnvoyProcess envoy = startEnvoy(xds, delta)) {
        awaitOk(envoy, port);
        // Change only the cluster, three times: each time the ClusterLoadAssignment is the same.
        for (int limit : new int[] {1234, 2345, 3456}) {
          long start = System.nanoTime();
          assertThat(xds.snapshots().update(KEY, withMaxConnections(base, cluster, limit)))
              .isTrue();
          long deadline = start + TimeUnit.SECONDS.toNanos(20);
          while (!activeWithLimit(envoy, limit) && System.nanoTime() < deadline) {
            Thread.sleep(20);
          }
          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          assertThat(activeWithLimit(envoy, limit))
              .as("cluster with max_connections %d active", limit)
              .isTrue();
          // Envoy's EDS fetch timeout is 15 s; a cluster left warming is only served after it.
          assertThat(ms)
              .as("ms until the changed cluster is active (delta=%s)", delta)
              .isLessThan(3000);
          assertThat(envoy.adminGet("/config_dump?resource=dynamic_warming_clusters").body())
              .doesNotContain(cluster);
          assertThat(Http.get(port, "load.test", "/load").status()).isEqualTo(200);
        }
      }
    }
  }

  private static XdsIr ir(int port, int backend) {
    return new XdsIr(
        KEY,
        List.of(
            new HttpListenerIr(
                KEY + "/http",
                "127.0.0.1",
                port,
                80,
                List.of("*"),
                null,
                List.of(route("load").prefix("/load").to(dest("load", "HTTP", backend)).build()),
                null)),
        List.of(),
        List.of(),
        List.of());
  }

  private static Cluster loadCluster(XdsResources r) {
    return r.clusters().stream()
        .filter(c -> c.getName().startsWith("load"))
        .findFirst()
        .orElseThrow();
  }

  /** The resources with one cluster's max_connections set; every other resource unchanged. */
  private static XdsResources withMaxConnections(XdsResources r, String cluster, int limit) {
    List<Cluster> clusters =
        r.clusters().stream()
            .map(
                c ->
                    !c.getName().equals(cluster)
                        ? c
                        : c.toBuilder()
                            .setCircuitBreakers(
                                CircuitBreakers.newBuilder()
                                    .addThresholds(
                                        CircuitBreakers.Thresholds.newBuilder()
                                            .setMaxConnections(
                                                com.google.protobuf.UInt32Value.of(limit))))
                            .build())
            .toList();
    return new XdsResources(r.listeners(), r.routes(), clusters, r.endpoints(), r.secrets());
  }

  private static boolean activeWithLimit(EnvoyProcess envoy, int limit) {
    return envoy
        .adminGet("/config_dump?resource=dynamic_active_clusters")
        .body()
        .contains("\"max_connections\": " + limit);
  }

  private EnvoyProcess startEnvoy(XdsTestServer xds, boolean delta) throws Exception {
    int admin = EnvoyProcess.freePort();
    Path certs = xds.certs();
    EnvoyBootstrapSpec spec =
        EnvoyBootstrapSpec.of("default/eg/e2e-cluster-change", KEY, "127.0.0.1", xds.port(), admin)
            .withDelta(delta)
            .withTls(
                new EnvoyBootstrapSpec.XdsTls(
                    certs.resolve(CertGen.CLIENT_CERT).toString(),
                    certs.resolve(CertGen.CLIENT_KEY).toString(),
                    certs.resolve(CertGen.CA_CERT).toString(),
                    "127.0.0.1"));
    Path bootstrap = dir.resolve("bootstrap.yaml");
    Files.writeString(bootstrap, EnvoyBootstrap.render(spec));
    return EnvoyProcess.start(bootstrap, admin, dir);
  }

  private static void awaitOk(EnvoyProcess envoy, int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (Http.get(port, "load.test", "/load").status() == 200) {
        return;
      }
      Thread.sleep(50);
    }
    String log = envoy.logText();
    throw new AssertionError("never served\n" + log.substring(Math.max(0, log.length() - 4000)));
  }
}
