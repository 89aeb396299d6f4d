package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The Gateway's own ResolvedRefs condition for `spec.tls.frontend` (GEP-91): the CA certificate
 * references of a frontend validation block are the Gateway's references, resolved or not whether
 * or not an HTTPS listener uses them; AllowInsecureFallback is reported only for a block that
 * resolved.
 */
class GatewayFrontendRefsTest {

  private static String gateway(String mode, boolean withConfigMap) {
    return """
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
          listeners: [{name: http, protocol: HTTP, port: 80}]
          tls:
            frontend:
              default:
                validation:
                  mode: %s
                  caCertificateRefs: [{group: "", kind: ConfigMap, name: client-ca}]
        """
            .formatted(mode)
        + (withConfigMap
            ? """
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: client-ca}
            data: {ca.crt: "-----BEGIN CERTIFICATE-----"}
            """
            : "");
  }

  private static String condition(TranslateResult r, String type) throws Exception {
    JsonNode status = new ObjectMapper().readTree(Translations.status(r, "Gateway"));
    for (JsonNode c : status.path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c.path("status").asText() + "/" + c.path("reason").asText();
      }
    }
    return "-";
  }

  @Test
  void aMissingCaConfigMapLeavesTheGatewayRefsUnresolvedWithoutHttpsListeners() throws Exception {
    TranslateResult r = Translations.translate(gateway("AllowInsecureFallback", false));
    assertThat(condition(r, "ResolvedRefs")).isEqualTo("False/InvalidParameters");
    assertThat(condition(r, "InsecureFrontendValidationMode")).isEqualTo("-");
  }

  @Test
  void aPresentCaConfigMapResolves() throws Exception {
    TranslateResult r = Translations.translate(gateway("AllowInsecureFallback", true));
    assertThat(condition(r, "ResolvedRefs")).isEqualTo("True/ResolvedRefs");
    assertThat(condition(r, "InsecureFrontendValidationMode"))
        .isEqualTo("True/ConfigurationChanged");
  }
}
