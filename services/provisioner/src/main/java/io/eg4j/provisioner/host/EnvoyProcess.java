package io.eg4j.provisioner.host;

import io.eg4j.provisioner.core.HostProxySpec;
import io.eg4j.provisioner.core.RestartBackoff;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One supervised local Envoy: starts it, restarts it with backoff when it dies, reports the
 * listeners it binds, and stops it (and everything it started) on request.
 *
 * <p>Envoy runs under a small {@code sh} wrapper that watches its own standard input, a pipe from
 * this JVM. When the JVM dies for any reason, even {@code kill -9}, the pipe closes and the wrapper
 * terminates Envoy, so no proxy outlives its provisioner.
 */
final class EnvoyProcess {
  private static final Logger log = LoggerFactory.getLogger(EnvoyProcess.class);

  /**
   * Runs {@code "$@"} and kills it when stdin reaches EOF or the wrapper gets a signal. An
   * asynchronous list's stdin is /dev/null unless redirected explicitly, hence fd 3. The trap is
   * set before the child starts, so a signal that comes early is not lost: it is passed on as soon
   * as the child's pid is known.
   */
  static final String WRAPPER =
      "exec 3<&0\n"
          + "child=\n"
          + "trap 'term=1; [ -n \"$child\" ] && kill -TERM $child 2>/dev/null' TERM INT HUP\n"
          + "\"$@\" </dev/null &\n"
          + "child=$!\n"
          + "[ -n \"$term\" ] && kill -TERM $child 2>/dev/null\n"
          + "{ while read -r _ <&3; do :; done; kill -TERM $child 2>/dev/null; } &\n"
          + "watcher=$!\n"
          + "wait $child\n"
          + "status=$?\n"
          + "while kill -0 $child 2>/dev/null; do wait $child; status=$?; done\n"
          + "kill $watcher 2>/dev/null\n"
          + "exit $status\n";

  private static final long POLL_MILLIS = 500;

  private final HostProxySpec spec;
  private final Path workDir;
  private final Path envoy;
  private final HostProxyEvents events;
  private final RestartBackoff backoff;
  private final Thread thread;
  private final Object lock = new Object();
  private volatile boolean stopping;
  private volatile Process process;
  private volatile List<String> urls = List.of();

  EnvoyProcess(
      HostProxySpec spec,
      Path workDir,
      Path envoy,
      HostProxyEvents events,
      RestartBackoff backoff) {
    this.spec = spec;
    this.workDir = workDir;
    this.envoy = envoy;
    this.events = events;
    this.backoff = backoff;
    this.thread = new Thread(this::supervise, "envoy-" + spec.fileStem());
    this.thread.setDaemon(true);
  }

  HostProxySpec spec() {
    return spec;
  }

  int adminPort() {
    return spec.bootstrap().adminPort();
  }

  /** The loopback port of the stats listener ({@code /stats/prometheus}), or 0 for none. */
  int statsPort() {
    return spec.bootstrap().metrics() == null ? 0 : spec.bootstrap().metrics().statsPort();
  }

  /** The wrapper's pid, or -1 when no process runs. */
  long pid() {
    Process p = process;
    return p != null && p.isAlive() ? p.pid() : -1;
  }

  /** The wrapper and Envoy while they run. */
  List<ProcessHandle> processes() {
    Process p = process;
    List<ProcessHandle> out = new ArrayList<>();
    if (p != null && p.isAlive()) {
      out.add(p.toHandle());
      p.descendants().forEach(out::add);
    }
    return out;
  }

  /** The URLs of the listeners it binds now. */
  List<String> urls() {
    return urls;
  }

  Path logFile() {
    return workDir.resolve(spec.fileStem() + ".log");
  }

  void start() {
    thread.start();
  }

