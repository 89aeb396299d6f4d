package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An EnvoyProxy that Envoy Gateway would refuse makes the GatewayClass or Gateway referencing it
 * {@code Accepted=False/InvalidParameters} and its Gateways untranslated; telemetry that does not
 * resolve makes the Gateway {@code Accepted=False/InvalidParameters} with its listeners still
 * translated.
 */
class EnvoyProxyValidationTest {
  private static final String BASE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec:
        controllerName: gateway.envoyproxy.io/gatewayclass-controller
        %s
      ---
      apiVersion: v1
      kind: Namespace
      metadata: {name: default}
      ---
      apiVersion: v1
      kind: Service
      metadata: {namespace: monitoring, name: otel}
      spec:
        ports: [{name: grpc, port: 4317, protocol: TCP}, {name: u, port: 53, protocol: UDP}]
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyProxy
      metadata: {namespace: default, name: ep}
      spec:
        %s
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {namespace: default, name: gw}
      spec:
        gatewayClassName: eg
        %s
        listeners: [{name: http, protocol: HTTP, port: 80}]
      """;

  private static final String CLASS_REF =
      "parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, namespace: default, name:"
          + " ep}";
  private static final String GATEWAY_REF =
      "infrastructure: {parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name:"
          + " ep}}";

  /** Statuses by "Kind name", as text. */
  private static Map<String, String> statuses(String classRef, String epSpec, String gwInfra)
      throws Exception {
    List<ObjectNode> docs =
        ManifestReader.read(
            "test",
            new ByteArrayInputStream(
                BASE.formatted(classRef, epSpec, gwInfra).getBytes(StandardCharsets.UTF_8)));
    Map<String, String> out = new TreeMap<>();
    for (ResourceStatus s :
        new Translator(EnvoyGatewayConfig.defaults())
            .translate(ResourceSnapshot.of(docs))
            .statuses()) {
      out.put(s.key().kind() + " " + s.key().name(), s.status().toString());
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "file sink without file | telemetry: {accessLog: {settings: [{sinks: [{type: File}]}]}}"
            + " | File sink type but",
        "ALS sink without als | telemetry: {accessLog: {settings: [{sinks: [{type: ALS}]}]}}"
            + " | ALS sink type but",
        "otel sink without block | telemetry: {accessLog: {settings: [{sinks: [{type:"
            + " OpenTelemetry}]}]}} | OpenTelemetry sink type but",
        "text format without text | telemetry: {accessLog: {settings: [{format: {type: Text},"
            + " sinks: [{type: File, file: {path: /dev/stdout}}]}]}} | Text format but",
        "bad service type | provider: {type: Kubernetes, kubernetes: {envoyService: {type:"
            + " ExternalName}}} | unsupported envoy service type",
        "loadBalancerIP not v4 | provider: {type: Kubernetes, kubernetes: {envoyService:"
            + " {loadBalancerIP: '::1'}}} | is an invalid IPv4 address",
        "merge both | {mergeGateways: true, mergeBackends: {}} | cannot both be enabled",
      })
  void structurallyInvalidEnvoyProxyRejectsClassAndGateway(
      String name, String epSpec, String message) throws Exception {
    Map<String, String> viaClass = statuses(CLASS_REF, epSpec, "");
    assertThat(viaClass.get("GatewayClass eg")).contains("InvalidParameters").contains(message);
    assertThat(viaClass.get("Gateway gw"))
        .contains("InvalidParameters")
        .doesNotContain("\"listeners\"");
    assertThat(viaClass.get("EnvoyProxy ep")).contains("InvalidParameters");

    Map<String, String> viaGateway = statuses("", epSpec, GATEWAY_REF);
    assertThat(viaGateway.get("Gateway gw")).contains("InvalidParameters").contains(message);
    assertThat(viaGateway.get("EnvoyProxy ep")).contains("InvalidParameters");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "missing service | telemetry: {metrics: {sinks: [{type: OpenTelemetry, openTelemetry:"
            + " {backendRefs: [{name: nope, namespace: monitoring, port: 4317}]}}]}}"
            + " | service monitoring/nope not found",
        "wrong port | telemetry: {tracing: {provider: {type: OpenTelemetry, backendRefs: [{name:"
            + " otel, namespace: monitoring, port: 9999}]}}} | TCP port 9999 not found",
        "udp port | telemetry: {accessLog: {settings: [{sinks: [{type: OpenTelemetry,"
            + " openTelemetry: {backendRefs: [{name: otel, namespace: monitoring, port: 53}]}}]}]}}"
            + " | TCP port 53 not found",
        "default namespace is the EnvoyProxy's | telemetry: {metrics: {sinks: [{type:"
            + " OpenTelemetry, openTelemetry: {backendRefs: [{name: otel, port: 4317}]}}]}}"
            + " | service default/otel not found",
        "unsupported kind | telemetry: {metrics: {sinks: [{type: OpenTelemetry, openTelemetry:"
            + " {backendRefs: [{kind: ConfigMap, name: otel, port: 4317}]}}]}}"
            + " | unsupported kind for backendRefs: ConfigMap",
        "bad CEL | telemetry: {accessLog: {settings: [{matches: ['response.code >= 400',"
            + " ')++'], sinks: [{type: File, file: {path: /dev/stdout}}]}]}}"
            + " | invalid CEL expression: )++",
      })
  void unresolvedTelemetryRejectsTheGatewayButKeepsItsListeners(
      String name, String epSpec, String message) throws Exception {
    Map<String, String> s = statuses(CLASS_REF, epSpec, "");
    assertThat(s.get("GatewayClass eg")).contains("\"reason\":\"Accepted\"");
    assertThat(s.get("Gateway gw"))
        .contains("InvalidParameters")
        .contains(message)
        .contains("\"name\":\"http\"");
  }

  @Test
  void resolvableTelemetryIsAccepted() throws Exception {
    Map<String, String> s =
        statuses(
            CLASS_REF,
            "telemetry: {accessLog: {settings: [{matches: [\"request.headers['a'] == 'b'\"],"
                + " sinks: [{type: OpenTelemetry, openTelemetry: {backendRefs: [{name: otel,"
                + " namespace: monitoring, port: 4317}]}}]}]}}",
            "");
    assertThat(s.get("Gateway gw"))
        .doesNotContain("InvalidParameters")
        .contains("\"name\":\"http\"");
    assertThat(s.get("EnvoyProxy ep")).contains("\"reason\":\"Accepted\"");
  }

  @Test
  void aMissingClassEnvoyProxyRejectsGatewaysWithoutTheirOwn() throws Exception {
    String missingRef =
        "parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, namespace: default,"
            + " name: absent}";
    assertThat(statuses(missingRef, "{}", "").get("Gateway gw")).contains("InvalidParameters");
    // A Gateway bringing its own valid EnvoyProxy does not use the class's.
    assertThat(statuses(missingRef, "{}", GATEWAY_REF).get("Gateway gw"))
        .doesNotContain("InvalidParameters")
        .contains("\"name\":\"http\"");
  }
}
