package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.testing.Http;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * {@link GlobalRateLimitE2E} with mutual TLS between Envoy and the rate limit service, as Envoy
 * Gateway runs it: the service presents its certificate and requires one signed by the CA from its
 * clients ({@code GRPC_SERVER_USE_TLS}, {@code GRPC_CLIENT_TLS_CACERT}); the proxy's {@code
 * ratelimit_cluster} presents the control plane's client certificate, served over SDS as {@code
 * envoy-gateway-system/envoy}, and checks the service's against the CA file. The policy fails
 * closed, so a broken handshake would answer every limited request with an error instead of 200,
 * 200, 200, 429.
 */
class GlobalRateLimitTlsE2E extends GlobalRateLimitE2E {
  @Override
  boolean tls() {
    return true;
  }

  @Test
  void envoyCallsTheServiceOverMutualTls() {
    // The cluster takes its certificate over SDS, the secret is active, and handshakes succeed.
    String clusters =
        stack.envoy().adminGet("/config_dump?resource=dynamic_active_clusters").body();
    assertThat(clusters)
        .contains("ratelimit_cluster")
        .contains("tls_certificate_sds_secret_configs")
        .contains("envoy-gateway-system/envoy");
    String secrets = stack.envoy().adminGet("/config_dump?resource=dynamic_active_secrets").body();
    assertThat(secrets).contains("envoy-gateway-system/envoy");
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

  @Test
  void theServiceRefusesAClientWithoutACertificate() throws Exception {
    // A client that trusts the CA but presents no certificate gets no answer from the service:
    // the mutual TLS Envoy passes is required, not optional.
    X509Certificate ca;
    try (InputStream in = Files.newInputStream(certs.resolve(CertGen.CA_CERT))) {
      ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket socket =
        (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", grpcPort)) {
      socket.setSoTimeout(10_000);
      socket.setEnabledProtocols(new String[] {"TLSv1.3"});
      assertThatThrownBy(
              () -> {
                socket.startHandshake();
                // TLS 1.3: the server checks the client's certificate after the client's
                // handshake ends, and answers a missing one with an alert on the next read.
                socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes());
                socket.getOutputStream().flush();
                if (socket.getInputStream().read() < 0) {
                  throw new IOException("closed by the service");
                }
              })
          .isInstanceOf(IOException.class);
    }
  }
}