  private void supervise() {
    int failures = 0;
    while (!stopping) {
      long started = System.nanoTime();
      int code;
      try {
        code = runOnce();
      } catch (IOException e) {
        log.error("cannot start envoy for fleet {}: {}", spec.fleet(), e.getMessage());
        code = -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (stopping) {
        return;
      }
      failures = backoff.afterRun(failures, Duration.ofNanos(System.nanoTime() - started));
      long delay = backoff.delay(failures).toMillis();
      log.warn(
          "envoy for fleet {} exited with code {}; restarting in {} ms (log: {})",
          spec.fleet(),
          code,
          delay,
          logFile());
      setUrls(List.of());
      events.exited(spec.fleet(), code, delay);
      synchronized (lock) {
        long deadline = System.currentTimeMillis() + delay;
        long left;
        while (!stopping && (left = deadline - System.currentTimeMillis()) > 0) {
          try {
            lock.wait(left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  private int runOnce() throws IOException, InterruptedException {
    Files.createDirectories(workDir);
    Path bootstrap = workDir.resolve(spec.fileStem() + ".bootstrap.yaml");
    Path tmp = workDir.resolve(spec.fileStem() + ".bootstrap.yaml.tmp");
    Files.writeString(tmp, spec.bootstrapYaml());
    Files.move(tmp, bootstrap, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    List<String> cmd = new ArrayList<>(List.of("sh", "-c", WRAPPER, "eg4j-envoy-wrapper"));
    cmd.addAll(
        List.of(
            envoy.toString(),
            "-c",
            bootstrap.toString(),
            // Several proxies (and other tests' proxies) share this host: let Envoy pick an unused
            // base id for its shared-memory and hot-restart domain sockets.
            "--use-dynamic-base-id",
            "--base-id-path",
            workDir.resolve(spec.fileStem() + ".base-id").toString(),
            "--log-level",
            "info"));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
    Process p;
    synchronized (lock) {
      if (stopping) {
        return 0;
      }
      p = pb.start();
      process = p;
    }
    log.info(
        "started envoy for fleet {} (pid {}, admin 127.0.0.1:{}, log {})",
        spec.fleet(),
        p.pid(),
        adminPort(),
        logFile());
    events.started(spec.fleet(), p.pid(), adminPort());
    EnvoyAdmin admin = new EnvoyAdmin(adminPort());
    while (!p.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
      if (stopping) {
        continue;
      }
      List<String> now =
          admin.boundPorts().stream()
              .map(port -> spec.schemeFor(port) + "://127.0.0.1:" + port)
              .sorted()
              .toList();
      if (!now.equals(urls) && p.isAlive()) {
        setUrls(now);
        events.listening(spec.fleet(), now);
      }
    }
    return p.exitValue();
  }

  private void setUrls(List<String> now) {
    urls = now;
  }

  /** Stops Envoy and its wrapper and waits until both are gone. */
  void stop(Duration grace) {
    Process p;
    synchronized (lock) {
      stopping = true;
      p = process;
      lock.notifyAll();
    }
    if (p != null) {
      terminate(p, grace);
    }
    try {
      thread.join(grace.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    setUrls(List.of());
    log.info("stopped envoy for fleet {}", spec.fleet());
    events.stopped(spec.fleet());
  }

  /** Terminates a wrapper and everything under it: gently first, then forcibly. */
  static void terminate(Process p, Duration grace) {
    List<ProcessHandle> tree = p.descendants().toList();
    try {
      // The wrapper's watcher sees EOF and terminates Envoy; SIGTERM does the same via the trap.
      p.getOutputStream().close();
    } catch (IOException ignored) {
      // already closed
    }
    p.destroy();
    try {
      if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
      }
      for (ProcessHandle h : tree) {
        if (h.isAlive()) {
          h.destroy();
          if (!h.onExit()
              .toCompletableFuture()
              .completeOnTimeout(h, 2, TimeUnit.SECONDS)
              .join()
              .isAlive()) {
            continue;
          }
          h.destroyForcibly();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      tree.forEach(ProcessHandle::destroyForcibly);
    }
  }
}
