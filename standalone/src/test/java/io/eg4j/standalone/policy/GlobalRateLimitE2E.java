package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.model.ir.traffic.RateLimitServiceConfigs;
import io.eg4j.standalone.launcher.RateLimitFixture;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy global rate limits through the real envoy, the real rate limit service
 * (envoyproxy/ratelimit, built by {@code tools/ratelimit/build.sh}) and a real {@code
 * redis-server}, all on 127.0.0.1: each value of the {@code x-user} header may send 3 requests a
 * minute; the 4th gets 429, another value still passes, and a route without the policy is not
 * limited. The service reads the configuration eg4j generates for the translated IR ({@link
 * RateLimitServiceConfigs}).
 *
 * <p>Needs envoy, redis-server and the built service: a failure when one is missing and {@code
 * EG4J_REQUIRE_ENVOY=1} (CI), skipped otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GlobalRateLimitE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  RateLimitFixture redis;
  Process ratelimit;
  TranslateResult translated;
  int grpcPort;
  Path certs;

  @BeforeAll
  void start() throws Exception {
    Path rlBin = RateLimitFixture.rateLimitBinary();
    redis = RateLimitFixture.startRedis(dir);
    int redisPort = redis.redisPort();
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");

    grpcPort = EnvoyProcess.freePort();
    Map<String, String> tlsEnv = Map.of();
    io.eg4j.translator.core.ProxyClientTls proxyTls = null;
    if (tls()) {
      // A CA, the service's certificate (for 127.0.0.1) and the proxy's client certificate, as
      // eg4j run makes them; the service requires a client certificate signed by the CA.
      certs = dir.resolve("certs");
      CertGen.generate(List.of(), Duration.ofDays(1)).writeTo(certs);
      tlsEnv =
          Map.of(
              "GRPC_SERVER_USE_TLS", "true",
              "GRPC_SERVER_TLS_CERT", certs.resolve(CertGen.SERVER_CERT).toString(),
              "GRPC_SERVER_TLS_KEY", certs.resolve(CertGen.SERVER_KEY).toString(),
              "GRPC_CLIENT_TLS_CACERT", certs.resolve(CertGen.CA_CERT).toString());
      // The proxy's certificate reaches Envoy over SDS (<controller-namespace>/envoy).
      proxyTls =
          new io.eg4j.translator.core.ProxyClientTls(
              Files.readString(certs.resolve(CertGen.CLIENT_CERT)),
              Files.readString(certs.resolve(CertGen.CLIENT_KEY)),
              certs.resolve(CertGen.CA_CERT).toString());
    }
    EnvoyGatewayConfig config =
        EnvoyGatewayConfig.from(
            Json.YAML.readTree(
                """
                provider: {type: Custom, custom: {infrastructure: {type: Host}}}
                rateLimit:
                  # Envoy's default wait for the service is 20 ms, which a loaded CI machine
                  # misses (the request would then pass uncounted).
                  timeout: 2s
                  failClosed: true
                  backend: {type: Redis, redis: {url: '127.0.0.1:%d'}}
                x-eg4j:
                  rateLimitService: '127.0.0.1:%d'
                """
                    .formatted(redisPort, grpcPort)));
    translated =
        stack.apply(
            stack.gateway()
                + "---\n"
                + PolicyStack.service("echo", echo.port())
                + PolicyStack.route("limited", "echo")
                + PolicyStack.route("free", "echo")
                + PolicyStack.route("selected", "echo")
                + """
                ---
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: BackendTrafficPolicy
                metadata: {namespace: default, name: global}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: limited}]
                  rateLimit:
                    type: Global
                    global:
                      rules:
                      - clientSelectors:
                        - headers: [{name: x-user, type: Distinct}]
                        limit: {requests: 3, unit: Minute}
                ---
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: BackendTrafficPolicy
                metadata: {namespace: default, name: selectors}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: selected}]
                  rateLimit:
                    global:
                      rules:
                      # Only requests with ?tier=free.
                      - clientSelectors: [{queryParams: [{name: tier, value: free}]}]
                        limit: {requests: 2, unit: Minute}
                      # One counter per value of ?key; requests without it are not counted.
                      - clientSelectors: [{queryParams: [{name: key, type: Distinct}]}]
                        limit: {requests: 1, unit: Minute}
                      # Clients outside 127.0.0.0/8: the test's own client is exempt.
                      - clientSelectors: [{sourceCIDR: {value: 127.0.0.0/8, invert: true}}]
                        limit: {requests: 1, unit: Minute}
                      # Clients outside 10.0.0.0/8 sending x-outside: the test's client is one.
                      - clientSelectors:
                        - sourceCIDR: {value: 10.0.0.0/8, invert: true}
                          headers: [{name: x-outside, value: "yes"}]
                        limit: {requests: 2, unit: Minute}
                """,
            config,
            proxyTls);

    // The service's configuration, as eg4j generates it for this IR.
    Path configDir = dir.resolve("runtime/ratelimit/config");
    Files.createDirectories(configDir);
    Map<String, String> docs = RateLimitServiceConfigs.of(translated.xdsIr().values());
    assertThat(docs).isNotEmpty();
    for (Map.Entry<String, String> e : docs.entrySet()) {
      Files.writeString(
          configDir.resolve(RateLimitServiceConfigs.fileName(e.getKey())), e.getValue());
    }
    int httpPort = EnvoyProcess.freePort();
    ProcessBuilder rl =
        new ProcessBuilder(rlBin.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("ratelimit.log").toFile());
    rl.environment()
        .putAll(
            Map.ofEntries(
                Map.entry("USE_STATSD", "false"),
                Map.entry("LOG_LEVEL", "debug"),
                Map.entry("REDIS_SOCKET_TYPE", "tcp"),
                Map.entry("REDIS_URL", "127.0.0.1:" + redisPort),
                Map.entry("RUNTIME_ROOT", dir.resolve("runtime").toString()),
                Map.entry("RUNTIME_SUBDIRECTORY", "ratelimit"),
                Map.entry("RUNTIME_WATCH_ROOT", "false"),
                Map.entry("RUNTIME_IGNOREDOTFILES", "true"),
                Map.entry("HOST", "127.0.0.1"),
                Map.entry("PORT", String.valueOf(httpPort)),
                Map.entry("GRPC_HOST", "127.0.0.1"),
                Map.entry("GRPC_PORT", String.valueOf(grpcPort)),
                Map.entry("DEBUG_HOST", "127.0.0.1"),
                Map.entry("DEBUG_PORT", String.valueOf(EnvoyProcess.freePort()))));
    rl.environment().putAll(tlsEnv);
    ratelimit = rl.start();
    RateLimitFixture.awaitHealthy(httpPort, Duration.ofSeconds(30));
    stack.await(
        "the free route serves", () -> Http.get(stack.port(), "x.test", "/free").status() == 200);
  }

  /** True to run the service with mutual TLS to the proxies ({@link GlobalRateLimitTlsE2E}). */
  boolean tls() {
    return false;
  }

  @AfterAll
  void stop() {
    RateLimitFixture.stop(ratelimit);
    if (redis != null) {
      redis.close();
    }
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
  }

  @Test
  void thePolicyIsAccepted() {
    stack.assertAccepted("BackendTrafficPolicy", "global");
  }

  @Test
  void theFourthRequestOfOneHeaderValueGets429() {
    for (int i = 0; i < 3; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/limited", "x-user", "alice").status())
          .as("alice's request " + (i + 1))
          .isEqualTo(200);
    }
    Http.Response refused = Http.get(stack.port(), "x.test", "/limited", "x-user", "alice");
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.header("x-ratelimit-limit")).isNotNull();
    // Another value has its own counter, and a route without the policy is not limited.
    assertThat(Http.get(stack.port(), "x.test", "/limited", "x-user", "bob").status())
        .isEqualTo(200);
    for (int i = 0; i < 5; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/free", "x-user", "alice").status())
          .isEqualTo(200);
    }
  }

  @Test
  void theSelectorsPolicyIsAccepted() {
    stack.assertAccepted("BackendTrafficPolicy", "selectors");
  }

  @Test
  void aQueryParameterSelectorLimitsOnlyTheRequestsCarryingIt() {
    for (int i = 0; i < 2; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/selected?tier=free").status())
          .as("free request " + (i + 1))
          .isEqualTo(200);
    }
    assertThat(Http.get(stack.port(), "x.test", "/selected?tier=free").status()).isEqualTo(429);
    // Another value, or no parameter at all, is not counted by that rule.
    for (int i = 0; i < 4; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/selected?tier=paid").status()).isEqualTo(200);
      assertThat(Http.get(stack.port(), "x.test", "/selected?other=1").status()).isEqualTo(200);
    }
  }

  @Test
  void aDistinctQueryParameterCountsEachValue() {
    assertThat(Http.get(stack.port(), "x.test", "/selected?key=a").status()).isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/selected?key=a").status()).isEqualTo(429);
    assertThat(Http.get(stack.port(), "x.test", "/selected?key=b").status()).isEqualTo(200);
  }

  @Test
  void anInvertedRangeExemptsItsClientsAndCountsTheOthers() {
    // The 127.0.0.0/8 rule (1 a minute) never counts the loopback client.
    for (int i = 0; i < 4; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/selected?n=" + i).status())
          .as("loopback request " + (i + 1))
          .isEqualTo(200);
    }
    // The loopback client is outside 10.0.0.0/8: the 10.0.0.0/8-inverted rule counts it.
    for (int i = 0; i < 2; i++) {
      assertThat(Http.get(stack.port(), "x.test", "/selected", "x-outside", "yes").status())
          .isEqualTo(200);
    }
    assertThat(Http.get(stack.port(), "x.test", "/selected", "x-outside", "yes").status())
        .isEqualTo(429);
  }
}
