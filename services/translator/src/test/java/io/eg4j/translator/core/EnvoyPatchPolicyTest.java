package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * EnvoyPatchPolicy: malformed patches are refused; accepted ones reach the IR in priority order.
 */
class EnvoyPatchPolicyTest {
  private static final String BASE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {namespace: default, name: eg}
      spec:
        gatewayClassName: eg
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyPatchPolicy
      metadata: {namespace: default, name: second, creationTimestamp: '2024-01-01T00:00:00Z'}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg}
        type: JSONPatch
        priority: 5
        jsonPatches:
        - {type: type.googleapis.com/envoy.config.listener.v3.Listener, name: default/eg/http,
           operation: {op: add, path: /per_connection_buffer_limit_bytes, value: 2}}
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyPatchPolicy
      metadata: {namespace: default, name: first, creationTimestamp: '2024-01-02T00:00:00Z'}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg}
        type: JSONPatch
        priority: -1
        jsonPatches:
        - %s
      """;

  private static Translator translator() throws Exception {
    return new Translator(
        EnvoyGatewayConfig.from(
            Json.YAML.readTree(
                "apiVersion: gateway.envoyproxy.io/v1alpha1\n"
                    + "kind: EnvoyGateway\n"
                    + "extensionApis: {enableEnvoyPatchPolicy: true}\n")));
  }

  private static TranslateResult translate(String patch) throws Exception {
    List<ObjectNode> docs =
        ManifestReader.read(
            "test",
            new ByteArrayInputStream(BASE.formatted(patch).getBytes(StandardCharsets.UTF_8)));
    return translator().translate(ResourceSnapshot.of(docs));
  }

  private static String status(TranslateResult r, String name) {
    for (ResourceStatus s : r.statuses()) {
      if (s.key().kind().equals("EnvoyPatchPolicy") && s.key().name().equals(name)) {
        return s.status().toString();
      }
    }
    return "";
  }

  @Test
  void acceptedPatchesReachTheIrLowerPriorityFirst() throws Exception {
    TranslateResult r =
        translate(
            "{type: type.googleapis.com/envoy.config.route.v3.RouteConfiguration, name:"
                + " default/eg/http, operation: {op: add, path: /response_headers_to_add,"
                + " value: [{header: {key: x, value: y}}]}}");
    assertThat(status(r, "first")).contains("\"reason\":\"Accepted\"");
    assertThat(status(r, "second")).contains("\"reason\":\"Accepted\"");
    List<XdsIr.JsonPatchIr> patches = r.xdsIr().get("default/eg").jsonPatches();
    assertThat(patches)
        .extracting(XdsIr.JsonPatchIr::policy)
        .containsExactly("default/first", "default/second");
    assertThat(patches.get(0).value()).isEqualTo("[{\"header\":{\"key\":\"x\",\"value\":\"y\"}}]");
    assertThat(patches.get(1).value()).isEqualTo("2");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{type: type.googleapis.com/envoy.config.core.v3.Other, name: a, operation: {op: add,"
            + " path: /x, value: 1}} | unsupported resource type",
        "{type: type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a, operation: {op:"
            + " merge, path: /x, value: 1}} | unsupported operation merge",
        "{type: type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a, operation: {op:"
            + " replace, path: /x}} | value: required for replace",
        "{type: type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a, operation: {op:"
            + " move, path: /x}} | from: required for move",
        "{type: type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a, operation: {op:"
            + " remove, path: x}} | a JSON pointer",
        "{type: type.googleapis.com/envoy.config.cluster.v3.Cluster, name: a, operation: {op:"
            + " remove, jsonPath: '..x', path: ''}} | jsonPath: a JSONPath query starting with $",
      })
  void malformedPatchesRefuseThePolicyAndStayOutOfTheIr(String patch, String message)
      throws Exception {
    TranslateResult r = translate(patch);
    assertThat(status(r, "first")).contains("\"reason\":\"Invalid\"").contains(message);
    assertThat(r.xdsIr().get("default/eg").jsonPatches())
        .extracting(XdsIr.JsonPatchIr::policy)
        .containsExactly("default/second");
  }
}
