package io.eg4j.xds.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds and runs the real {@code envoy} binary for E2E tests. When envoy is missing the test fails
 * if {@code EG4J_REQUIRE_ENVOY=1} (CI), and is aborted otherwise (a developer machine without
 * envoy).
 */
public final class EnvoyProcess implements AutoCloseable {
  private static final AtomicInteger BASE_ID =
      new AtomicInteger((int) (ProcessHandle.current().pid() % 1000) * 10 + 100);

  private final Process process;
  private final int adminPort;
  private final Path log;

  private EnvoyProcess(Process process, int adminPort, Path log) {
    this.process = process;
    this.adminPort = adminPort;
    this.log = log;
  }

  /** The envoy binary on PATH, or a failure/abort as described on the class. */
  public static Path requireEnvoy() {
    Optional<Path> found = findOnPath();
    if (found.isEmpty()) {
      if ("1".equals(System.getenv("EG4J_REQUIRE_ENVOY"))) {
        fail("envoy is not on PATH and EG4J_REQUIRE_ENVOY=1");
      }
      Assumptions.abort("envoy is not on PATH");
    }
    return found.get();
  }

  static Optional<Path> findOnPath() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, "envoy");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static final java.util.Random RANDOM = new java.util.Random();

  /**
   * A free TCP port, chosen below the kernel's ephemeral range (32768 up on Linux): a port the OS
   * hands out for {@code bind(0)} and that is then released may be reused as the source port of an
   * outgoing connection before Envoy binds it.
   */
  public static int freePort() {
    for (int i = 0; i < 100; i++) {
      int port = 10_000 + RANDOM.nextInt(22_000);
      try (ServerSocket s = new ServerSocket(port)) {
        s.setReuseAddress(true);
        return port;
      } catch (IOException e) {
        // taken: try another
      }
    }
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code envoy --mode validate} on a config; returns the exit code and output. */
  public static Result validate(Path config) throws IOException, InterruptedException {
    Path envoy = requireEnvoy();
    Process p =
        new ProcessBuilder(
                envoy.toString(),
                "--mode",
                "validate",
                "-c",
                config.toString(),
                "--log-level",
                "warn",
                "--base-id",
                String.valueOf(BASE_ID.incrementAndGet()))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, out);
    }
    return new Result(p.exitValue(), out);
  }

  /** The exit code and combined output of an envoy run. */
  public record Result(int exitCode, String output) {}

  /** Starts envoy with a bootstrap file, its own base id, and waits for the admin to answer. */
  public static EnvoyProcess start(Path config, int adminPort, Path workDir)
      throws IOException, InterruptedException {
    Path envoy = requireEnvoy();
    Path log = workDir.resolve("envoy-" + adminPort + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(envoy.toString());
    cmd.add("-c");
    cmd.add(config.toString());
    cmd.add("--base-id");
    cmd.add(String.valueOf(BASE_ID.incrementAndGet()));
    cmd.add("--log-level");
    cmd.add(System.getProperty("eg4j.envoy.log-level", "info"));
    cmd.add("--concurrency");
    cmd.add("2");
    cmd.add("--drain-time-s");
    cmd.add("1");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    EnvoyProcess ep = new EnvoyProcess(p, adminPort, log);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        fail("envoy exited with " + p.exitValue() + ":\n" + ep.logText());
      }
      if (ep.adminGet("/ready").status() > 0) {
        return ep;
      }
      Thread.sleep(100);
    }
    ep.close();
    fail("envoy admin did not answer within 30s:\n" + ep.logText());
    return ep;
  }

  /** Envoy's log so far. */
  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The admin port. */
  public int adminPort() {
    return adminPort;
  }

  /** GET on the admin interface; status 0 when it does not answer. */
  public Http.Response adminGet(String path) {
    try {
      HttpURLConnection c =
          (HttpURLConnection)
              URI.create("http://127.0.0.1:" + adminPort + path).toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(5000);
      int code = c.getResponseCode();
      byte[] body =
          (code < 400 ? c.getInputStream() : c.getErrorStream()) == null
              ? new byte[0]
              : (code < 400 ? c.getInputStream() : c.getErrorStream()).readAllBytes();
      return new Http.Response(code, new String(body, StandardCharsets.UTF_8), java.util.Map.of());
    } catch (IOException e) {
      return new Http.Response(0, e.toString(), java.util.Map.of());
    }
  }

  /** A counter or gauge from {@code /stats}, or -1 when absent. */
  public long stat(String name) {
    String body = adminGet("/stats?filter=^" + name.replace(".", "\\.") + "$").body();
    for (String line : body.split("\n")) {
      int colon = line.indexOf(": ");
      if (colon > 0 && line.substring(0, colon).equals(name)) {
        return Long.parseLong(line.substring(colon + 2).trim());
      }
    }
    return -1;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
