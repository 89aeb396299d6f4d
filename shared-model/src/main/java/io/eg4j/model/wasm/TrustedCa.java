package io.eg4j.model.wasm;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * HTTPS clients that trust a policy's CA bundle besides the system's trusted roots, as Envoy
 * Gateway's Wasm fetcher does with {@code code.http.tls} and {@code code.image.tls}. Certificates
 * are still verified (chain and host name); only the set of roots grows.
 */
public final class TrustedCa {
  private TrustedCa() {}

  private static final Map<String, javax.net.ssl.SSLContext> CONTEXTS = new ConcurrentHashMap<>();

  /**
   * An SSL context whose roots are the system's plus the certificates of {@code pem}.
   *
   * @throws IllegalArgumentException when {@code pem} holds no certificate or one that cannot be
   *     read
   */
  public static SSLContext context(String pem) {
    return CONTEXTS.computeIfAbsent(pem, TrustedCa::build);
  }

  private static SSLContext build(String pem) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      TrustManagerFactory system =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      system.init((KeyStore) null);
      int i = 0;
      for (var tm : system.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          for (X509Certificate c : x.getAcceptedIssuers()) {
            store.setCertificateEntry("system-" + i++, c);
          }
        }
      }
      Collection<? extends Certificate> own =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (own.isEmpty()) {
        throw new IllegalArgumentException("no certificate in the CA bundle");
      }
      for (Certificate c : own) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalArgumentException("the CA bundle cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * An HTTP client trusting {@code pem} besides the system's roots (the system's only when null).
   *
   * @param followRedirects whether the client follows redirects itself
   */
  public static java.net.http.HttpClient client(
      String pem, Duration connectTimeout, boolean followRedirects) {
    java.net.http.HttpClient.Builder b =
        java.net.http.HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(
                followRedirects
                    ? java.net.http.HttpClient.Redirect.NORMAL
                    : java.net.http.HttpClient.Redirect.NEVER);
    if (pem != null) {
      b.sslContext(context(pem));
    }
    return b.build();
  }
}
