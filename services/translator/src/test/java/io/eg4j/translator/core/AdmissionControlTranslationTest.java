package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.AdmissionControlIr;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * BackendTrafficPolicy {@code admissionControl} reaches the route's backend cluster settings with
 * the CRD's names mapped to Envoy's (percentages, gRPC status numbers); values out of the CRD's
 * ranges make the policy Accepted=False and its routes answer 500; a TCPRoute target is refused
 * (the CRD's rule). ClientTrafficPolicy {@code headers.disableRateLimitHeaders} turns the
 * x-ratelimit-* headers of its listener's local rate limits off, unless a rule asks for them.
 */
class AdmissionControlTranslationTest {
  private static final String BASE =
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
      kind: BackendTrafficPolicy
      metadata: {namespace: default, name: btp}
      spec:
        targetRefs: %s
      %s
      ---
      %s
      """;

  private static TranslateResult translate(String kind, String name, String spec) throws Exception {
    return translate(
        "[{group: gateway.networking.k8s.io, kind: %s, name: %s}]".formatted(kind, name), spec);
  }

  private static TranslateResult translate(String targets, String spec) throws Exception {
    return translateWith(targets, spec, "");
  }

  private static TranslateResult translateWith(String targets, String spec, String more)
      throws Exception {
    return Translations.translate(BASE.formatted(targets, spec.indent(2), more));
  }

  @Test
  void theSettingsReachTheRoutesCluster() throws Exception {
    TranslateResult r =
        translate(
            "Gateway",
            "eg",
            """
            admissionControl:
              samplingWindow: 1m30s
              minSuccessRate: 90
              rejectionAggression: 2
              minRequestRate: 10
              maxRejectionPercent: 70
              successCriteria:
                http: {statusCodes: [200, 204]}
                grpc: {statusCodes: [Ok, DeadlineExceeded, Unauthenticated]}
            """);
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    AdmissionControlIr ac = Translations.firstRoute(r).destination().cluster().admissionControl();
    assertThat(ac)
        .isEqualTo(
            new AdmissionControlIr(
                new io.eg4j.model.ir.DurationIr(90_000),
                90,
                2,
                10,
                70,
                List.of(200, 204),
                List.of(0, 4, 16)));
  }

  @Test
  void anEmptyAdmissionControlTurnsItOnWithEnvoysDefaults() throws Exception {
    TranslateResult r = translate("HTTPRoute", "web", "admissionControl: {}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    assertThat(Translations.firstRoute(r).destination().cluster().admissionControl())
        .isEqualTo(new AdmissionControlIr(null, null, null, null, null, List.of(), List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "minSuccessRate: 0|spec.admissionControl.minSuccessRate: must be between 1 and 100",
        "maxRejectionPercent: 101|spec.admissionControl.maxRejectionPercent",
        "rejectionAggression: 0|spec.admissionControl.rejectionAggression: must be at least 1",
        "samplingWindow: 500ms|samplingWindow must be at least 1s",
        "samplingWindow: soon|spec.admissionControl.samplingWindow: invalid duration",
        "'successCriteria: {http: {statusCodes: [99]}}'|invalid HTTP status 99",
        "'successCriteria: {grpc: {statusCodes: [Fine]}}'|unknown gRPC status Fine"
      })
  void valuesOutOfTheCrdsRangesFailTheRoutesClosed(String setting, String message)
      throws Exception {
    TranslateResult r = translate("HTTPRoute", "web", "admissionControl: {" + setting + "}");
    String status = Translations.status(r, "BackendTrafficPolicy");
    assertThat(status).contains("\"type\":\"Accepted\",\"status\":\"False\"").contains(message);
    HttpRouteIr route = Translations.firstRoute(r);
    assertThat(route.directResponse()).isNotNull();
    assertThat(route.directResponse().statusCode()).isEqualTo(500);
  }

  @Test
  void aTcpRouteTargetIsRefused() throws Exception {
    TranslateResult r =
        translate(
            "[{group: gateway.networking.k8s.io, kind: HTTPRoute, name: web},"
                + " {group: gateway.networking.k8s.io, kind: TCPRoute, name: tcp}]",
            "admissionControl: {minSuccessRate: 90}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"False\"")
        .contains("admissionControl can only be used with HTTPRoute, GRPCRoute");
    HttpRouteIr route = Translations.firstRoute(r);
    assertThat(route.destination() == null ? null : route.destination().cluster()).isNull();
  }

  private static final String LOCAL_LIMIT =
      """
      rateLimit:
        type: Local
        local:
          rules:
          - limit: {requests: 10, unit: Minute}
            %s
      """;

  private static final String CTP =
      """
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: ClientTrafficPolicy
      metadata: {namespace: default, name: ctp}
      spec:
        targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
        headers: {disableRateLimitHeaders: %s}
      """;

  @ParameterizedTest(name = "disable={0}, rule={1}")
  @CsvSource({"false,,true", "true,,false", "true,xRateLimitHeaders: DraftVersion03,true"})
  void theListenersSwitchTurnsTheLocalHeadersOffUnlessARuleAsks(
      boolean disable, String rule, boolean headers) throws Exception {
    TranslateResult r =
        translateWith(
            "[{group: gateway.networking.k8s.io, kind: HTTPRoute, name: web}]",
            LOCAL_LIMIT.formatted(rule == null ? "" : rule),
            CTP.formatted(disable));
    assertThat(Translations.status(r, "ClientTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    assertThat(Translations.firstRoute(r).traffic().localRateLimit().rateLimitHeaders())
        .isEqualTo(headers);
  }
}
