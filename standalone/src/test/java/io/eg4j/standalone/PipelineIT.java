package io.eg4j.standalone;

import static io.eg4j.standalone.StackTestSupport.await;
import static io.eg4j.standalone.StackTestSupport.statusFileMentions;
import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.standalone.launcher.Ports;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline on the real stack (broker, five services, no Envoy): a YAML file dropped
 * into the watched directory becomes xDS served to a real gRPC ADS client and a status written by
 * the status-writer; deleting it removes both through tombstones; restarting the translator and the
 * xds-server rebuilds the same config, with the same version, from the compacted topics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;
  private Path manifests;
  private Path staging;
  private Standalone stack;
  private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

  @BeforeAll
  void start() throws Exception {
    manifests = Files.createDirectories(tmp.resolve("manifests"));
    staging = tmp.resolve("staging");
    StackTestSupport.writeQuickstart(staging, Ports.free(), Ports.free());
    stack =
        Standalone.start(
            StandaloneOptions.forTest(
                    manifests,
                    tmp.resolve("data"),
                    new PrintStream(progress, true, StandardCharsets.UTF_8))
                // This test talks ADS itself: no proxies.
                .withProperties(Map.of("eg4j.provisioner.envoy-binary", "/nonexistent/envoy")));
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  private Path certs() {
    return stack.xdsTls() ? stack.dataDir().certs() : null;
  }

  private Path statusDir() {
    return stack.dataDir().status();
  }

  private static boolean servesTheQuickstart(AdsTestClient c) {
    return c.count(AdsTestClient.LDS) > 0
        && c.count(AdsTestClient.RDS) > 0
        && c.count(AdsTestClient.CDS) > 0
        && c.count(AdsTestClient.EDS) > 0;
  }

  @Test
  @Order(1)
  void aDroppedFileIsServedAndItsStatusWrittenAndDeletingRemovesBoth() throws Exception {
    try (AdsTestClient ads =
        new AdsTestClient("127.0.0.1", stack.xdsPort(), "default/eg", certs())) {
      ads.connect();
      for (String f : List.of("gateway.yaml", "backend.yaml", "route.yaml")) {
        Files.copy(staging.resolve(f), manifests.resolve(f));
      }
      ads.await("listener, route, cluster and endpoints", WAIT, PipelineIT::servesTheQuickstart);
      await(
          "the HTTPRoute's status file",
          WAIT,
          () -> statusFileMentions(statusDir(), "HTTPRoute", "backend", "Accepted"));

      for (String f : List.of("route.yaml", "backend.yaml", "gateway.yaml")) {
        Files.delete(manifests.resolve(f));
      }
      ads.await("the listener to go", WAIT, c -> c.count(AdsTestClient.LDS) == 0);
      await(
          "the HTTPRoute's status to go",
          WAIT,
          () -> !statusFileMentions(statusDir(), "HTTPRoute", "backend", "Accepted"));
    }
  }

  @Test
  @Order(2)
  void restartedTranslatorAndXdsServerServeTheSameVersionWithoutAnEmptyPush() throws Exception {
    for (String f : List.of("gateway.yaml", "backend.yaml", "route.yaml")) {
      Files.copy(staging.resolve(f), manifests.resolve(f));
    }
    try (AdsTestClient ads =
        new AdsTestClient("127.0.0.1", stack.xdsPort(), "default/eg", certs())) {
      ads.connect();
      ads.await("the quickstart config", WAIT, PipelineIT::servesTheQuickstart);
      String listenerVersion = ads.version(AdsTestClient.LDS);
      String clusterVersion = ads.version(AdsTestClient.CDS);
      int before = ads.history().size();

      stack.stopService("xds-server");
      stack.stopService("translator");
      stack.startService("translator");
      stack.startService("xds-server");

      // The client reconnects to the new xds-server on its own (AdsTestClient.await).
      ads.await(
          "the same config from the restarted xds-server",
          WAIT,
          c ->
              c.history().size() > before
                  && servesTheQuickstart(c)
                  && listenerVersion.equals(c.version(AdsTestClient.LDS)));
      assertThat(ads.version(AdsTestClient.CDS)).isEqualTo(clusterVersion);
      // Invariant 1: a replica that starts empty never pushes an empty config over a good one.
      assertThat(ads.history().subList(before, ads.history().size()))
          .allSatisfy(seen -> assertThat(seen.resources()).as(seen.toString()).isPositive());
    }
  }
}
