package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HTTPRoute matches and header modifiers the Gateway API's CRD validation refuses (and Envoy
 * rejects in a route configuration) make their rule invalid, with a message naming the field.
 */
class HttpRouteMatchValidationTest {
  private static final String BASE =
      Translations.GATEWAY
          + """
      apiVersion: v1
      kind: Service
      metadata: {namespace: default, name: web}
      spec:
        ports: [{name: http, port: 8080, protocol: TCP}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: web}
      spec:
        parentRefs: [{name: eg}]
        %s
        rules:
        - backendRefs: [{name: web, port: 8080}]
          %s
      """;

  private static String routeStatus(String rule) throws Exception {
    return routeStatus("", rule);
  }

  private static String routeStatus(String hostnames, String rule) throws Exception {
    List<ObjectNode> docs =
        ManifestReader.read(
            "test",
            new ByteArrayInputStream(
                BASE.formatted(hostnames, rule).getBytes(StandardCharsets.UTF_8)));
    for (ResourceStatus s :
        new Translator(EnvoyGatewayConfig.defaults())
            .translate(ResourceSnapshot.of(docs))
            .statuses()) {
      if (s.key().kind().equals("HTTPRoute")) {
        return s.status().toString();
      }
    }
    return "";
  }

  @Test
  void aPathPrefixOrExactValueMustBeAnAbsolutePathOfValidCharacters() throws Exception {
    assertThat(routeStatus("matches: [{path: {type: PathPrefix, value: '*/?+{}'}}]"))
        .contains("path value */?+{} must be an absolute path");
    assertThat(routeStatus("matches: [{path: {type: Exact, value: '/a?b'}}]"))
        .contains("must only contain valid characters");
    assertThat(routeStatus("matches: [{path: {type: PathPrefix, value: '/a/../b'}}]"))
        .contains("must not contain '/../'");
    assertThat(routeStatus("matches: [{path: {type: PathPrefix, value: '/api'}}]"))
        .doesNotContain("UnsupportedValue")
        .contains("\"Accepted\",\"status\":\"True\"");
  }

  @Test
  void aHeaderMatchNameMustBeAHeaderName() throws Exception {
    assertThat(routeStatus("matches: [{headers: [{name: '', value: x}]}]"))
        .contains("match name  is not a valid header or query parameter name");
    assertThat(routeStatus("matches: [{headers: [{name: 'x-a', value: x}]}]"))
        .doesNotContain("UnsupportedValue")
        .contains("\"Accepted\",\"status\":\"True\"");
  }

  @Test
  void aModifiedHeaderNameIsAtMost256Characters() throws Exception {
    String filter =
        "filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: %s, value:"
            + " v}]}}]";
    assertThat(routeStatus(filter.formatted("x-" + "a".repeat(300)))).contains("is invalid");
    assertThat(routeStatus(filter.formatted("x-ok"))).doesNotContain("is invalid");
  }

  @Test
  void aHostnameTheApiServerWouldRefuseMatchesNoListener() throws Exception {
    String status = routeStatus("hostnames: [\"www.example.com\\r\\nX: 1\"]", "");
    assertThat(status).contains("NoMatchingListenerHostname");
    assertThat(routeStatus("hostnames: [www.Example.com]", ""))
        .contains("\"Accepted\",\"status\":\"True\"");
  }

  @Test
  void aModifiedHeaderValueIsFieldContent() throws Exception {
    // {filter, value, expected}: visible ASCII with single spaces or tabs between words is valid;
    // leading, trailing or doubled spaces and non-ASCII are not (Envoy Gateway's rule), nor empty.
    String[][] cases = {
      {"RequestHeaderModifier", "v", "ok"},
      {"RequestHeaderModifier", "a b c", "ok"},
      {"ResponseHeaderModifier", "text/html; q=0.9", "ok"},
      {"ResponseHeaderModifier", "'quoted' 100%", "ok"},
      {"RequestHeaderModifier", " a", "invalid"},
      {"RequestHeaderModifier", "a ", "invalid"},
      {"ResponseHeaderModifier", "a  b", "invalid"},
      {"ResponseHeaderModifier", "caf\u00e9", "invalid"},
      {"RequestHeaderModifier", "", "empty"},
    };
    for (String[] c : cases) {
      String field = Character.toLowerCase(c[0].charAt(0)) + c[0].substring(1);
      String status =
          routeStatus(
              "filters: [{type: %s, %s: {set: [{name: x-v, value: \"%s\"}]}}]"
                  .formatted(c[0], field, c[1]));
      switch (c[2]) {
        case "ok" -> assertThat(status).as(c[1]).contains("\"Accepted\",\"status\":\"True\"");
        case "empty" -> assertThat(status).as(c[1]).contains("has an empty value");
        default ->
            assertThat(status)
                .as(c[1])
                .contains("header x-v has an invalid value")
                .contains("\"Accepted\",\"status\":\"False\"");
      }
    }
  }
}
