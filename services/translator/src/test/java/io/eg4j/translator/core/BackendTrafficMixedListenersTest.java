package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.XdsIr;
import org.junit.jupiter.api.Test;

/**
 * A BackendTrafficPolicy on a Gateway (or one of its listeners) that has HTTP and TCP listeners: as
 * in Envoy Gateway, the HTTP settings (here retries) act on the HTTP routes, the cluster settings
 * (here a circuit breaker) on every route, and the policy is Accepted. Only a target without any
 * HTTP listener leaves the HTTP settings nowhere to act, and is refused with a message that says so
 * (fail closed: no Accepted field without configuration behind it).
 */
class BackendTrafficMixedListenersTest {
  private static final String MANIFESTS =
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
        listeners: %s
      ---
      """
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
      apiVersion: gateway.networking.k8s.io/v1
      kind: TCPRoute
      metadata: {namespace: default, name: db}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - backendRefs: [{name: web, port: 8080}]
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: BackendTrafficPolicy
      metadata: {namespace: default, name: btp}
      spec:
        targetRefs: [%s]
        retry: {numRetries: 3}
        circuitBreaker: {maxConnections: 7}
      """;

  private static final String MIXED =
      "[{name: http, protocol: HTTP, port: 80}, {name: tcp, protocol: TCP, port: 9000}]";
  private static final String TCP_ONLY = "[{name: tcp, protocol: TCP, port: 9000}]";

  private static TranslateResult translate(String listeners, String target) throws Exception {
    return Translations.translate(MANIFESTS.formatted(listeners, target));
  }

  private static TcpListenerIr.TcpRouteIr tcpRoute(TranslateResult r) {
    for (XdsIr ir : r.xdsIr().values()) {
      for (TcpListenerIr l : ir.tcp()) {
        if (!l.routes().isEmpty()) {
          return l.routes().get(0);
        }
      }
    }
    throw new AssertionError("no TCP route; statuses: " + r.statuses());
  }

  private static Long maxConnections(ClusterSettingsIr c) {
    return c == null || c.circuitBreaker() == null ? null : c.circuitBreaker().maxConnections();
  }

  @Test
  void onAGatewayWithHttpAndTcpListenersRetriesReachTheHttpRouteAndTheBreakerBoth()
      throws Exception {
    TranslateResult r =
        translate(MIXED, "{group: gateway.networking.k8s.io, kind: Gateway, name: eg}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    HttpRouteIr http = Translations.firstRoute(r);
    assertThat(http.traffic().retry().numRetries()).isEqualTo(3);
    assertThat(maxConnections(http.destination().cluster())).isEqualTo(7L);
    assertThat(maxConnections(tcpRoute(r).destination().cluster())).isEqualTo(7L);
  }

  @Test
  void onTheHttpListenerOfAMixedGatewayThePolicyIsAccepted() throws Exception {
    TranslateResult r =
        translate(
            MIXED,
            "{group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: http}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"True\"");
    assertThat(Translations.firstRoute(r).traffic().retry().numRetries()).isEqualTo(3);
    // The TCP listener is not targeted: its route keeps Envoy's defaults.
    assertThat(maxConnections(tcpRoute(r).destination().cluster())).isNull();
  }

  @Test
  void onTheTcpListenerAloneRetriesHaveNowhereToActAndThePolicyIsRefused() throws Exception {
    TranslateResult r =
        translate(
            MIXED, "{group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: tcp}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"False\"")
        .contains("act on HTTP and gRPC routes only")
        .contains("Gateway eg section tcp has no HTTP or HTTPS listener");
    assertThat(maxConnections(tcpRoute(r).destination().cluster())).isNull();
  }

  @Test
  void onAGatewayWithoutHttpListenersThePolicyIsRefusedAndNothingApplied() throws Exception {
    TranslateResult r =
        translate(TCP_ONLY, "{group: gateway.networking.k8s.io, kind: Gateway, name: eg}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("\"type\":\"Accepted\",\"status\":\"False\"")
        .contains("Gateway eg has no HTTP or HTTPS listener");
    assertThat(maxConnections(tcpRoute(r).destination().cluster())).isNull();
  }
}
