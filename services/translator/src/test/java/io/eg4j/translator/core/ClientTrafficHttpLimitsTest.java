package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.traffic.HttpConnectionLimitsIr;
import org.junit.jupiter.api.Test;

/**
 * ClientTrafficPolicy HTTP connection limits ({@code connection.connectionLimit}'s duration and
 * request limits, {@code timeout.http.requestHeadersReceivedTimeout}) reach the listener; a limit
 * of no request is refused.
 */
class ClientTrafficHttpLimitsTest {
  private static final String BASE =
      Translations.GATEWAY
          + """
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: ClientTrafficPolicy
      metadata: {namespace: default, name: ctp}
      spec:
        targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
      %s
      """;

  private static TranslateResult translate(String spec) throws Exception {
    return Translations.translate(BASE.formatted(spec.indent(2)));
  }

  private static HttpConnectionLimitsIr limits(TranslateResult r) {
    return r.xdsIr().values().iterator().next().http().get(0).client().httpLimits();
  }

  @Test
  void theLimitsReachTheListener() throws Exception {
    TranslateResult r =
        translate(
            """
            connection:
              connectionLimit: {maxConnectionDuration: 10m, maxRequestsPerConnection: 100,
                maxStreamDuration: 30s}
            timeout: {http: {requestHeadersReceivedTimeout: 5s}}
            """);
    assertThat(Translations.status(r, "ClientTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    assertThat(limits(r))
        .isEqualTo(
            new HttpConnectionLimitsIr(
                new DurationIr(5_000),
                new DurationIr(600_000),
                100L,
                new DurationIr(30_000),
                true));
  }

  @Test
  void theSafeHttp1CloseCanBeTurnedOff() throws Exception {
    TranslateResult r =
        translate(
            """
            connection: {connectionLimit: {maxConnectionDuration: 1m}}
            http1: {disableSafeMaxConnectionDuration: true}
            """);
    assertThat(limits(r).http1SafeMaxConnectionDuration()).isFalse();
    assertThat(limits(r).maxConnectionDuration()).isEqualTo(new DurationIr(60_000));
  }

  @Test
  void noRequestPerConnectionIsRefused() throws Exception {
    TranslateResult r = translate("connection: {connectionLimit: {maxRequestsPerConnection: 0}}");
    assertThat(Translations.status(r, "ClientTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"False\"")
        .contains("maxRequestsPerConnection: must be at least 1");
  }
}
