package io.eg4j.provisioner.host;

import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.FleetSink;
import io.eg4j.provisioner.core.HostProxyPlanner;
import io.eg4j.provisioner.core.HostProxySpec;
import io.eg4j.provisioner.core.RestartBackoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host mode: keeps one local Envoy process per fleet in line with {@code eg4j.infra-ir}. A new
 * fleet starts a process, a changed bootstrap restarts it, a tombstone stops it, and closing the
 * provisioner stops every process it started.
 */
public final class HostEnvoyProvisioner implements FleetSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HostEnvoyProvisioner.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final String KIND = "envoy-process";

  private final HostProxyPlanner planner;
  private final Path workDir;
  private final Supplier<Optional<Path>> envoy;
  private final RestartBackoff backoff;
  private final MeterRegistry registry;
  private final Map<String, EnvoyProcess> fleets = new TreeMap<>();
  private final List<HostProxyEvents> listeners = new CopyOnWriteArrayList<>();
  private final HostProxyEvents fanOut = new FanOut();
  private boolean closed;
  private boolean warnedMissingEnvoy;

  /**
   * A host-mode provisioner.
   *
   * @param planner computes each fleet's process
   * @param workDir where bootstraps and logs go
   * @param envoy finds the envoy binary (asked on each new process, so installing Envoy later works
   *     without a restart)
   * @param backoff restart delays
   * @param registry where the {@code eg4j.provisioner.applies} counter lives
   */
  public HostEnvoyProvisioner(
      HostProxyPlanner planner,
      Path workDir,
      Supplier<Optional<Path>> envoy,
      RestartBackoff backoff,
      MeterRegistry registry) {
    this.planner = planner;
    this.workDir = workDir.toAbsolutePath();
    this.envoy = envoy;
    this.backoff = backoff;
    this.registry = registry;
  }

  /**
   * Subscribes to proxy events. The listener is told at once about listeners already bound, so a
   * late subscriber misses nothing.
   */
  public void addListener(HostProxyEvents listener) {
    listeners.add(listener);
    List<EnvoyProcess> now;
    synchronized (this) {
      now = new ArrayList<>(fleets.values());
    }
    for (EnvoyProcess p : now) {
      if (!p.urls().isEmpty()) {
        listener.listening(p.spec().fleet(), p.urls());
      }
    }
  }

  @Override
  public synchronized void apply(InfraIr ir) {
    if (closed) {
      return;
    }
    EnvoyProcess current = fleets.get(ir.name());
    int adminPort = current != null ? current.adminPort() : freeLoopbackPort();
    // The stats listener keeps its port across restarts too, so scrapers keep finding it.
    int statsPort =
        current != null && current.statsPort() > 0 ? current.statsPort() : freeLoopbackPort();
    HostProxySpec desired = planner.plan(ir, adminPort, statsPort);
    if (current != null && !current.spec().needsRestartFor(desired)) {
      // Listeners, routes and clusters reach the running Envoy over xDS: nothing to do here.
      count("unchanged");
      return;
    }
    Optional<Path> binary = envoy.get();
    if (binary.isEmpty()) {
      if (!warnedMissingEnvoy) {
        log.error("cannot run a proxy for fleet {}: {}", ir.name(), EnvoyBinary.INSTALL_HINT);
        warnedMissingEnvoy = true;
      }
      count("failed");
      return;
    }
    warnedMissingEnvoy = false;
    if (current != null) {
      current.stop(STOP_GRACE);
    }
    EnvoyProcess next = new EnvoyProcess(desired, workDir, binary.get(), fanOut, backoff);
    fleets.put(ir.name(), next);
    next.start();
    count(current == null ? "created" : "updated");
  }

  @Override
  public synchronized void remove(String fleet) {
    EnvoyProcess current = fleets.remove(fleet);
    if (current != null) {
      current.stop(STOP_GRACE);
      count("deleted");
    }
  }

  /** Fleet name to envoy wrapper pid, for the processes running now. */
  public synchronized Map<String, Long> running() {
    Map<String, Long> out = new TreeMap<>();
    fleets.forEach((k, v) -> out.put(k, v.pid()));
    return out;
  }

  /** Every process (wrappers and envoys) this provisioner runs now. */
  public synchronized List<ProcessHandle> processes() {
    List<ProcessHandle> out = new ArrayList<>();
    fleets.values().forEach(p -> out.addAll(p.processes()));
    return out;
  }

  /** The log file of a fleet's proxy. */
  public Path logFile(String fleet) {
    return workDir.resolve(HostProxyPlanner.fileStem(fleet) + ".log");
  }

  @Override
  public synchronized void close() {
    closed = true;
    for (EnvoyProcess p : fleets.values()) {
      p.stop(STOP_GRACE);
    }
    fleets.clear();
  }

  private void count(String result) {
    Counter.builder("eg4j.provisioner.applies")
        .description("Fleet changes applied by the provisioner")
        .tag("kind", KIND)
        .tag("result", result)
        .register(registry)
        .increment();
  }

  private static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  private final class FanOut implements HostProxyEvents {
    @Override
    public void listening(String fleet, List<String> urls) {
      listeners.forEach(l -> safely(() -> l.listening(fleet, urls)));
    }

    @Override
    public void started(String fleet, long pid, int adminPort) {
      listeners.forEach(l -> safely(() -> l.started(fleet, pid, adminPort)));
    }

    @Override
    public void exited(String fleet, int exitCode, long restartInMillis) {
      listeners.forEach(l -> safely(() -> l.exited(fleet, exitCode, restartInMillis)));
    }

    @Override
    public void stopped(String fleet) {
      listeners.forEach(l -> safely(() -> l.stopped(fleet)));
    }

    private void safely(Runnable r) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.warn("proxy event listener failed", e);
      }
    }
  }
}
