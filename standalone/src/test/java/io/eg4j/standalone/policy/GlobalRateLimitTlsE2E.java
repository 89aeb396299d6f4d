package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.xds.testing.Http;
import org.junit.jupiter.api.Test;

/**
 * {@link GlobalRateLimitE2E} with mutual TLS between Envoy and the rate limit service, as Envoy
 * Gateway runs it: the service presents its certificate and asks for the proxy's ({@code
 * GRPC_SERVER_USE_TLS} with a CA); the proxy's {@code ratelimit_cluster} presents its client
 * certificate and checks the service's ({@code x-eg4j.rateLimitTls}). The policy fails closed, so a
 * broken handshake would answer every limited request with an error instead of 200, 200, 200, 429.
 */
class GlobalRateLimitTlsE2E extends GlobalRateLimitE2E {
  @Override
  boolean tls() {
    return true;
  }

  @Test
  void envoyCallsTheServiceOverTls() {
    // The cluster Envoy runs carries the client certificate, and its TLS handshakes succeed.
    String clusters =
        stack.envoy().adminGet("/config_dump?resource=dynamic_active_clusters").body();
    assertThat(clusters).contains("ratelimit_cluster").contains("client.crt");
    assertThat(Http.get(stack.port(), "x.test", "/limited", "x-user", "carol").status())
        .isEqualTo(200);
    String stats = stack.envoy().adminGet("/stats").body();
    long handshakes =
        stats
            .lines()
            .filter(l -> l.startsWith("cluster.ratelimit_cluster.ssl.handshake: "))
            .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(": ") + 2).trim()))
            .sum();
    assertThat(handshakes).as("TLS handshakes with the rate limit service").isPositive();
  }
}
