package io.eg4j.xds.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.bootstrap.ProxyMetrics;
import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.testing.EnvoyProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The real envoy accepts every bootstrap shape {@link EnvoyBootstrap} renders. */
class EnvoyBootstrapValidateE2E {
  @TempDir Path dir;

  static Stream<Arguments> specs() {
    EnvoyBootstrapSpec plain =
        EnvoyBootstrapSpec.of("default/eg/p1", "default/eg", "127.0.0.1", 18000, 19000);
    return Stream.of(
        Arguments.of("plaintext sotw", plain),
        Arguments.of("delta", plain.withDelta(true)),
        Arguments.of(
            "dns host with mTLS and SAN check",
            new EnvoyBootstrapSpec(
                    "eg/x-1",
                    "eg",
                    "eg4j-xds-server.eg4j-system.svc",
                    18000,
                    "0.0.0.0",
                    19000,
                    false,
                    null,
                    null)
                .withTls(
                    new EnvoyBootstrapSpec.XdsTls(
                        "/certs/tls.crt", "/certs/tls.key", "/certs/ca.crt", "eg4j-xds-server"))),
        Arguments.of(
            "ip host with mTLS",
            plain.withTls(
                new EnvoyBootstrapSpec.XdsTls("/c/tls.crt", "/c/tls.key", "/c/ca.crt", null))),
        Arguments.of(
            "metrics: Envoy Gateway's default Prometheus endpoint",
            plain.withMetrics(metrics("{}"))),
        Arguments.of(
            "metrics: gzip compression, every matcher type, two OpenTelemetry sinks",
            plain.withMetrics(
                metrics(
                    """
                    {"prometheus": {"compression": {"type": "Gzip", "minContentLength": "1Ki"}},
                     "matches": [{"value": "cluster.a.upstream_rq"},
                                 {"type": "Prefix", "value": "http."},
                                 {"type": "Suffix", "value": "_total"},
                                 {"type": "RegularExpression", "value": "vhost\\\\..*"}],
                     "sinks": [
                       {"type": "OpenTelemetry",
                        "openTelemetry": {"host": "otel.example", "port": 4317,
                                          "reportCountersAsDeltas": true,
                                          "reportHistogramsAsDeltas": true,
                                          "headers": [{"name": "x-tenant", "value": "a"}]}},
                       {"type": "OpenTelemetry",
                        "openTelemetry": {"backendRefs": [{"name": "otel", "namespace": "mon",
                                                           "port": 4317}]}}]}
                    """))),
        Arguments.of("metrics: brotli", plain.withMetrics(metrics(compression("Brotli")))),
        Arguments.of("metrics: zstd", plain.withMetrics(metrics(compression("Zstd")))),
        Arguments.of(
            "metrics: Prometheus disabled, one sink",
            plain.withMetrics(
                metrics(
                    """
                    {"prometheus": {"disable": true},
                     "sinks": [{"type": "OpenTelemetry",
                                "openTelemetry": {"host": "127.0.0.1", "port": 4317}}]}
                    """))));
  }

  private static String compression(String type) {
    return "{\"prometheus\": {\"compression\": {\"type\": \"" + type + "\"}}}";
  }

  private static ProxyMetrics metrics(String json) {
    try {
      return ProxyMetrics.fromSpec(
          io.eg4j.model.bus.Json.MAPPER.readTree(json), "default", "0.0.0.0", 19001);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void envoyValidatesTheBootstrap(String name, EnvoyBootstrapSpec spec) throws Exception {
    if (spec.tls() != null) {
      // Envoy checks at validation that the certificate files exist.
      Path certs = dir.resolve("certs");
      CertGen.generate(List.of(), Duration.ofDays(1)).writeTo(certs);
      spec =
          spec.withTls(
              new EnvoyBootstrapSpec.XdsTls(
                  certs.resolve(CertGen.CLIENT_CERT).toString(),
                  certs.resolve(CertGen.CLIENT_KEY).toString(),
                  certs.resolve(CertGen.CA_CERT).toString(),
                  spec.tls().serverName()));
    }
    String yaml = EnvoyBootstrap.render(spec);
    assertThat(yaml).contains("cluster: " + spec.nodeCluster()).contains("xds_cluster");
    Path file = dir.resolve("bootstrap.yaml");
    Files.writeString(file, yaml);
    EnvoyProcess.Result r = EnvoyProcess.validate(file);
    assertThat(r.exitCode()).as(yaml + "\n" + r.output()).isZero();
  }
}
