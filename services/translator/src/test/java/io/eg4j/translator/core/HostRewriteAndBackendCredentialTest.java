package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.HttpRouteIr.UrlRewriteIr.HostRewriteIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HTTPRouteFilter {@code urlRewrite.hostname} (from a header, from the backend, by a path regex)
 * with {@code appendXForwardedHost}, and an HTTPRouteFilter credential injection on a backendRef:
 * the credential belongs to that backend's destination setting, not to the whole rule.
 */
class HostRewriteAndBackendCredentialTest {
  private static final String BASE =
      Translations.GATEWAY
          + Translations.WEB_SERVICE
          + """
      apiVersion: v1
      kind: Secret
      metadata: {namespace: default, name: cred}
      data: {credential: dG9rZW4=}
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: HTTPRouteFilter
      metadata: {namespace: default, name: cred}
      spec:
        credentialInjection:
          credential: {valueRef: {name: cred}}
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: HTTPRouteFilter
      metadata: {namespace: default, name: rewrite}
      spec:
        urlRewrite: %s
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: web}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - matches: [{path: {type: PathPrefix, value: /rw}}]
          filters:
          - type: ExtensionRef
            extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: rewrite}
          backendRefs: [{name: web, port: 8080}]
        - matches: [{path: {type: PathPrefix, value: /cred}}]
          backendRefs:
          - name: web
            port: 8080
            filters:
            - type: ExtensionRef
              extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: cred}
      """;

  private static List<HttpRouteIr> routes(String rewrite) throws Exception {
    TranslateResult r = Translations.translate(BASE.formatted(rewrite));
    return r.xdsIr().values().iterator().next().http().get(0).routes();
  }

  private static HttpRouteIr route(List<HttpRouteIr> routes, String prefix) {
    return routes.stream()
        .filter(r -> r.pathMatch() != null && r.pathMatch().value().startsWith(prefix))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void theHostComesFromAHeaderAndXForwardedHostIsKeptByDefault() throws Exception {
    HttpRouteIr r = route(routes("{hostname: {type: Header, header: x-up}}"), "/rw");
    assertThat(r.directResponse()).isNull();
    assertThat(r.rewrite().host()).isEqualTo(new HostRewriteIr("Header", "x-up", null, null));
    assertThat(r.rewrite().appendXForwardedHost()).isTrue();
  }

  @Test
  void theHostComesFromThePathOrTheBackendAndAppendCanBeTurnedOff() throws Exception {
    HttpRouteIr regex =
        route(
            routes(
                "{appendXForwardedHost: false, hostname: {type: PathRegex, pathRegex:"
                    + " {pattern: '^/rw/([a-z]+)', substitution: '\\1.svc'}}}"),
            "/rw");
    assertThat(regex.rewrite().host())
        .isEqualTo(new HostRewriteIr("PathRegex", null, "^/rw/([a-z]+)", "\\1.svc"));
    assertThat(regex.rewrite().appendXForwardedHost()).isFalse();
  }

  @Test
  void theBackendHostAndAnInvalidRegexFailsTheRuleClosed() throws Exception {
    HttpRouteIr backend = route(routes("{hostname: {type: Backend}}"), "/rw");
    assertThat(backend.rewrite().host().type()).isEqualTo("Backend");
    HttpRouteIr bad =
        route(
            routes("{hostname: {type: PathRegex, pathRegex: {pattern: '(', substitution: x}}}"),
            "/rw");
    assertThat(bad.rewrite()).isNull();
    assertThat(bad.directResponse().statusCode()).isEqualTo(500);
  }

  @Test
  void aBackendRefsCredentialStaysWithThatBackend() throws Exception {
    HttpRouteIr r = route(routes("{hostname: {type: Backend}}"), "/cred");
    assertThat(r.credentialInjection()).isNull();
    DestinationSettingIr s = r.destination().settings().get(0);
    assertThat(s.credentialInjection()).isNotNull();
    assertThat(s.credentialInjection().filter()).isEqualTo("httproutefilter/default/cred");
    assertThat(s.credentialInjection().credential()).isEqualTo("dG9rZW4=");
  }
}
