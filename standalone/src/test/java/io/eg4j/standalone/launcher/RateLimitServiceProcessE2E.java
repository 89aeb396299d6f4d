package io.eg4j.standalone.launcher;

import static io.eg4j.standalone.launcher.RateLimitFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local global rate limit service that {@code eg4j run} starts, with {@code
 * rateLimit.telemetry} applied: the real envoyproxy/ratelimit binary ({@code
 * tools/ratelimit/build.sh}) against a real {@code redis-server}, on 127.0.0.1. With Prometheus on
 * (the default) a rate limit decision shows up on the loopback metrics port under the mapped metric
 * names, labelled by domain and descriptor; with it disabled nothing listens there. With tracing,
 * the decision's span reaches the OTLP collector. A telemetry setting Envoy Gateway rejects starts
 * nothing.
 *
 * <p>Needs redis-server and the built service: a failure when one is missing and {@code
 * EG4J_REQUIRE_ENVOY=1} (CI), skipped otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitServiceProcessE2E {
  @TempDir static Path dir;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private RateLimitFixture redis;
  private Path binary;

  @BeforeAll
  void redis() throws Exception {
    binary = RateLimitFixture.rateLimitBinary();
    redis = RateLimitFixture.startRedis(dir);
  }

  @AfterAll
  void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  /** The configuration, its telemetry read as {@code eg4j run} reads it before it starts. */
  private RateLimitServiceProcess.Settings config(int grpcPort, String telemetry)
      throws IOException {
    return RateLimitServiceProcess.Settings.of(
        EnvoyGatewayConfig.from(
            Json.YAML.readTree(
                """
            rateLimit:
              backend: {type: Redis, redis: {url: '127.0.0.1:%d'}}
              %s
            x-eg4j:
              rateLimitService: '127.0.0.1:%d'
            """
                    .formatted(redis.redisPort(), telemetry, grpcPort))));
  }

  /** The domain {@code name} (one user may make two decisions a minute) in the service's files. */
  private static void domain(Path dataRoot, String name) throws IOException {
    Path files = RateLimitServiceProcess.configDir(dataRoot);
    Files.createDirectories(files);
    Files.writeString(
        files.resolve(name + ".yaml"),
        """
        domain: %s
        descriptors:
        - key: user
          value: alice
          rate_limit: {unit: minute, requests_per_unit: 2}
        """
            .formatted(name));
  }

  @Test
  void servesPrometheusMetricsOnTheLoopbackPort() throws Exception {
    Path root = dir.resolve("on");
    domain(root, "metrics-test");
    int httpPort = Ports.free();
    int metricsPort = Ports.free();
    try (RateLimitServiceProcess rl =
        RateLimitServiceProcess.start(
            binary,
            config(Ports.free(), ""),
            root,
            root.resolve("logs"),
            httpPort,
            Ports.free(),
            metricsPort,
            null)) {
      RateLimitFixture.awaitHealthy(httpPort, Duration.ofSeconds(20));
      // Three decisions on the same descriptor: two within the limit, one over it.
      for (int i = 0; i < 3; i++) {
        assertThat(decide(httpPort, "metrics-test")).contains(i < 2 ? "\"OK\"" : "OVER_LIMIT");
      }
      // The service flushes its statistics to the exporter every few seconds.
      String hits =
          "ratelimit_service_rate_limit_total_hits{domain=\"metrics-test\",key1=\"user_alice\"} 3";
      String over =
          "ratelimit_service_rate_limit_over_limit{domain=\"metrics-test\",key1=\"user_alice\"} 1";
      await(
          "the metrics show the decisions",
          Duration.ofSeconds(45),
          () -> {
            try {
              String m = metrics(metricsPort);
              return m.contains(hits) && m.contains(over);
            } catch (IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return false;
            }
          });
      assertThat(metrics(metricsPort)).contains("ratelimit_service_config_load_success 1");
      assertThat(rl.alive()).isTrue();
    }
    assertThat(Files.readString(root.resolve("ratelimit").resolve("prometheus-mapping.yaml")))
        .contains("ratelimit_service_rate_limit_");
  }

  /**
   * With {@code tracing.provider.url} (no scheme: http is added) the service sends its spans, as
   * OTLP over HTTP, to that collector: here a recorder on 127.0.0.1.
   */
  @Test
  void sendsSpansToTheCollector() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext(
        "/",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          bodies.add(
              ex.getRequestURI().getPath() + " " + new String(body, StandardCharsets.ISO_8859_1));
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    collector.start();
    Path root = dir.resolve("traced");
    domain(root, "tracing-test");
    int httpPort = Ports.free();
    try (RateLimitServiceProcess rl =
        RateLimitServiceProcess.start(
            binary,
            config(
                Ports.free(),
                "telemetry: {metrics: {prometheus: {disable: true}}, tracing: {samplingRate: 100,"
                    + " provider: {type: OpenTelemetry, url: '127.0.0.1:"
                    + collector.getAddress().getPort()
                    + "'}}}"),
            root,
            root.resolve("logs"),
            httpPort,
            Ports.free(),
            Ports.free(),
            null)) {
      RateLimitFixture.awaitHealthy(httpPort, Duration.ofSeconds(20));
      decide(httpPort, "tracing-test");
      // The span exporter sends in batches, every few seconds.
      await(
          "the collector receives the decision's span",
          Duration.ofSeconds(30),
          () ->
              bodies.stream()
                  .anyMatch(
                      b ->
                          b.startsWith("/v1/traces ")
                              && b.contains("envoy-ratelimit")
                              && b.contains("ShouldRateLimit")));
      assertThat(rl.alive()).isTrue();
    } finally {
      collector.stop(0);
    }
  }

  @Test
  void disabledPrometheusListensNowhere() throws Exception {
    Path root = dir.resolve("off");
    domain(root, "off-test");
    int httpPort = Ports.free();
    int metricsPort = Ports.free();
    try (RateLimitServiceProcess rl =
        RateLimitServiceProcess.start(
            binary,
            config(Ports.free(), "telemetry: {metrics: {prometheus: {disable: true}}}"),
            root,
            root.resolve("logs"),
            httpPort,
            Ports.free(),
            metricsPort,
            null)) {
      RateLimitFixture.awaitHealthy(httpPort, Duration.ofSeconds(20));
      assertThatThrownBy(() -> metrics(metricsPort)).isInstanceOf(ConnectException.class);
      assertThat(rl.alive()).isTrue();
    }
    assertThat(root.resolve("ratelimit").resolve("prometheus-mapping.yaml")).doesNotExist();
  }

  @Test
  void rejectedTelemetryStartsNothing() throws Exception {
    Path root = dir.resolve("bad");
    int httpPort = Ports.free();
    assertThatThrownBy(
            () ->
                RateLimitServiceProcess.start(
                    binary,
                    config(Ports.free(), "telemetry: {metrics: {statsd: {address: 'a:9125'}}}"),
                    root,
                    root.resolve("logs"),
                    httpPort,
                    Ports.free(),
                    Ports.free(),
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rateLimit.telemetry.metrics.statsd");
    assertThat(root.resolve("logs").resolve("ratelimit.log")).doesNotExist();
  }

  /** One decision on the test domain's descriptor, through the service's HTTP JSON API. */
  private String decide(int httpPort, String domain) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/json"))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"domain\":\""
                            + domain
                            + "\",\"descriptors\":"
                            + "[{\"entries\":[{\"key\":\"user\",\"value\":\"alice\"}]}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private String metrics(int port) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }
}
