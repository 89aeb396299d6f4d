package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A field Envoy Gateway accepts but no Envoy setting can carry — the per-try timeout of the calls a
 * SecurityPolicy or EnvoyExtensionPolicy makes to its own services (Envoy's retry policy for them
 * has none), the key of a consistent hash for those calls (Envoy makes them itself, with no client
 * to hash) — is accepted as Envoy Gateway accepts it, the rest of the policy reaches Envoy, and
 * every ancestor carries a Warning that names the field. It is never dropped silently.
 */
class DeclinedFieldsTest {
  private static final String BASE =
      Translations.GATEWAY
          + """
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

  private static final String RETRY =
      """
          backendSettings:
            retry:
              numRetries: 2
              retryOn: {triggers: [unavailable]}
              perRetry:
                timeout: 3s
                backOff: {baseInterval: 0.2s, maxInterval: 3s}
      """;

  @Test
  void anExtAuthPerTryTimeoutIsAcceptedWithAWarningAndTheRestIsServed() throws Exception {
    TranslateResult r =
        Translations.translate(
            BASE
                + """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: SecurityPolicy
                metadata: {namespace: default, name: sp}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
                  extAuth:
                    grpc:
                      backendRefs: [{name: authz, port: 9000}]
                """
                + RETRY.indent(2));
    String status = Translations.status(r, "SecurityPolicy");
    assertThat(status)
        .contains("\"type\":\"Accepted\",\"status\":\"True\"")
        .contains("FieldNotApplied")
        .contains("spec.extAuth.grpc.backendSettings.retry.perRetry.timeout is not applied");
    assertThat(Translations.firstRoute(r).security()).isNotNull();
    assertThat(Translations.firstRoute(r).security().extAuth()).isNotNull();
    assertThat(Translations.firstRoute(r).security().extAuth().retry().numRetries()).isEqualTo(2);
  }

  @Test
  void anExtProcPerTryTimeoutIsAcceptedWithAWarning() throws Exception {
    TranslateResult r =
        Translations.translate(
            BASE
                + """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: EnvoyExtensionPolicy
                metadata: {namespace: default, name: eep}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
                  extProc:
                  - backendRefs: [{name: authz, port: 9000}]
                """
                + RETRY);
    String status = Translations.status(r, "EnvoyExtensionPolicy");
    assertThat(status)
        .contains("\"type\":\"Accepted\",\"status\":\"True\"")
        .contains("spec.extProc[0].backendSettings.retry.perRetry.timeout is not applied");
    assertThat(Translations.firstRoute(r).extensions().extProc()).hasSize(1);
  }

  @Test
  void aConsistentHashKeyOnAPolicysOwnBackendIsAcceptedWithAWarning() throws Exception {
    for (String key :
        java.util.List.of(
            "{type: SourceIP}",
            "{type: Header, header: {name: x-user}}",
            "{type: Cookie, cookie: {name: c}}")) {
      TranslateResult r =
          Translations.translate(
              BASE
                  + """
                  apiVersion: gateway.envoyproxy.io/v1alpha1
                  kind: EnvoyExtensionPolicy
                  metadata: {namespace: default, name: eep}
                  spec:
                    targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
                    extProc:
                    - backendRefs: [{name: authz, port: 9000}]
                      backendSettings:
                        loadBalancer: {type: ConsistentHash, consistentHash: %s}
                  """
                      .formatted(key));
      String status = Translations.status(r, "EnvoyExtensionPolicy");
      assertThat(status)
          .as(key)
          .contains("\"type\":\"Accepted\",\"status\":\"True\"")
          .contains("FieldNotApplied")
          .contains(
              "spec.extProc[0].backendSettings.loadBalancer.consistentHash is not applied: the"
                  + " calls of this filter are Envoy's own requests");
      // The rest of the policy is served.
      assertThat(Translations.firstRoute(r).extensions().extProc()).as(key).hasSize(1);
    }
  }

  @Test
  void aDeclinedSettingJoinsEnvoyGatewaysOwnWarningWithoutChangingItsReason() throws Exception {
    TranslateResult r =
        Translations.translate(
            BASE
                + """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: EnvoyExtensionPolicy
                metadata: {namespace: default, name: eep}
                spec:
                  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}
                  extProc:
                  - backendRefs: [{name: authz, port: 9000}]
                    backendSettings:
                      loadBalancer:
                        type: ConsistentHash
                        consistentHash: {type: Header, header: {name: x-user}}
                """);
    String status = Translations.status(r, "EnvoyExtensionPolicy");
    // Envoy Gateway writes DeprecatedField for the targetRef; eg4j's notice adds to the message
    // only.
    assertThat(status)
        .contains("\"type\":\"Accepted\",\"status\":\"True\"")
        .contains("\"reason\":\"DeprecatedField\"")
        .doesNotContain("FieldNotApplied")
        .contains("The targetRef field is deprecated, use targetRefs instead; spec.extProc[0]")
        .contains("loadBalancer.consistentHash is not applied");
  }

  @Test
  void twoDeclinedSettingsAreBothNamedInOneWarning() throws Exception {
    TranslateResult r =
        Translations.translate(
            BASE
                + """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: SecurityPolicy
                metadata: {namespace: default, name: sp}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
                  extAuth:
                    grpc:
                      backendRefs: [{name: authz, port: 9000}]
                      backendSettings:
                        loadBalancer: {type: ConsistentHash, consistentHash: {type: SourceIP}}
                        retry:
                          perRetry: {timeout: 3s}
                """);
    String status = Translations.status(r, "SecurityPolicy");
    assertThat(status)
        .contains("\"type\":\"Accepted\",\"status\":\"True\"")
        .contains("spec.extAuth.grpc.backendSettings.loadBalancer.consistentHash is not applied")
        .contains("spec.extAuth.grpc.backendSettings.retry.perRetry.timeout is not applied");
  }

  @Test
  void aPolicyWithoutTheFieldHasNoWarning() throws Exception {
    TranslateResult r =
        Translations.translate(
            BASE
                + """
                apiVersion: gateway.envoyproxy.io/v1alpha1
                kind: SecurityPolicy
                metadata: {namespace: default, name: sp}
                spec:
                  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
                  extAuth:
                    grpc:
                      backendRefs: [{name: authz, port: 9000}]
                """);
    assertThat(Translations.status(r, "SecurityPolicy")).doesNotContain("Warning");
  }
}
