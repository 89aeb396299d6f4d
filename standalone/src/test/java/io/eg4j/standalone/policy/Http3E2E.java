package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.core.CertGen;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
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
 * ClientTrafficPolicy {@code http3} through the real envoy: the HTTPS listener's responses carry
 * {@code alt-svc: h3=":<port>"}, and Envoy runs a QUIC listener on the same port over UDP (its
 * admin API lists it as active, with ALPN h3 and an HTTP/3 connection manager). This curl cannot
 * speak HTTP/3, so no request goes over QUIC here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Http3E2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  CertGen.Bundle certs;

  @BeforeAll
  void start() throws Exception {
    certs = CertGen.generate(List.of("h3.test"), Duration.ofDays(1));
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
    stack.apply(
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
            metadata: {namespace: default, name: h3}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
              http3: {}
            """
                .formatted(
                    b64(certs.get(CertGen.SERVER_CERT)), b64(certs.get(CertGen.SERVER_KEY))));
    stack.await(
        "the HTTPS route serves",
        () -> {
          try {
            return get().startsWith("HTTP/1.1 200");
          } catch (Exception e) {
            return false;
          }
        });
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

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private String get() throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry(
        "ca",
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(
                    certs.get(CertGen.CA_CERT).getBytes(StandardCharsets.US_ASCII))));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", stack.port())) {
      s.setSoTimeout(10000);
      SSLParameters p = s.getSSLParameters();
      p.setServerNames(List.of(new SNIHostName("h3.test")));
      p.setApplicationProtocols(new String[] {"http/1.1"});
      s.setSSLParameters(p);
      s.startHandshake();
      s.getOutputStream()
          .write(
              "GET /a HTTP/1.1\r\nHost: h3.test\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void responsesOverTcpAdvertiseHttp3OnTheGatewayPort() throws Exception {
    String response = get();
    assertThat(response).startsWith("HTTP/1.1 200");
    assertThat(response.toLowerCase()).contains("alt-svc: h3=\":" + stack.port() + "\"; ma=86400");
  }

  @Test
  void envoyRunsAQuicListenerOnTheSamePort() throws Exception {
    JsonNode dump =
        Json.MAPPER.readTree(
            stack.envoy().adminGet("/config_dump?resource=dynamic_listeners").body());
    List<JsonNode> quic = new ArrayList<>();
    collectActiveUdp(dump, quic);
    assertThat(quic).as("active UDP listeners").hasSize(1);
    JsonNode l = quic.get(0);
    assertThat(l.path("address").path("socket_address").path("port_value").asInt())
        .isEqualTo(stack.port());
    assertThat(l.path("udp_listener_config").has("quic_options")).isTrue();
    JsonNode chain = l.path("filter_chains").get(0);
    assertThat(chain.path("transport_socket").path("name").asText())
        .isEqualTo("envoy.transport_sockets.quic");
    assertThat(chain.toString()).contains("\"h3\"").contains("\"HTTP3\"");
  }

  /** The listeners in active (not warming) state that bind UDP, anywhere in a config dump. */
  private static void collectActiveUdp(JsonNode n, List<JsonNode> out) {
    if (n.isObject()) {
      JsonNode active = n.path("active_state").path("listener");
      if (active.path("address").path("socket_address").path("protocol").asText().equals("UDP")) {
        out.add(active);
      }
      n.elements().forEachRemaining(c -> collectActiveUdp(c, out));
    } else if (n.isArray()) {
      n.forEach(c -> collectActiveUdp(c, out));
    }
  }
}
