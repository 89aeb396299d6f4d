package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import org.junit.jupiter.api.Test;

/**
 * An HTTPRouteFilter's credentialInjection on a rule: the route carries the Secret's credential; a
 * Secret that is missing, lacks the credential key or lives in another namespace makes the rule
 * answer 500 and the route says why (it never reaches the backend without the credential).
 */
class CredentialInjectionTest {
  private static final String BASE =
      Translations.GATEWAY
          + """
      apiVersion: v1
      kind: Service
      metadata: {namespace: default, name: web}
      spec:
        ports: [{name: http, port: 8080, protocol: TCP}]
      ---
      apiVersion: v1
      kind: Secret
      metadata: {namespace: default, name: good}
      data: {credential: dG9rZW4=}
      ---
      apiVersion: v1
      kind: Secret
      metadata: {namespace: default, name: nokey}
      data: {other: dG9rZW4=}
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: HTTPRouteFilter
      metadata: {namespace: default, name: inject}
      spec:
        credentialInjection:
          header: x-api-key
          overwrite: true
          credential: {valueRef: %s}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: web}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - backendRefs: [{name: web, port: 8080}]
          filters:
          - type: ExtensionRef
            extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: inject}
      """;

  private static TranslateResult translate(String valueRef) throws Exception {
    return Translations.translate(BASE.formatted(valueRef));
  }

  private static String routeStatus(TranslateResult r) {
    return Translations.status(r, "HTTPRoute");
  }

  @Test
  void theSecretsCredentialReachesTheRoute() throws Exception {
    TranslateResult r = translate("{name: good}");
    HttpRouteIr route = Translations.firstRoute(r);
    // The Service has no endpoints here: 503, not the 500 of a credential that cannot be read.
    assertThat(route.directResponse() == null ? 0 : route.directResponse().statusCode())
        .isNotEqualTo(500);
    assertThat(route.credentialInjection().filter()).isEqualTo("httproutefilter/default/inject");
    assertThat(route.credentialInjection().header()).isEqualTo("x-api-key");
    assertThat(route.credentialInjection().overwrite()).isTrue();
    assertThat(route.credentialInjection().credential()).isEqualTo("dG9rZW4=");
    assertThat(routeStatus(r)).contains("\"ResolvedRefs\",\"status\":\"True\"");
    // The IR as printed never shows the credential.
    assertThat(route.credentialInjection().toString()).doesNotContain("dG9rZW4=");
    // On the bus it is sealed on its own before the IR is compressed (SecretMaterial).
    io.eg4j.model.bus.SecretBox box = new io.eg4j.model.bus.SecretBox("k1", new byte[32]);
    for (io.eg4j.model.ir.XdsIr ir : r.xdsIr().values()) {
      assertThat(new String(io.eg4j.model.bus.ContentHash.canonicalJson(ir), "UTF-8"))
          .contains("dG9rZW4=");
      assertThat(
              new String(
                  io.eg4j.model.bus.ContentHash.canonicalJson(
                      ir, io.eg4j.model.bus.SecretBox.class, box),
                  "UTF-8"))
          .doesNotContain("dG9rZW4=");
    }
  }

  @Test
  void aCredentialThatCannotBeReadFailsTheRuleClosed() throws Exception {
    for (String[] c :
        new String[][] {
          {"{name: missing}", "does not exist"},
          {"{name: nokey}", "has no credential key"},
          {"{name: good, namespace: other}", "another namespace"},
          {"{name: good, kind: ConfigMap}", "must be a Secret"}
        }) {
      TranslateResult r = translate(c[0]);
      HttpRouteIr route = Translations.firstRoute(r);
      assertThat(route.directResponse()).as(c[0]).isNotNull();
      assertThat(route.directResponse().statusCode()).isEqualTo(500);
      assertThat(route.credentialInjection()).isNull();
      assertThat(routeStatus(r)).as(c[0]).contains(c[1]);
    }
  }
}
