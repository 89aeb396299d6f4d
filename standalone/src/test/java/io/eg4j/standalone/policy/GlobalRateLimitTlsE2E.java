package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.xds.core.CertGen;
import io.eg4j.xds.testing.Http;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
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
  void theServiceRequiresTheClientCertificate() throws Exception {
    // With the proxy's certificate a gRPC (h2) client gets the service's first frame; the same
    // client without a certificate gets none: the mutual TLS Envoy passes is required.
    assertThat(firstByte(true)).isGreaterThanOrEqualTo(0);
    assertThatThrownBy(() -> firstByte(false)).isInstanceOf(IOException.class);
  }

  /** Opens TLS 1.3 with ALPN h2 to the service, sends the HTTP/2 preface, reads one byte. */
  private int firstByte(boolean withCertificate) throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    X509Certificate ca;
    try (InputStream in = Files.newInputStream(certs.resolve(CertGen.CA_CERT))) {
      ca = (X509Certificate) x509.generateCertificate(in);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManager[] keys = null;
    if (withCertificate) {
      X509Certificate crt;
      try (InputStream in = Files.newInputStream(certs.resolve(CertGen.CLIENT_CERT))) {
        crt = (X509Certificate) x509.generateCertificate(in);
      }
      String pem = Files.readString(certs.resolve(CertGen.CLIENT_KEY));
      byte[] der =
          Base64.getMimeDecoder()
              .decode(pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""));
      PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", key, new char[0], new Certificate[] {crt});
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      keys = kmf.getKeyManagers();
    }
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(keys, tmf.getTrustManagers(), null);
    try (SSLSocket socket =
        (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", grpcPort)) {
      socket.setSoTimeout(10_000);
      SSLParameters params = socket.getSSLParameters();
      params.setProtocols(new String[] {"TLSv1.3"});
      params.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(params);
      socket.startHandshake();
      // TLS 1.3: the server checks the client's certificate after the client's handshake ends
      // and answers a missing one with an alert, seen on the next read.
      socket
          .getOutputStream()
          .write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      int b = socket.getInputStream().read();
      if (b < 0) {
        throw new IOException("closed by the service");
      }
      return b;
    }
  }
}
