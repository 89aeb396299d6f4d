package io.eg4j.standalone.launcher;

import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.config.RateLimitTelemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The global rate limit service (envoyproxy/ratelimit) on this host, for the proxies standalone
 * mode runs: started when the EnvoyGateway configuration enables {@code rateLimit}, as Envoy
 * Gateway's Kubernetes infrastructure runs its {@code envoy-ratelimit} Deployment. It listens for
 * gRPC where the proxies' {@code ratelimit_cluster} points ({@link
 * EnvoyGatewayConfig#rateLimitService}, 127.0.0.1:8081 by default), counts in the Redis of {@code
 * rateLimit.backend.redis.url} (run by the user, as with Envoy Gateway), and reads the files the
 * xds-server keeps in {@link #configDir} (reloading when they change).
 *
 * <p>{@code rateLimit.telemetry} as Envoy Gateway applies it to its pods: unless {@code
 * metrics.prometheus.disable}, Prometheus metrics (through the same statsd-exporter mapping) on a
 * loopback port of their own; with {@code tracing.provider.url}, OpenTelemetry spans to that
 * collector.
 *
 * <p>The binary is {@code EG4J_RATELIMIT}, or the one {@code tools/ratelimit/build.sh} caches.
 */
final class RateLimitServiceProcess implements AutoCloseable {
  /** The version tools/ratelimit/build.sh pins (Envoy Gateway v1.9.0's). */
  static final String VERSION = "v1.4.1-0.20260122083618-3fb702589d36";

  private final Process process;

  private RateLimitServiceProcess(Process process) {
    this.process = process;
  }

  /** The runtime root under a data directory; the service reads {@code ratelimit/config}. */
  static Path runtimeRoot(Path dataRoot) {
    return dataRoot.resolve("ratelimit").resolve("runtime");
  }

  /** The directory of configuration files the xds-server writes. */
  static Path configDir(Path dataRoot) {
    return runtimeRoot(dataRoot).resolve("ratelimit").resolve("config");
  }

  /** The binary to run, if there is one. */
  static Optional<Path> binary() {
    String explicit = System.getenv("EG4J_RATELIMIT");
    if (explicit != null && !explicit.isEmpty()) {
      return Optional.of(Path.of(explicit)).filter(Files::isExecutable);
    }
    String cache = System.getenv("EG4J_CACHE");
    Path root =
        cache == null || cache.isEmpty()
            ? Path.of(System.getProperty("user.home"), ".cache", "eg4j")
            : Path.of(cache);
    return Optional.of(root.resolve("ratelimit").resolve(VERSION).resolve("ratelimit"))
        .filter(Files::isExecutable);
  }

  /**
   * The EnvoyGateway configuration the service runs for, with the telemetry its {@code
   * rateLimit.telemetry} asks of the service, read once.
   */
  record Settings(EnvoyGatewayConfig config, RateLimitTelemetry telemetry) {
    /**
     * Reads {@code rateLimit.telemetry} of {@code config}.
     *
     * @throws IllegalArgumentException naming the field Envoy Gateway would reject
     */
    static Settings of(EnvoyGatewayConfig config) {
      return new Settings(config, RateLimitTelemetry.from(config.raw().path("rateLimit")));
    }
  }

  /**
   * Starts the service for {@code settings} (whose {@code rateLimit} is set), its log in {@code
   * logs}, its Prometheus metrics (when on) at {@code http://127.0.0.1:<metricsPort>/metrics}. With
   * {@code certs} (the directory {@code eg4j certgen} wrote) the service serves gRPC over TLS with
   * {@code server.crt}/{@code server.key} and asks every client for a certificate signed by {@code
   * ca.crt}, as Envoy Gateway runs it: the proxies present theirs ({@code client.crt}).
   */
  static RateLimitServiceProcess start(
      Path binary,
      Settings settings,
      Path dataRoot,
      Path logs,
      int httpPort,
      int debugPort,
      int metricsPort,
      Path certs)
      throws IOException {
    EnvoyGatewayConfig config = settings.config();
    RateLimitTelemetry telemetry = settings.telemetry();
    String address = config.rateLimitService();
    int colon = address.lastIndexOf(':');
    Files.createDirectories(configDir(dataRoot));
    Files.createDirectories(logs);
    ProcessBuilder pb =
        new ProcessBuilder(binary.toString())
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(logs.resolve("ratelimit.log").toFile()));
    String redis = config.rateLimit().redisUrl();
    pb.environment()
        .putAll(
            Map.ofEntries(
                Map.entry("USE_STATSD", "false"),
                Map.entry("LOG_LEVEL", "info"),
                Map.entry("REDIS_SOCKET_TYPE", "tcp"),
                Map.entry("REDIS_URL", redis == null || redis.isEmpty() ? "127.0.0.1:6379" : redis),
                Map.entry("RUNTIME_ROOT", runtimeRoot(dataRoot).toString()),
                Map.entry("RUNTIME_SUBDIRECTORY", "ratelimit"),
                Map.entry("RUNTIME_WATCH_ROOT", "false"),
                Map.entry("RUNTIME_IGNOREDOTFILES", "true"),
                Map.entry("GRPC_HOST", address.substring(0, colon)),
                Map.entry("GRPC_PORT", address.substring(colon + 1)),
                Map.entry("HOST", "127.0.0.1"),
                Map.entry("PORT", String.valueOf(httpPort)),
                Map.entry("DEBUG_HOST", "127.0.0.1"),
                Map.entry("DEBUG_PORT", String.valueOf(debugPort))));
    if (certs != null) {
      pb.environment()
          .putAll(
              Map.of(
                  "GRPC_SERVER_USE_TLS", "true",
                  "GRPC_SERVER_TLS_CERT", certs.resolve("server.crt").toString(),
                  "GRPC_SERVER_TLS_KEY", certs.resolve("server.key").toString(),
                  "GRPC_CLIENT_TLS_CACERT", certs.resolve("ca.crt").toString()));
    }
    if (telemetry.prometheus()) {
      Path mapping = dataRoot.resolve("ratelimit").resolve("prometheus-mapping.yaml");
      Files.writeString(mapping, RateLimitTelemetry.prometheusMapping());
      pb.environment()
          .putAll(
              Map.of(
                  "USE_PROMETHEUS",
                  "true",
                  "PROMETHEUS_ADDR",
                  "127.0.0.1:" + metricsPort,
                  "PROMETHEUS_MAPPER_YAML",
                  mapping.toString()));
    }
    if (telemetry.tracing()) {
      pb.environment()
          .putAll(
              Map.of(
                  "TRACING_ENABLED", "true",
                  "TRACING_SERVICE_NAME", "envoy-ratelimit",
                  "TRACING_SERVICE_NAMESPACE", config.controllerNamespace(),
                  "TRACING_SAMPLING_RATE", telemetry.samplingFraction(),
                  "OTEL_EXPORTER_OTLP_ENDPOINT", telemetry.tracingEndpoint()));
    }
    return new RateLimitServiceProcess(pb.start());
  }

  boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
