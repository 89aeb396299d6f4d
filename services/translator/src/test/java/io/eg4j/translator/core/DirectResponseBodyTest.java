package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import org.junit.jupiter.api.Test;

/**
 * HTTPRouteFilter direct responses as the CRD defines them: the body inline or from a ConfigMap in
 * the filter's namespace (its {@code response.body} key, else its first value), at most 4 KiB; the
 * response header modifier is applied to the direct response. A body that cannot be read makes the
 * rule answer 500 and the route not Accepted, naming the reason, as Envoy Gateway does.
 */
class DirectResponseBodyTest {
  private static final String BASE =
      Translations.GATEWAY
          + """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: r}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - filters:
          - type: ExtensionRef
            extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: f}
      ---
      """;

  private static TranslateResult translate(String filterSpec, String extra) throws Exception {
    return Translations.translate(
        BASE
            + """
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: HTTPRouteFilter
            metadata: {namespace: default, name: f}
            spec:
            """
            + filterSpec.indent(2)
            + "---\n"
            + extra);
  }

  private static final String VALUE_REF =
      """
      directResponse:
        statusCode: 503
        contentType: text/plain
        body: {type: ValueRef, valueRef: {group: "", kind: ConfigMap, name: page}}
      """;

  @Test
  void theBodyComesFromTheConfigMapsResponseBodyKey() throws Exception {
    TranslateResult r =
        translate(
            VALUE_REF,
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: page}
            data: {a-first: not this one, response.body: down for maintenance}
            """);
    HttpRouteIr.DirectResponseIr dr = Translations.firstRoute(r).directResponse();
    assertThat(dr.statusCode()).isEqualTo(503);
    assertThat(dr.body()).isEqualTo("down for maintenance");
    assertThat(dr.contentType()).isEqualTo("text/plain");
    assertThat(Translations.status(r, "HTTPRoute")).contains("\"reason\":\"Accepted\"");
  }

  @Test
  void withoutTheKeyTheFirstValueIsTheBody() throws Exception {
    TranslateResult r =
        translate(
            VALUE_REF,
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: page}
            data: {zz: last, body.html: <p>first</p>}
            """);
    assertThat(Translations.firstRoute(r).directResponse().body()).isEqualTo("<p>first</p>");
  }

  @Test
  void aMissingConfigMapFailsTheRuleWithA500AndSaysWhy() throws Exception {
    TranslateResult r = translate(VALUE_REF, "");
    HttpRouteIr.DirectResponseIr dr = Translations.firstRoute(r).directResponse();
    assertThat(dr.statusCode()).isEqualTo(500);
    assertThat(dr.body()).isNull();
    String status = Translations.status(r, "HTTPRoute");
    assertThat(status)
        .contains("UnsupportedValue")
        .contains("can't find the referenced configmap page");
  }

  @Test
  void aBodyOverFourKibibytesIsRefused() throws Exception {
    TranslateResult r =
        translate(
            VALUE_REF,
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {namespace: default, name: page}
            data: {response.body: %s}
            """
                .formatted("x".repeat(4097)));
    assertThat(Translations.firstRoute(r).directResponse().statusCode()).isEqualTo(500);
    assertThat(Translations.status(r, "HTTPRoute"))
        .contains("response.body size 4097 greater than the max size 4096");
  }

  @Test
  void theHeaderModifierIsAppliedToTheDirectResponse() throws Exception {
    TranslateResult r =
        translate(
            """
            directResponse:
              statusCode: 429
              body: {type: Inline, inline: slow down}
              header:
                set: [{name: retry-after, value: "30"}]
                add: [{name: x-reason, value: quota}]
            """,
            "");
    HttpRouteIr route = Translations.firstRoute(r);
    assertThat(route.directResponse().body()).isEqualTo("slow down");
    assertThat(route.responseHeaders().set()).containsEntry("retry-after", "30");
    assertThat(route.responseHeaders().add()).containsEntry("x-reason", "quota");
  }
}
