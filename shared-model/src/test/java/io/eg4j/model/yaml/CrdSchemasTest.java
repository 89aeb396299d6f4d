package io.eg4j.model.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Structural validation against the project's CRDs, with the API server's wording. */
class CrdSchemasTest {
  private static final CrdSchemas SCHEMAS = CrdSchemas.load();

  private static ObjectNode yaml(String text) throws Exception {
    return ManifestReader.read(
            "t.yaml", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)))
        .get(0);
  }

  private static final String ROUTE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r, namespace: default}
      spec:
        parentRefs: [{name: eg}]
        hostnames: [%s]
        rules:
        - matches: [{path: {type: %s, value: /}}]
          filters:
          - type: RequestRedirect
            requestRedirect: {statusCode: %s}
          backendRefs: [{name: s, port: %s}]
      status:
        parents: [{conditions: [{type: Accepted}]}]
      """;

  @Test
  void aValidRouteIsValidAndItsStatusIsNotChecked() throws Exception {
    CrdSchemas.Result r =
        SCHEMAS.validate(yaml(ROUTE.formatted("a.example.com", "PathPrefix", 301, 80)));
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void enumsPatternsTypesAndBoundsAreTheApiServersErrors() throws Exception {
    CrdSchemas.Result r =
        SCHEMAS.validate(yaml(ROUTE.formatted("Bad_Host", "Prefix", 666, "\"eighty\"")));
    assertThat(r.errors())
        .anySatisfy(
            e ->
                assertThat(e)
                    .startsWith("spec.hostnames[0]: Invalid value: \"Bad_Host\"")
                    .contains("should match"))
        .anySatisfy(
            e ->
                assertThat(e)
                    .isEqualTo(
                        "spec.rules[0].matches[0].path.type: Unsupported value: \"Prefix\":"
                            + " supported values: \"Exact\", \"PathPrefix\", \"RegularExpression\""))
        .anySatisfy(
            e ->
                assertThat(e)
                    .startsWith(
                        "spec.rules[0].filters[0].requestRedirect.statusCode: Unsupported value: 666"))
        .anySatisfy(
            e ->
                assertThat(e)
                    .contains("spec.rules[0].backendRefs[0].port in body must be of type integer"));
    CrdSchemas.Result bound =
        SCHEMAS.validate(yaml(ROUTE.formatted("a.example.com", "Exact", 301, 70000)));
    assertThat(bound.errors())
        .containsExactly(
            "spec.rules[0].backendRefs[0].port: Invalid value: 70000: spec.rules[0].backendRefs[0].port"
                + " in body should be less than or equal to 65535");
  }

  @Test
  void requiredFieldsDuplicateListMapKeysAndUnknownFields() throws Exception {
    CrdSchemas.Result r =
        SCHEMAS.validate(
            yaml(
                """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: eg, namespace: default}
                spec:
                  gatewayClassName: eg
                  listeners:
                  - {name: a, protocol: HTTP, port: 80}
                  - {name: a, protocol: HTTP, port: 81}
                  - {protocol: HTTP, port: 82, hostnme: typo.example.com}
                """));
    assertThat(r.errors())
        .contains(
            "spec.listeners[1]: Duplicate value: {\"name\":\"a\"}",
            "spec.listeners[2].name: Required value");
    assertThat(r.warnings())
        .containsExactly("spec.listeners[2].hostnme: unknown field (the API server drops it)");
  }

  @Test
  void envoyGatewayKindsAndIntOrStringAndCoreKinds() throws Exception {
    CrdSchemas.Result r =
        SCHEMAS.validate(
            yaml(
                """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: BackendTrafficPolicy
                metadata: {name: p, namespace: default}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
                  circuitBreaker: {maxConnections: -1}
                  timeout: {tcp: {connectTimeout: 10sec}}
                """));
    assertThat(r.errors())
        .anySatisfy(
            e -> assertThat(e).startsWith("spec.circuitBreaker.maxConnections: Invalid value: -1"))
        .anySatisfy(
            e ->
                assertThat(e)
                    .startsWith("spec.timeout.tcp.connectTimeout: Invalid value: \"10sec\""));
    // A kind without a CRD here (core kinds) is the API server's own business.
    assertThat(
            SCHEMAS
                .validate(
                    yaml("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {x: 1}\n"))
                .valid())
        .isTrue();
    assertThat(SCHEMAS.knows("gateway.networking.k8s.io/v1", "HTTPRoute")).isTrue();
    assertThat(SCHEMAS.knows("v1", "Service")).isFalse();
  }

  @Test
  void keptSchemasDropDescriptionsAndCelRulesButNotPropertiesOfThoseNames() throws Exception {
    ObjectNode schema =
        (ObjectNode)
            io.eg4j.model.bus.Json.MAPPER.readTree(
                """
                {"description": "a route", "type": "object",
                 "x-kubernetes-validations": [{"rule": "self.a > 0"}],
                 "properties": {
                   "description": {"type": "string", "description": "a field named description",
                                   "maxLength": 3},
                   "x-kubernetes-validations": {"type": "object"},
                   "items": {"type": "array", "items": {"type": "string", "description": "x"}}}}
                """);
    ObjectNode kept = (ObjectNode) CrdSchemas.withoutProse(schema);
    assertThat(kept.has("description")).isFalse();
    assertThat(kept.has("x-kubernetes-validations")).isFalse();
    assertThat(kept.path("properties").path("description").path("maxLength").asInt()).isEqualTo(3);
    assertThat(kept.path("properties").path("description").has("description")).isFalse();
    assertThat(kept.path("properties").has("x-kubernetes-validations")).isTrue();
    assertThat(kept.path("properties").path("items").path("items").toString())
        .isEqualTo("{\"type\":\"string\"}");
    // And validation still reads the field's own constraints.
    CrdSchemas one = new CrdSchemas(java.util.Map.of("g/v1/K", kept));
    CrdSchemas.Result r =
        one.validate(yaml("apiVersion: g/v1\nkind: K\nmetadata: {name: a}\ndescription: long\n"));
    assertThat(r.errors()).singleElement().asString().contains("description", "Too long");
  }

  @Test
  void noLoadedSchemaKeepsADescriptionString() {
    java.util.List<String> found = new java.util.ArrayList<>();
    CrdSchemas.load().schemasForTest().forEach((k, v) -> scanForProse(k, v, found));
    assertThat(found).isEmpty();
    assertThat(CrdSchemas.load().schemasForTest()).hasSizeGreaterThan(10);
  }

  private static void scanForProse(
      String at, com.fasterxml.jackson.databind.JsonNode n, java.util.List<String> found) {
    if (n.isObject()) {
      if (n.path("description").isTextual() || n.path("x-kubernetes-validations").isArray()) {
        found.add(at);
      }
      n.properties().forEach(e -> scanForProse(at + "." + e.getKey(), e.getValue(), found));
    } else if (n.isArray()) {
      n.forEach(c -> scanForProse(at + "[]", c, found));
    }
  }
}
