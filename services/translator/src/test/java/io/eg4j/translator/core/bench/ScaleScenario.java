package io.eg4j.translator.core.bench;

/**
 * Writes the same shape as {@code ../shared/perf/gen-scale.py}: one GatewayClass, one Gateway with
 * an HTTP listener, Services with EndpointSlices, HTTPRoutes spread over hostnames and Services
 * with a path and a header match.
 */
final class ScaleScenario {
  private ScaleScenario() {}

  static String yaml(int routes, int hostnames, int services, int endpoints) {
    StringBuilder b = new StringBuilder();
    b.append(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata:
          name: eg
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: default
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: gw-0
          namespace: default
        spec:
          gatewayClassName: eg
          listeners:
          - name: http
            protocol: HTTP
            port: 80
        """);
    for (int s = 0; s < services; s++) {
      b.append("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-")
          .append(s)
          .append(
              "\n  namespace: default\nspec:\n  ports:\n  - name: http\n    port: 8080\n    protocol: TCP\n");
      b.append("---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: svc-")
          .append(s)
          .append("-1\n  namespace: default\n  labels:\n    kubernetes.io/service-name: svc-")
          .append(s)
          .append(
              "\naddressType: IPv4\nports:\n- name: http\n  port: 8080\n  protocol: TCP\nendpoints:\n");
      for (int e = 0; e < endpoints; e++) {
        b.append("- addresses: [10.")
            .append(s / 250)
            .append('.')
            .append(s % 250)
            .append('.')
            .append(e + 1)
            .append("]\n  conditions:\n    ready: true\n");
      }
    }
    for (int r = 0; r < routes; r++) {
      b.append(
              "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: route-")
          .append(r)
          .append(
              "\n  namespace: default\nspec:\n  parentRefs:\n  - name: gw-0\n  hostnames: [host-")
          .append(r % hostnames)
          .append(".example.com]\n  rules:\n  - matches:\n    - path: {type: PathPrefix, value: /r")
          .append(r)
          .append("}\n    - headers: [{name: x-route, value: \"")
          .append(r)
          .append("\"}]\n    backendRefs:\n    - name: svc-")
          .append(r % services)
          .append("\n      port: 8080\n");
    }
    return b.toString();
  }
}
