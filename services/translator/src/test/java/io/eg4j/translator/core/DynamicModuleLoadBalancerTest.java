package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * BackendTrafficPolicy {@code loadBalancer.type: DynamicModule}: the module comes from the
 * EnvoyProxy registry ({@code spec.dynamicModules}) of the Gateway of each route, with its source,
 * {@code doNotClose} and {@code loadGlobally}; the policy's {@code lbPolicyName} and {@code config}
 * (as JSON text) reach the route's cluster. A module a Gateway's EnvoyProxy does not register makes
 * the policy invalid with Envoy Gateway's message and its routes answer 500; a remote module is
 * refused (Envoy loads a load balancer's module only from a local file) and the policy is not
 * applied.
 */
class DynamicModuleLoadBalancerTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** GatewayClass, two Gateways (a, b) with their own EnvoyProxy (%s, %s), a route on each. */
  private static final String BASE =
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
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyProxy
      metadata: {namespace: default, name: proxy-a}
      spec:
      %s
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyProxy
      metadata: {namespace: default, name: proxy-b}
      spec:
      %s
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {namespace: default, name: a}
      spec:
        gatewayClassName: eg
        infrastructure:
          parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy-a}
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {namespace: default, name: b}
      spec:
        gatewayClassName: eg
        infrastructure:
          parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy-b}
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {namespace: default, name: web}
      spec:
        ports: [{name: http, port: 8080, protocol: TCP}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata:
        namespace: default
        name: web-1
        labels: {kubernetes.io/service-name: web}
      addressType: IPv4
      ports: [{name: http, port: 8080, protocol: TCP}]
      endpoints: [{addresses: [10.0.0.1, 10.0.0.2], conditions: {ready: true}}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: on-a}
      spec:
        parentRefs: [{name: a}]
        rules:
        - backendRefs: [{name: web, port: 8080}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: on-b}
      spec:
        parentRefs: [{name: b}]
        rules:
        - backendRefs: [{name: web, port: 8080}]
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: BackendTrafficPolicy
      metadata: {namespace: default, name: lb}
      spec:
        targetRefs: %s
        loadBalancer:
          type: DynamicModule
          dynamicModule:
      %s
      """;

  private static final String LOCAL_A =
      """
      dynamicModules:
      - name: balancer
        source: {type: Local, local: {path: /modules/a/libbalancer.so}}
        doNotClose: true
        loadGlobally: true
      - name: other
        source: {local: {path: /modules/a/libother.so}}
      """;

  private static final String LOCAL_B =
      """
      dynamicModules:
      - name: balancer
        source: {type: Local, local: {path: /modules/b/libbalancer.so}}
      """;

  private static final String BOTH_ROUTES =
      "[{group: gateway.networking.k8s.io, kind: HTTPRoute, name: on-a},"
          + " {group: gateway.networking.k8s.io, kind: HTTPRoute, name: on-b}]";

  private static final String ROUTE_A =
      "[{group: gateway.networking.k8s.io, kind: HTTPRoute, name: on-a}]";

  private static TranslateResult translate(
      String proxyA, String proxyB, String targets, String dynamicModule) throws Exception {
    return Translations.translate(
        BASE.formatted(proxyA.indent(2), proxyB.indent(2), targets, dynamicModule.indent(6)));
  }

  /** The route of HTTPRoute {@code name}. */
  private static HttpRouteIr route(TranslateResult r, String name) {
    List<String> seen = new ArrayList<>();
    for (XdsIr ir : r.xdsIr().values()) {
      for (HttpListenerIr l : ir.http()) {
        for (HttpRouteIr route : l.routes()) {
          seen.add(route.name());
          if (route.name().startsWith("httproute/default/" + name + "/")) {
            return route;
          }
        }
      }
    }
    throw new AssertionError("no route " + name + " in " + seen + "; " + r.statuses());
  }

  private static DynamicModuleIr module(HttpRouteIr route) {
    assertThat(route.directResponse()).isNull();
    var lb = route.destination().cluster().loadBalancer();
    assertThat(lb.type()).isEqualTo("DynamicModule");
    return lb.dynamicModule();
  }

  @Test
  void eachRouteLoadsTheModuleAsItsOwnGatewaysEnvoyProxyRegistersIt() throws Exception {
    TranslateResult r =
        translate(
            LOCAL_A,
            LOCAL_B,
            BOTH_ROUTES,
            "{name: balancer, lbPolicyName: pinned, config: {address: '10.0.0.2:8080', n: 2}}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("Accepted")
        .doesNotContain("Invalid");
    DynamicModuleIr a = module(route(r, "on-a"));
    assertThat(a.name()).isEqualTo("balancer");
    assertThat(a.filterName()).isEqualTo("pinned");
    assertThat(a.config()).isEqualTo("{\"address\":\"10.0.0.2:8080\",\"n\":2}");
    assertThat(a.path()).isEqualTo("/modules/a/libbalancer.so");
    assertThat(a.url()).isNull();
    assertThat(a.doNotClose()).isTrue();
    assertThat(a.loadGlobally()).isTrue();
    DynamicModuleIr b = module(route(r, "on-b"));
    assertThat(b.path()).isEqualTo("/modules/b/libbalancer.so");
    assertThat(b.filterName()).isEqualTo("pinned");
    assertThat(b.doNotClose()).isFalse();
    assertThat(b.loadGlobally()).isFalse();
  }

  @Test
  void withoutAConfigTheModuleGetsNone() throws Exception {
    TranslateResult r = translate(LOCAL_A, LOCAL_B, ROUTE_A, "{name: other, lbPolicyName: x}");
    DynamicModuleIr a = module(route(r, "on-a"));
    assertThat(a.path()).isEqualTo("/modules/a/libother.so");
    assertThat(a.config()).isNull();
    // The route on the other Gateway is not a target.
    assertThat(route(r, "on-b").destination().cluster()).isNull();
  }

  @Test
  void aModuleAGatewaysEnvoyProxyDoesNotRegisterMakesThePolicyInvalid() throws Exception {
    TranslateResult r =
        translate(LOCAL_A, LOCAL_B, BOTH_ROUTES, "{name: other, lbPolicyName: pinned}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("Invalid")
        .contains(
            "LoadBalancer: dynamic module \\\"other\\\" is not registered in the EnvoyProxy"
                + " dynamicModules allowlist");
    assertThat(route(r, "on-a").directResponse().statusCode()).isEqualTo(500);
    assertThat(route(r, "on-b").directResponse().statusCode()).isEqualTo(500);
  }

  @Test
  void aGatewayWithoutRegistryMakesThePolicyInvalid() throws Exception {
    TranslateResult r =
        translate("dynamicModules: []", LOCAL_B, ROUTE_A, "{name: balancer, lbPolicyName: pinned}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("Invalid")
        .contains("dynamic module \\\"balancer\\\" is not registered");
    assertThat(route(r, "on-a").directResponse().statusCode()).isEqualTo(500);
  }

  @Test
  void aRemoteModuleIsRefusedAndThePolicyIsNotApplied() throws Exception {
    String remote =
        """
        dynamicModules:
        - name: balancer
          source:
            type: Remote
            remote: {url: 'https://modules.example.com/lib.so', sha256: '%s'}
        """
            .formatted("ab".repeat(32));
    TranslateResult r = translate(remote, LOCAL_B, ROUTE_A, "{name: balancer, lbPolicyName: x}");
    assertThat(Translations.status(r, "BackendTrafficPolicy"))
        .contains("not supported by eg4j yet")
        .contains("Remote module sources require an init manager");
    HttpRouteIr a = route(r, "on-a");
    assertThat(a.directResponse()).isNull();
    assertThat(a.destination().cluster()).isNull();
  }

  @Test
  void aPolicysOwnBackendsTakeNoDynamicModuleBalancer() throws Exception {
    var bs =
        YAML.readTree(
            "loadBalancer: {type: DynamicModule, dynamicModule: {name: m, lbPolicyName: x}}\n");
    assertThatThrownBy(() -> ClusterSettingsTranslator.translate(bs, "spec.extAuth"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("not supported for a policy's own backends");
  }

  @Test
  void settingsTheCrdForbidsWithADynamicModuleAreRefusedNotIgnored() throws Exception {
    for (String other :
        List.of(
            "zoneAware: {preferLocal: {}}",
            "endpointOverride: {extractFrom: [{header: x-host}]}",
            "slowStart: {window: 5s}")) {
      var spec =
          YAML.readTree(
              "loadBalancer: {type: DynamicModule, dynamicModule: {name: m, lbPolicyName: x}, "
                  + other
                  + "}\n");
      assertThatThrownBy(() -> ClusterSettingsTranslator.translate(spec, "spec", true))
          .isInstanceOf(PolicyException.class)
          .hasMessageContaining("not supported for DynamicModule load balancers");
    }
    var missing = YAML.readTree("loadBalancer: {type: DynamicModule}\n");
    assertThatThrownBy(() -> ClusterSettingsTranslator.translate(missing, "spec", true))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("dynamicModule field needs to be set");
  }
}
