package io.eg4j.provisioner.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.HostProxyPlanner;
import io.eg4j.provisioner.core.RestartBackoff;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host mode against the real envoy binary: start, keep alive, restart, stop, no orphans. */
class HostEnvoyProvisionerE2E {
  @TempDir Path work;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private HostEnvoyProvisioner provisioner;
  private Path envoy;

  static Optional<Path> envoyOnPath() {
    Optional<Path> e = EnvoyBinary.resolve("envoy", System.getenv("PATH"));
    if (e.isEmpty() && "1".equals(System.getenv("EG4J_REQUIRE_ENVOY"))) {
      Assertions.fail(EnvoyBinary.INSTALL_HINT);
    }
    return e;
  }

  @BeforeEach
  void setUp() {
    Optional<Path> e = envoyOnPath();
    Assumptions.assumeTrue(e.isPresent(), EnvoyBinary.INSTALL_HINT);
    envoy = e.get();
    // No xds-server: Envoy still starts, serves its admin interface and keeps retrying ADS.
    HostProxyPlanner planner =
        new HostProxyPlanner(new HostProxyPlanner.Settings("127.0.0.1", 1, null, "test"));
    provisioner =
        new HostEnvoyProvisioner(
            planner,
            work,
            () -> Optional.of(envoy),
            new RestartBackoff(
                Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofMinutes(1)),
            meters);
    provisioner.addListener(
        new HostProxyEvents() {
          @Override
          public void started(String fleet, long pid, int adminPort) {
            events.add("started " + fleet);
          }

          @Override
          public void exited(String fleet, int exitCode, long restartInMillis) {
            events.add("exited " + fleet);
          }

          @Override
          public void stopped(String fleet) {
            events.add("stopped " + fleet);
          }
        });
  }

  @AfterEach
  void tearDown() {
    if (provisioner != null) {
      provisioner.close();
    }
  }

  static InfraIr fleet(String name) {
    return new InfraIr(
        name,
        "default",
        "default",
        "eg",
        List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 8888, 8888)),
        Map.of(),
        Map.of(),
        null);
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  static boolean adminAnswers(Path bootstrap) {
    try {
      String yaml = Files.readString(bootstrap);
      int idx = yaml.indexOf("admin:");
      String admin = yaml.substring(idx);
      int port =
          Integer.parseInt(admin.replaceAll("(?s).*?port_value: (\\d+).*", "$1").split("\n")[0]);
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/server_info"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && r.body().contains("default/eg");
    } catch (Exception e) {
      return false;
    }
  }

  private List<ProcessHandle> envoys() {
    return provisioner.processes().stream()
        .filter(h -> h.info().command().orElse("").contains("envoy"))
        .toList();
  }

  private double count(String result) {
    var c =
        meters.find("eg4j.provisioner.applies").tag("kind", "envoy-process").tag("result", result);
    return c.counter() == null ? 0 : c.counter().count();
  }

  @Test
  void runsRestartsAndStopsOneEnvoyPerFleet() throws Exception {
    provisioner.apply(fleet("default/eg"));
    Path bootstrap = work.resolve("default_2feg.bootstrap.yaml");
    await("envoy admin to answer", () -> adminAnswers(bootstrap));
    assertThat(Files.readString(bootstrap)).contains("cluster: default/eg");
    assertThat(work.resolve("default_2feg.log")).exists();
    long pid = provisioner.running().get("default/eg");

    // The same IR again changes nothing: no restart.
    provisioner.apply(fleet("default/eg"));
    assertThat(provisioner.running().get("default/eg")).isEqualTo(pid);
    assertThat(count("created")).isEqualTo(1);
    assertThat(count("unchanged")).isEqualTo(1);

    // Envoy dies: the supervisor starts it again after the backoff.
    List<ProcessHandle> before = envoys();
    assertThat(before).isNotEmpty();
    before.forEach(ProcessHandle::destroyForcibly);
    await(
        "a restarted envoy", () -> events.contains("exited default/eg") && adminAnswers(bootstrap));
    assertThat(envoys()).isNotEmpty().doesNotContainAnyElementsOf(before);

    // The fleet goes: its processes go with it.
    List<ProcessHandle> all = provisioner.processes();
    provisioner.remove("default/eg");
    assertThat(provisioner.running()).isEmpty();
    for (ProcessHandle h : all) {
      h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(h.isAlive()).as("process %d", h.pid()).isFalse();
    }
    assertThat(count("deleted")).isEqualTo(1);
    assertThat(events).contains("started default/eg", "stopped default/eg");
  }

  @Test
  void closeStopsEveryFleet() throws Exception {
    provisioner.apply(fleet("default/eg"));
    provisioner.apply(fleet("other"));
    await("two envoys", () -> envoys().size() == 2);
    List<ProcessHandle> all = provisioner.processes();
    provisioner.close();
    for (ProcessHandle h : all) {
      h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(h.isAlive()).isFalse();
    }
  }

  @Test
  void aMissingEnvoyIsReportedAndCounted() {
    HostEnvoyProvisioner none =
        new HostEnvoyProvisioner(
            new HostProxyPlanner(new HostProxyPlanner.Settings("127.0.0.1", 1, null, "t")),
            work,
            Optional::empty,
            RestartBackoff.DEFAULT,
            meters);
    none.apply(fleet("default/eg"));
    assertThat(none.running()).isEmpty();
    assertThat(count("failed")).isEqualTo(1);
    none.close();
  }
}
