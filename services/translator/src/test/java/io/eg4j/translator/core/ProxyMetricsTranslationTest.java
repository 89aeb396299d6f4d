package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.TelemetryIr;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The xDS part of the EnvoyProxy {@code telemetry.metrics}: the cluster stat name of each route
 * rule ({@code clusterStatName} and its operators) and the optional virtual host, per-endpoint and
 * size stats.
 */
class ProxyMetricsTranslationTest {
  private static String manifests(String metrics) {
    return """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
          parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, namespace: default, name: ep}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyProxy
        metadata: {namespace: default, name: ep}
        spec:
          telemetry:
            metrics: %s
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {namespace: default, name: eg}
        spec:
          gatewayClassName: eg
          listeners: [{name: http, protocol: HTTP, port: 80}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {namespace: default, name: a}
        spec:
          clusterIP: 10.0.0.1
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {namespace: other, name: b}
        spec:
          clusterIP: 10.0.0.2
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {namespace: default, name: a-1, labels: {kubernetes.io/service-name: a}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints: [{addresses: [10.1.0.1], conditions: {ready: true}}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {namespace: other, name: b-1, labels: {kubernetes.io/service-name: b}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints: [{addresses: [10.1.0.2], conditions: {ready: true}}]
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: other}
        ---
        apiVersion: gateway.networking.k8s.io/v1beta1
        kind: ReferenceGrant
        metadata: {namespace: other, name: grant}
        spec:
          from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
          to: [{group: "", kind: Service}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: r}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - name: named
            matches: [{path: {type: PathPrefix, value: /one}}]
            backendRefs: [{name: a, port: 8080}, {name: b, namespace: other, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /two}}]
            backendRefs: [{name: a, port: 8080}]
        """
        .formatted(metrics);
  }

  private static XdsIr ir(String metrics) throws Exception {
    XdsIr ir = Translations.translate(manifests(metrics)).xdsIr().get("default/eg");
    assertThat(ir).isNotNull();
    return ir;
  }

  private static List<String> statNames(XdsIr ir) {
    List<String> out = new ArrayList<>();
    for (HttpRouteIr r : ir.http().get(0).routes()) {
      assertThat(r.destination()).as("route %s has a destination", r.name()).isNotNull();
      out.add(r.destination().name() + " -> " + r.destination().statName());
    }
    return out;
  }

  @Test
  void clusterStatNameOperatorsAreFilledInPerRule() throws Exception {
    XdsIr ir =
        ir(
            "{clusterStatName: \"%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%/%ROUTE_RULE_NAME%"
                + "/%ROUTE_RULE_NUMBER%/%BACKEND_REFS%\"}");
    assertThat(statNames(ir))
        .containsExactlyInAnyOrder(
            "httproute/default/r/rule/0 -> httproute/default/r/named/0/default/a|other/b",
            "httproute/default/r/rule/1 -> httproute/default/r/-/1/default/a");
  }

  @Test
  void withoutClusterStatNameClustersKeepTheirNamesAndNoStatsAreAdded() throws Exception {
    XdsIr ir = ir("{prometheus: {disable: true}}");
    assertThat(statNames(ir)).allMatch(s -> s.endsWith(" -> null"));
    assertThat(ir.telemetry()).isNull();
  }

  @Test
  void theOptionalStatsReachTheIr() throws Exception {
    XdsIr ir = ir("{enableVirtualHostStats: true, enableRequestResponseSizesStats: true}");
    assertThat(ir.telemetry().metrics()).isEqualTo(new TelemetryIr.MetricsIr(true, false, true));
    // Access logs and tracing keep Envoy Gateway's defaults.
    assertThat(ir.telemetry().accessLogs()).isNull();
    assertThat(ir.telemetry().tracing()).isNull();
  }
}
