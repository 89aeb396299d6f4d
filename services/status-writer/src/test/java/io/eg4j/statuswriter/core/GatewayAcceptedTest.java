package io.eg4j.statuswriter.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The Gateway's top-level Accepted condition, from its listeners (Gateway API v1.6). */
class GatewayAcceptedTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode accepted(String status) throws Exception {
    ObjectNode s = (ObjectNode) JSON.readTree(status);
    GatewayAccepted.addUnlessRejected(s, 3);
    return s.path("conditions").get(0);
  }

  private static String listener(String name, String conditions) {
    return "{\"name\":\"" + name + "\",\"conditions\":[" + conditions + "]}";
  }

  private static final String OK =
      "{\"type\":\"Accepted\",\"status\":\"True\",\"reason\":\"Accepted\"},"
          + "{\"type\":\"Programmed\",\"status\":\"True\",\"reason\":\"Programmed\"}";
  private static final String UNSUPPORTED =
      "{\"type\":\"Accepted\",\"status\":\"False\",\"reason\":\"UnsupportedProtocol\"}";
  private static final String CONFLICTED =
      "{\"type\":\"Accepted\",\"status\":\"True\",\"reason\":\"Accepted\"},"
          + "{\"type\":\"Conflicted\",\"status\":\"True\",\"reason\":\"HostnameConflict\"}";
  private static final String BAD_CERT =
      "{\"type\":\"Programmed\",\"status\":\"False\",\"reason\":\"Invalid\"},"
          + "{\"type\":\"ResolvedRefs\",\"status\":\"False\",\"reason\":\"InvalidCertificateRef\"}";

  @Test
  void everyListenerValidIsAccepted() throws Exception {
    JsonNode c = accepted("{\"listeners\":[" + listener("a", OK) + "]}");
    assertThat(c.path("status").asText()).isEqualTo("True");
    assertThat(c.path("reason").asText()).isEqualTo("Accepted");
    assertThat(c.path("observedGeneration").asLong()).isEqualTo(3);
    // No listeners in the status (a rejected or listener-less Gateway): accepted as before.
    assertThat(accepted("{}").path("reason").asText()).isEqualTo("Accepted");
    // A listener whose references do not resolve is still an accepted listener.
    assertThat(
            accepted("{\"listeners\":[" + listener("a", BAD_CERT) + "]}").path("reason").asText())
        .isEqualTo("Accepted");
  }

  @Test
  void someInvalidListenersKeepTheGatewayAcceptedWithListenersNotValid() throws Exception {
    JsonNode c =
        accepted(
            "{\"listeners\":["
                + listener("http", OK)
                + ","
                + listener("bad", UNSUPPORTED)
                + ","
                + listener("dup", CONFLICTED)
                + "]}");
    assertThat(c.path("status").asText()).isEqualTo("True");
    assertThat(c.path("reason").asText()).isEqualTo("ListenersNotValid");
    assertThat(c.path("message").asText()).contains("bad").contains("dup").doesNotContain("http");
  }

  @Test
  void noValidListenerRejectsTheGateway() throws Exception {
    JsonNode c =
        accepted(
            "{\"listeners\":["
                + listener("x", UNSUPPORTED)
                + ","
                + listener("y", CONFLICTED)
                + "]}");
    assertThat(c.path("status").asText()).isEqualTo("False");
    assertThat(c.path("reason").asText()).isEqualTo("ListenersNotValid");
  }

  @Test
  void theTranslatorsOwnAcceptedConditionWins() throws Exception {
    JsonNode c =
        accepted(
            "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"False\",\"reason\":\"InvalidParameters\"}],"
                + "\"listeners\":["
                + listener("x", UNSUPPORTED)
                + "]}");
    assertThat(c.path("reason").asText()).isEqualTo("InvalidParameters");
  }
}
