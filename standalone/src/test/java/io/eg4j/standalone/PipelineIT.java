package io.eg4j.standalone;

import static io.eg4j.standalone.StackTestSupport.await;
import static io.eg4j.standalone.StackTestSupport.statusFileMentions;
import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Topics;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import io.eg4j.xds.core.XdsSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
  private static final List<String> FILES =
      List.of("namespace.yaml", "gateway.yaml", "backend.yaml", "route.yaml");

  @TempDir static Path tmp;
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
      for (String f : FILES) {
        Files.copy(staging.resolve(f), manifests.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
      ads.await("listener, route, cluster and endpoints", WAIT, PipelineIT::servesTheQuickstart);
      await(
          "the HTTPRoute's status file",
          WAIT,
          () -> statusFileMentions(statusDir(), "HTTPRoute", "backend", "Accepted"));

      for (String f : FILES) {
        Files.delete(manifests.resolve(f));
      }
      // Deletions travel as tombstones: the Gateway's xDS IR and its fleet are gone from the bus.
      await(
          "tombstones for default/eg on eg4j.xds-ir and eg4j.infra-ir",
          WAIT,
          () ->
              TopicState.isTombstoned(stack.bootstrapServers(), Topics.XDS_IR, "default/eg")
                  && TopicState.isTombstoned(
                      stack.bootstrapServers(), Topics.INFRA_IR, "default/eg"));
      await(
          "the HTTPRoute's status to go",
          WAIT,
          () -> !statusFileMentions(statusDir(), "HTTPRoute", "backend", "Accepted"));
    }
    // The xds-server forgot the key. (Proxies still connected keep their last config by the
    // xds-server's design; in host mode the provisioner stops them on the infra-ir tombstone.)
    XdsSnapshots snapshots = stack.context("xds-server").getBean(XdsSnapshots.class);
    await(
        "the xds-server to drop default/eg",
        WAIT,
        () -> snapshots.desiredVersion("default/eg") == null);
  }

  @Test
  @Order(2)
  void restartedTranslatorAndXdsServerServeTheSameVersionWithoutAnEmptyPush() throws Exception {
    for (String f : FILES) {
      Files.copy(staging.resolve(f), manifests.resolve(f), StandardCopyOption.REPLACE_EXISTING);
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
