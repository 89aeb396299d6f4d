package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ClientTrafficPolicy {@code http3}: the HTTPS listeners it covers serve HTTP/3, plain HTTP ones do
 * not; with client certificate validation HTTP/3 is left off and the policy stays Accepted with a
 * Warning saying so (Envoy Gateway's UnsupportedHTTP3ClientValidation), aggregated as {@code
 * Warnings} with the deprecated-targetRef warning.
 */
class ClientTrafficHttp3Test {
  private record Outcome(List<HttpListenerIr> listeners, JsonNode policyStatus) {}

  private static Outcome translate(String policy) throws Exception {
    List<ObjectNode> docs;
    try (InputStream in =
        ClientTrafficHttp3Test.class.getResourceAsStream("/testdata/tls.in.yaml")) {
      docs = new ArrayList<>(ManifestReader.read("tls.in.yaml", in));
    }
    // A CA bundle for client validation: the test certificate itself.
    String cert =
        docs.stream()
            .filter(d -> d.path("kind").asText().equals("Secret"))
            .filter(d -> d.path("metadata").path("name").asText().equals("cert"))
            .findFirst()
            .orElseThrow()
            .path("data")
            .path("tls.crt")
            .asText();
    String extra =
        """
        apiVersion: v1
        kind: Secret
        metadata: {namespace: default, name: client-ca}
        data: {ca.crt: %s}
        ---
        %s
        """
            .formatted(cert, policy);
    docs.addAll(
        ManifestReader.read(
            "policy", new ByteArrayInputStream(extra.getBytes(StandardCharsets.UTF_8))));
    TranslateResult r =
        new Translator(EnvoyGatewayConfig.defaults()).translate(ResourceSnapshot.of(docs));
    List<HttpListenerIr> listeners = new ArrayList<>();
    r.xdsIr().values().forEach(ir -> listeners.addAll(ir.http()));
    JsonNode status = null;
    for (ResourceStatus s : r.statuses()) {
      if (s.key().kind().equals("ClientTrafficPolicy")) {
        status = io.eg4j.model.bus.Json.MAPPER.valueToTree(s.status());
      }
    }
    return new Outcome(listeners, status);
  }

  private static final String POLICY =
      """
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: ClientTrafficPolicy
      metadata: {namespace: default, name: h3}
      spec:
        %s
        http3: {}
        %s
      """;

  private static final String TARGET_REFS =
      "targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]";
  private static final String TARGET_REF =
      "targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg}";
  private static final String CLIENT_VALIDATION =
      "tls: {clientValidation: {caCertificateRefs: [{name: client-ca}]}}";

  private static HttpListenerIr listener(Outcome o, String name) {
    return o.listeners().stream()
        .filter(l -> l.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no listener " + name + " in " + o.listeners()));
  }

  private static JsonNode condition(Outcome o, String type) {
    for (JsonNode c : o.policyStatus().path("ancestors").get(0).path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return null;
  }

  @Test
  void httpsListenersServeHttp3() throws Exception {
    Outcome o = translate(POLICY.formatted(TARGET_REFS, ""));
    HttpListenerIr https = listener(o, "default/eg/https");
    assertThat(https.tls()).isNotNull();
    assertThat(https.client().http3()).isTrue();
    assertThat(condition(o, "Accepted").path("status").asText()).isEqualTo("True");
    assertThat(condition(o, "Warning")).isNull();
  }

  @Test
  void clientValidationLeavesHttp3OffWithAWarning() throws Exception {
    Outcome o = translate(POLICY.formatted(TARGET_REFS, CLIENT_VALIDATION));
    HttpListenerIr https = listener(o, "default/eg/https");
    assertThat(https.client().http3()).isFalse();
    assertThat(https.client().clientValidation()).isNotNull();
    assertThat(condition(o, "Accepted").path("status").asText()).isEqualTo("True");
    JsonNode w = condition(o, "Warning");
    assertThat(w.path("reason").asText()).isEqualTo("UnsupportedHTTP3ClientValidation");
    assertThat(w.path("message").asText()).startsWith("spec.http3 is not applied");
  }

  @Test
  void twoWarningsAreAggregated() throws Exception {
    Outcome o = translate(POLICY.formatted(TARGET_REF, CLIENT_VALIDATION));
    JsonNode w = condition(o, "Warning");
    assertThat(w.path("reason").asText()).isEqualTo("Warnings");
    assertThat(w.path("message").asText())
        .contains("targetRef field is deprecated")
        .contains("; spec.http3 is not applied");
  }
}
