package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr;
import org.junit.jupiter.api.Test;

/** EnvoyProxy {@code telemetry.requestID.tracing} reaches the xDS IR of its Gateways. */
class TelemetryRequestIdTest {
  private static final String YAML =
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: default}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec:
        controllerName: gateway.envoyproxy.io/gatewayclass-controller
        parametersRef:
          {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: envoy-gateway-system}
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyProxy
      metadata: {namespace: envoy-gateway-system, name: proxy}
      spec:
        %s
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {namespace: default, name: gw}
      spec:
        gatewayClassName: eg
        listeners: [{name: http, protocol: HTTP, port: 80}]
      """;

  private static XdsIr ir(String spec) throws Exception {
    TranslateResult r = Translations.translate(YAML.formatted(spec));
    assertThat(r.xdsIr()).as(r.statuses().toString()).containsKey("default/gw");
    return r.xdsIr().get("default/gw");
  }

  @Test
  void theTracingSettingIsCarried() throws Exception {
    assertThat(ir("telemetry: {requestID: {tracing: Disable}}").telemetry().requestIdTracing())
        .isEqualTo("Disable");
    assertThat(ir("telemetry: {requestID: {tracing: Pack}}").telemetry().requestIdTracing())
        .isEqualTo("Pack");
  }

  @Test
  void withoutItThereIsNoSetting() throws Exception {
    XdsIr none = ir("logging: {level: {default: warn}}");
    assertThat(none.telemetry() == null || none.telemetry().requestIdTracing() == null).isTrue();
  }
}
