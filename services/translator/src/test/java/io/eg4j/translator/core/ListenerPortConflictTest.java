package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * Listeners of one Gateway that share a port (Gateway API `Listener`: a unique combination of port,
 * protocol and hostname; Envoy Gateway's compatibility rules on top): HTTP, TCP and HTTPS/TLS are
 * three protocol families that cannot share a port, UDP shares a port with anything, and only
 * listeners that passed their own validation take part in the conflict.
 */
class ListenerPortConflictTest {

  private static final String PREAMBLE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: default}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {namespace: default, name: eg}
      spec:
        gatewayClassName: eg
        listeners:
      """;

  private static String condition(TranslateResult r, String listener, String type)
      throws Exception {
    JsonNode status = new ObjectMapper().readTree(Translations.status(r, "Gateway"));
    for (JsonNode l : status.path("listeners")) {
      if (l.path("name").asText().equals(listener)) {
        for (JsonNode c : l.path("conditions")) {
          if (c.path("type").asText().equals(type)) {
            return c.path("status").asText() + "/" + c.path("reason").asText();
          }
        }
        return "-";
      }
    }
    throw new AssertionError("no listener " + listener + " in " + status);
  }

  @Test
  void httpAndTcpOnOnePortConflict() throws Exception {
    TranslateResult r =
        Translations.translate(
            PREAMBLE
                + """
                  - {name: http, protocol: HTTP, port: 80}
                  - {name: tcp, protocol: TCP, port: 80}
                """);
    for (String l : new String[] {"http", "tcp"}) {
      assertThat(condition(r, l, "Conflicted")).isEqualTo("True/ProtocolConflict");
      assertThat(condition(r, l, "Programmed")).isEqualTo("False/Invalid");
    }
  }

  @Test
  void tlsAndTcpOnOnePortConflict() throws Exception {
    TranslateResult r =
        Translations.translate(
            PREAMBLE
                + """
                  - {name: tls, protocol: TLS, port: 443, tls: {mode: Passthrough}}
                  - {name: tcp, protocol: TCP, port: 443}
                """);
    assertThat(condition(r, "tls", "Conflicted")).isEqualTo("True/ProtocolConflict");
    assertThat(condition(r, "tcp", "Conflicted")).isEqualTo("True/ProtocolConflict");
  }

  @Test
  void udpSharesAPortWithHttp() throws Exception {
    TranslateResult r =
        Translations.translate(
            PREAMBLE
                + """
                  - {name: http, protocol: HTTP, port: 80}
                  - {name: udp, protocol: UDP, port: 80}
                """);
    assertThat(condition(r, "http", "Programmed")).isEqualTo("True/Programmed");
    assertThat(condition(r, "udp", "Programmed")).isEqualTo("True/Programmed");
    assertThat(condition(r, "http", "Conflicted")).isEqualTo("-");
  }

  @Test
  void anInvalidListenerTakesNoPort() throws Exception {
    // The HTTPS listener's certificate does not exist: it is invalid on its own and does not
    // make the HTTP listener on its port conflicted.
    TranslateResult r =
        Translations.translate(
            PREAMBLE
                + """
                  - {name: http, protocol: HTTP, port: 80}
                  - name: https
                    protocol: HTTPS
                    port: 80
                    tls: {mode: Terminate, certificateRefs: [{name: missing}]}
                """);
    assertThat(condition(r, "http", "Conflicted")).isEqualTo("-");
    assertThat(condition(r, "http", "Programmed")).isEqualTo("True/Programmed");
    assertThat(condition(r, "https", "ResolvedRefs")).isEqualTo("False/InvalidCertificateRef");
    assertThat(condition(r, "https", "Conflicted")).isEqualTo("-");
  }
}
