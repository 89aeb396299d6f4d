package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two rule classes as Envoy Gateway applies them: an HTTPRouteFilter direct response on a GRPCRoute
 * (ProcessGRPCFilters accepts ExtensionRef filters), and an ExternalName Service as a route backend
 * (resolved through its EndpointSlices like any Service: none, so BackendsAvailable=False and the
 * rule answers 503).
 */
class BackendAndFilterRulesTest {
  private static final String BASE =
      Translations.GATEWAY
          + """
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: HTTPRouteFilter
      metadata: {namespace: default, name: maintenance}
      spec:
        directResponse:
          contentType: text/plain
          statusCode: 503
          body: {type: Inline, inline: down for maintenance}
      ---
      apiVersion: v1
      kind: Service
      metadata: {namespace: default, name: external}
      spec:
        type: ExternalName
        externalName: example.com
        ports: [{name: http, port: 8080, protocol: TCP}]
      ---
      """;

  private static TranslateResult translate(String extra) throws Exception {
    return Translations.translate(BASE + extra);
  }

  private static List<HttpRouteIr> routes(TranslateResult r) {
    List<HttpRouteIr> out = new ArrayList<>();
    for (XdsIr ir : r.xdsIr().values()) {
      for (HttpListenerIr l : ir.http()) {
        out.addAll(l.routes());
      }
    }
    return out;
  }

  @Test
  void aGrpcRouteServesAnHttpRouteFilterDirectResponse() throws Exception {
    TranslateResult r =
        translate(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {namespace: default, name: g}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{method: {service: a.B}}]
                filters:
                - type: ExtensionRef
                  extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: maintenance}
              - matches: [{method: {service: a.C}}]
                filters:
                - type: ExtensionRef
                  extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: missing}
            """);
    List<HttpRouteIr> routes = routes(r);
    assertThat(routes).hasSize(2);
    HttpRouteIr served = routes.stream().filter(x -> x.name().contains("rule/0")).findFirst().get();
    assertThat(served.directResponse().statusCode()).isEqualTo(503);
    assertThat(served.directResponse().body()).isEqualTo("down for maintenance");
    // A filter that does not exist fails its rule closed, and says so.
    HttpRouteIr missing =
        routes.stream().filter(x -> x.name().contains("rule/1")).findFirst().get();
    assertThat(missing.directResponse().statusCode()).isEqualTo(500);
    assertThat(Translations.status(r, "GRPCRoute")).contains("default/missing");
  }

  @Test
  void anExternalNameServiceBackendHasNoEndpointsAndAnswers503() throws Exception {
    TranslateResult r =
        translate(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: h}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - backendRefs: [{name: external, port: 8080}]
            """);
    String status = Translations.status(r, "HTTPRoute");
    assertThat(status)
        .contains("\"type\":\"Accepted\",\"status\":\"True\"")
        .contains("\"type\":\"ResolvedRefs\",\"status\":\"True\"")
        .contains("EndpointsNotFound");
    assertThat(routes(r))
        .singleElement()
        .satisfies(x -> assertThat(x.directResponse().statusCode()).isEqualTo(503));
  }
}
