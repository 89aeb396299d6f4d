package io.eg4j.standalone.launcher;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * What the global rate limit E2Es share: a real {@code redis-server} on a free port of 127.0.0.1
 * (no persistence, its log in the test's directory), the envoyproxy/ratelimit binary {@code eg4j
 * run} would start ({@link RateLimitServiceProcess#binary}), and the service's health check.
 *
 * <p>A missing redis-server or service fails the test when {@code EG4J_REQUIRE_ENVOY=1} (CI) and
 * skips it otherwise.
 */
public final class RateLimitFixture implements AutoCloseable {
  private final Process redis;
  private final int port;

  private RateLimitFixture(Process redis, int port) {
    this.redis = redis;
    this.port = port;
  }

  /**
   * Starts redis-server on a free loopback port, its log {@code dir/redis.log}, and returns once it
   * accepts connections (at most 30 s).
   */
  public static RateLimitFixture startRedis(Path dir) throws IOException, InterruptedException {
    Path bin = require(onPath("redis-server"), "redis-server is not on PATH");
    int port = Ports.free();
    Process redis =
        new ProcessBuilder(
                bin.toString(),
                "--port",
                String.valueOf(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    RateLimitFixture fixture = new RateLimitFixture(redis, port);
    try {
      await("redis accepts connections", Duration.ofSeconds(30), () -> connects(port));
    } catch (RuntimeException | Error | InterruptedException e) {
      fixture.close();
      throw e;
    }
    return fixture;
  }

  /** Redis's port on 127.0.0.1. */
  public int redisPort() {
    return port;
  }

  /** The rate limit service's binary, built by tools/ratelimit/build.sh (or EG4J_RATELIMIT). */
  public static Path rateLimitBinary() {
    return require(RateLimitServiceProcess.binary(), "the rate limit service is not built");
  }

  /** Waits at most {@code limit} until the service's {@code /healthcheck} on 127.0.0.1 says 200. */
  public static void awaitHealthy(int httpPort, Duration limit) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    await("the rate limit service is healthy", limit, () -> healthy(http, httpPort));
  }

  /** Stops a process of the fixture's (redis, the rate limit service): at most 5 s, then kills. */
  public static void stop(Process p) {
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop(redis);
  }

  private static Path require(Optional<Path> p, String why) {
    if (p.isEmpty()) {
      if ("1".equals(System.getenv("EG4J_REQUIRE_ENVOY"))) {
        fail(
            why + " and EG4J_REQUIRE_ENVOY=1 (install redis-server; run tools/ratelimit/build.sh)");
      }
      Assumptions.abort(why);
    }
    return p.get();
  }

  private static Optional<Path> onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static boolean connects(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean healthy(HttpClient http, int port) {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthcheck"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Polls {@code done} every 200 ms; fails the test once {@code limit} has passed. */
  static void await(String what, Duration limit, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (done.getAsBoolean()) {
        return;
      }
      Thread.sleep(200);
    }
    fail("timed out waiting until " + what);
  }
}
