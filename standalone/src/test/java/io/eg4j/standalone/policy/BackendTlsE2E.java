package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.xds.core.CertGen;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
import java.util.stream.Collectors;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Backend's {@code spec.tls} through the real envoy, to an HTTPS echo backend on 127.0.0.1 whose
 * certificate a test CA signed (for {@code fixed.test} and {@code backend.test}) and which answers
 * with the SNI it received: with that CA in {@code caCertificateRefs} the request gets through and
 * the backend sees the configured {@code sni}; with another CA it fails (503); with {@code
 * insecureSkipVerify} it gets through unverified; without an {@code sni} Envoy sends the request's
 * host and checks the certificate against it, so a host the certificate does not name fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendTlsE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  HttpsServer backend;
  CertGen.Bundle trusted;
  CertGen.Bundle stranger;

  @BeforeAll
  void start() throws Exception {
    trusted = CertGen.generate(List.of("fixed.test", "backend.test"), Duration.ofDays(1));
    stranger = CertGen.generate(List.of("fixed.test", "backend.test"), Duration.ofDays(1));
    backend = httpsEcho(trusted);
    stack = PolicyStack.start(dir);
    int port = backend.getAddress().getPort();
    String yaml =
        stack.gateway()
            + configMap("trusted-ca", trusted)
            + configMap("stranger-ca", stranger)
            + backendWith(
                "trusted",
                port,
                "caCertificateRefs: [{kind: ConfigMap, name: trusted-ca}]\n    sni: fixed.test")
            + backendWith(
                "wrong-ca",
                port,
                "caCertificateRefs: [{kind: ConfigMap, name: stranger-ca}]\n    sni: fixed.test")
            + backendWith("insecure", port, "insecureSkipVerify: true")
            + backendWith("auto", port, "caCertificateRefs: [{kind: ConfigMap, name: trusted-ca}]")
            + route("trusted")
            + route("wrong-ca")
            + route("insecure")
            + route("auto");
    stack.apply(yaml, config());
    for (String b : List.of("trusted", "wrong-ca", "insecure", "auto")) {
      ResourceStatus s = stack.status("Backend", "default", b);
      assertThat(s).as("status of Backend " + b).isNotNull();
      assertThat(s.status().path("conditions").get(0).path("type").asText())
          .as("Backend " + b + ": " + s.status())
          .isEqualTo("Accepted");
      assertThat(s.status().path("conditions").get(0).path("status").asText()).isEqualTo("True");
    }
    stack.await(
        "the Backend with the backend's CA answers",
        () -> get("/trusted", "app.test").startsWith("HTTP/1.1 200"));
  }

  /** Envoy Gateway's configuration with the Backend API on and Envoy on this host (loopback). */
  private static EnvoyGatewayConfig config() throws Exception {
    return EnvoyGatewayConfig.from(
        new ObjectMapper(new YAMLFactory())
            .readTree(
                """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: EnvoyGateway
                provider:
                  type: Custom
                  custom:
                    infrastructure: {type: Host}
                extensionApis: {enableBackend: true}
                """));
  }

  private static String configMap(String name, CertGen.Bundle ca) {
    return """
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {namespace: default, name: %s}
        data:
          ca.crt: |
        %s
        """
        .formatted(name, ca.get(CertGen.CA_CERT).strip().indent(4).stripTrailing());
  }

  private static String backendWith(String name, int port, String tls) {
    return """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: Backend
        metadata: {namespace: default, name: %s}
        spec:
          endpoints: [{ip: {address: 127.0.0.1, port: %d}}]
          tls:
            %s
        """
        .formatted(name, port, tls);
  }

  private static String route(String name) {
    return """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: %1$s}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /%1$s}}]
            backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: %1$s}]
        """
        .formatted(name);
  }

  /**
   * An HTTPS server on 127.0.0.1 with {@code bundle}'s server certificate that answers every
   * request with 200 and {@code sni=<the server names the client sent>}.
   */
  private static HttpsServer httpsEcho(CertGen.Bundle bundle) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "server",
        privateKey(bundle.get(CertGen.SERVER_KEY)),
        new char[0],
        new Certificate[] {cert(bundle.get(CertGen.SERVER_CERT))});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx));
    server.createContext(
        "/",
        ex -> {
          String sni = "";
          if (ex instanceof HttpsExchange https
              && https.getSSLSession() instanceof ExtendedSSLSession session) {
            sni =
                session.getRequestedServerNames().stream()
                    .filter(n -> n instanceof SNIHostName)
                    .map(n -> ((SNIHostName) n).getAsciiName())
                    .collect(Collectors.joining(","));
          }
          byte[] body = ("sni=" + sni + "\n").getBytes(StandardCharsets.UTF_8);
          ex.getRequestBody().readAllBytes();
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    return server;
  }

  private static PrivateKey privateKey(String pem) throws Exception {
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }

  private static Certificate cert(String pem) throws Exception {
    return CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  /** A plain HTTP/1.1 GET through the Gateway's listener with the Host {@code host}. */
  private String get(String path, String host) {
    try (Socket s = new Socket("127.0.0.1", stack.port())) {
      s.setSoTimeout(10000);
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return "";
    }
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (backend != null) {
      backend.stop(0);
    }
  }

  @Test
  void theBackendsCaVerifiesItAndItSeesTheConfiguredSni() {
    String r = get("/trusted", "app.test");
    assertThat(r).startsWith("HTTP/1.1 200").contains("sni=fixed.test");
  }

  @Test
  void anotherCaFailsTheHandshake() {
    assertThat(get("/wrong-ca", "app.test")).startsWith("HTTP/1.1 503");
  }

  @Test
  void insecureSkipVerifyReachesTheBackendUnverified() {
    // No CA at all: the certificate is not checked (nor its names: the SNI is the request's host).
    assertThat(get("/insecure", "unnamed.test")).startsWith("HTTP/1.1 200");
  }

  @Test
  void withoutAnSniTheRequestsHostIsSentAndChecked() {
    assertThat(get("/auto", "backend.test"))
        .startsWith("HTTP/1.1 200")
        .contains("sni=backend.test");
    // The backend's certificate does not name this host: the handshake fails.
    assertThat(get("/auto", "unnamed.test")).startsWith("HTTP/1.1 503");
  }
}
