package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Empty objects in a policy, as a user writes {@code retry: {}} to turn retries on with their
 * defaults or leaves {@code timeout: {}} behind: the policy is Accepted with the defaults in
 * effect, as in Envoy Gateway. Before, the fail-closed walker refused every empty object that was
 * not listed on its own ("not supported by eg4j yet: spec.retry"). An empty object that cannot work
 * is refused with the reason.
 */
class EmptyPolicyObjectsTest {
  private static final String MANIFESTS =
      Translations.GATEWAY
          + Translations.WEB_SERVICE
          + """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: web}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - backendRefs: [{name: web, port: 8080}]
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: %s
      metadata: {namespace: default, name: p}
      spec:
        targetRefs: [{group: gateway.networking.k8s.io, kind: %s, name: %s}]
        %s
      """;

  private static TranslateResult translate(String kind, String spec) throws Exception {
    boolean client = kind.equals("ClientTrafficPolicy");
    return Translations.translate(
        MANIFESTS.formatted(kind, client ? "Gateway" : "HTTPRoute", client ? "eg" : "web", spec));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "BackendTrafficPolicy | 'timeout: {}'",
        "BackendTrafficPolicy | 'timeout: {http: {}, tcp: {}}'",
        "BackendTrafficPolicy | 'telemetry: {metrics: {}, tracing: {}}'",
        "BackendTrafficPolicy | 'healthCheck: {}'",
        "BackendTrafficPolicy | 'dns: {}'",
        "BackendTrafficPolicy | 'http2: {}'",
        "BackendTrafficPolicy | 'connection: {preconnect: {}}'",
        "ClientTrafficPolicy | 'timeout: {http: {}, tcp: {}}'",
        "ClientTrafficPolicy | 'http1: {}'",
        "ClientTrafficPolicy | 'http2: {}'",
        "ClientTrafficPolicy | 'path: {}'",
        "ClientTrafficPolicy | 'grpc: {}'",
        "ClientTrafficPolicy | 'headers: {earlyRequestHeaders: {}, lateResponseHeaders: {}}'",
        "SecurityPolicy | 'cors: {}'",
      })
  void anEmptyObjectIsAccepted(String kind, String spec) throws Exception {
    TranslateResult r = translate(kind, spec);
    assertThat(Translations.status(r, kind)).contains("\"type\":\"Accepted\",\"status\":\"True\"");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {"'retry: {}'", "'retry: {perRetry: {backOff: {}}, retryOn: {}}'"})
  void emptyRetriesRetryTwiceAsEnvoyGatewayDoes(String spec) throws Exception {
    TranslateResult r = translate("BackendTrafficPolicy", spec);
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    HttpRouteIr route = Translations.firstRoute(r);
    assertThat(route.traffic().retry().numRetries()).isEqualTo(2);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {"'healthCheck: {passive: {}}'"})
  void anEmptyPassiveCheckEjectsWithDefaults(String spec) throws Exception {
    TranslateResult r = translate("BackendTrafficPolicy", spec);
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    assertThat(Translations.firstRoute(r).destination().cluster().passiveHealthCheck()).isNotNull();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "BackendTrafficPolicy | 'requestBuffer: {}' | spec.requestBuffer.limit: must be set",
        // Envoy refuses HTTP/2 PINGs without a timeout (the listener would be rejected).
        "ClientTrafficPolicy | 'http2: {connectionKeepalive: {}}' | connectionKeepalive.timeout:"
            + " required",
        "ClientTrafficPolicy | 'http2: {connectionKeepalive: {interval: 10s}}' |"
            + " connectionKeepalive.timeout: required",
      })
  void anObjectThatCannotWorkIsRefusedWithTheReason(String kind, String spec, String reason)
      throws Exception {
    TranslateResult r = translate(kind, spec);
    assertThat(Translations.status(r, kind))
        .contains("\"type\":\"Accepted\",\"status\":\"False\"")
        .contains(reason);
  }
}
