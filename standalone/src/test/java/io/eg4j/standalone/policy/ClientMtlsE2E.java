package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.core.CertGen;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * ClientTrafficPolicy {@code tls.clientValidation} through the real envoy: an HTTPS listener whose
 * policy requires client certificates from a CA in a ConfigMap lets a client with a certificate of
 * that CA through, and refuses the handshake of a client without one or with another CA's; its
 * {@code tls.minVersion} refuses a handshake below TLS 1.3.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientMtlsE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  CertGen.Bundle trusted;
  CertGen.Bundle stranger;

  @BeforeAll
  void start() throws Exception {
    trusted = CertGen.generate(List.of("secure.test"), Duration.ofDays(1));
    stranger = CertGen.generate(List.of("secure.test"), Duration.ofDays(1));
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    String gateway =
        stack
            .gateway()
            .replace(
                "    protocol: HTTP\n",
                """
                    protocol: HTTPS
                    tls:
                      mode: Terminate
                      certificateRefs: [{name: server-cert}]
                """);
    assertThat(gateway).contains("protocol: HTTPS");
    String yaml =
        gateway
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + """
            ---
            apiVersion: v1
            kind: Secret
            metadata: {namespace: default, name: server-cert}
            type: kubernetes.io/tls
            data:
              tls.crt: %s
              tls.key: %s
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: client-ca}
            data:
              ca.crt: |
            %s
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: app}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: ClientTrafficPolicy
            metadata: {namespace: default, name: mtls}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
              tls:
                minVersion: "1.3"
                clientValidation:
                  caCertificateRefs: [{kind: ConfigMap, name: client-ca}]
            """
                .formatted(
                    b64(trusted.get(CertGen.SERVER_CERT)),
                    b64(trusted.get(CertGen.SERVER_KEY)),
                    trusted.get(CertGen.CA_CERT).strip().indent(4).stripTrailing());
    stack.apply(yaml);
    stack.await(
        "a client with a trusted certificate gets through",
        () -> {
          try {
            return get(trusted).startsWith("HTTP/1.1 200");
          } catch (Exception e) {
            return false;
          }
        });
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A GET over TLS to the listener, trusting the server's CA, presenting {@code client}'s cert. */
  private String get(CertGen.Bundle client) throws Exception {
    return get(client, "TLSv1.3");
  }

  private String get(CertGen.Bundle client, String protocol) throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", cert(trusted.get(CertGen.CA_CERT)));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      String pem =
          client.get(CertGen.CLIENT_KEY).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
      PrivateKey key =
          KeyFactory.getInstance("EC")
              .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
      ks.setKeyEntry(
          "client", key, new char[0], new Certificate[] {cert(client.get(CertGen.CLIENT_CERT))});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", stack.port())) {
      s.setSoTimeout(10000);
      SSLParameters p = s.getSSLParameters();
      p.setServerNames(List.of(new SNIHostName("secure.test")));
      p.setApplicationProtocols(new String[] {"http/1.1"});
      p.setProtocols(new String[] {protocol});
      s.setSSLParameters(p);
      s.startHandshake();
      s.getOutputStream()
          .write(
              "GET /a HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Certificate cert(String pem) throws Exception {
    return CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
  }

  @Test
  void aTrustedClientCertificateGetsThrough() throws Exception {
    assertThat(get(trusted)).startsWith("HTTP/1.1 200").contains("/a");
  }

  @Test
  void aClientBelowTheMinimumTlsVersionIsRefused() {
    // The policy's tls.minVersion is 1.3: a TLS 1.2 handshake fails even with a trusted
    // certificate.
    assertThatThrownBy(() -> get(trusted, "TLSv1.2"))
        .as("TLS 1.2 under minVersion 1.3")
        .isInstanceOf(Exception.class);
  }

  @Test
  void noCertificateOrAnotherCasIsRefused() {
    assertThatThrownBy(() -> get(null)).as("no client certificate").isInstanceOf(Exception.class);
    assertThatThrownBy(() -> get(stranger))
        .as("a certificate of another CA")
        .isInstanceOf(Exception.class);
  }
}
