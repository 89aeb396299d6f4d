package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import org.junit.jupiter.api.Test;

/**
 * EnvoyExtensionPolicy {@code extProc[].statusOnError}: accepted and carried to the processor's IR
 * (Envoy's ext_proc {@code status_on_error}); a value that is no 4xx or 5xx status is refused.
 */
class ExtProcStatusOnErrorTest {
  private static final String BASE =
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
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: r}
      spec:
        parentRefs: [{name: eg}]
        rules: [{backendRefs: [{name: authz, port: 9000}]}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {namespace: default, name: authz}
      spec: {ports: [{name: grpc, port: 9000, protocol: TCP}]}
      ---
      """;

  private static HttpRouteIr route(TranslateResult r) {
    for (XdsIr ir : r.xdsIr().values()) {
      for (HttpListenerIr l : ir.http()) {
        return l.routes().get(0);
      }
    }
    throw new AssertionError("no route: " + r.statuses());
  }

  private static TranslateResult translate(String processor) throws Exception {
    return Translations.translate(
        BASE
            + """
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: EnvoyExtensionPolicy
            metadata: {namespace: default, name: eep}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
              extProc:
            """
            + processor.indent(2));
  }

  @Test
  void theStatusReachesTheProcessorsIr() throws Exception {
    TranslateResult r =
        translate(
            """
            - backendRefs: [{name: authz, port: 9000}]
              statusOnError: 503
            - backendRefs: [{name: authz, port: 9000}]
            """);
    assertThat(Translations.status(r, "EnvoyExtensionPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    assertThat(route(r).extensions().extProc().get(0).statusOnError()).isEqualTo(503);
    assertThat(route(r).extensions().extProc().get(1).statusOnError())
        .as("unset: Envoy's default, 500")
        .isZero();
  }

  @Test
  void aStatusThatIsNoErrorIsRefused() throws Exception {
    TranslateResult r =
        translate(
            """
            - backendRefs: [{name: authz, port: 9000}]
              statusOnError: 200
            """);
    assertThat(Translations.status(r, "EnvoyExtensionPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"False\"")
        .contains("spec.extProc[0].statusOnError: not a 4xx or 5xx status: 200");
  }
}
