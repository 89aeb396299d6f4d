package io.eg4j.translator.core.nack;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One Gateway {@code default/eg} with listeners {@code http} (port 8080, two hostnames sharing the
 * port as {@code http} and {@code http-b}) and {@code http2} (port 8081), and two HTTPRoutes:
 * {@code app} with three rules (rule 1 sets the header value {@code %BOGUS%}) and {@code other}
 * with one, translated by the real core.
 */
final class NackFixtures {
  private NackFixtures() {}

  static final String YAML =
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: default}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: eg, namespace: default, generation: 3}
      spec:
        gatewayClassName: eg
        listeners:
          - {name: http, protocol: HTTP, port: 8080, hostname: a.test}
          - {name: http-b, protocol: HTTP, port: 8080, hostname: b.test}
          - {name: http2, protocol: HTTP, port: 8081}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: echo, namespace: default}
      spec:
        ports: [{name: http, port: 8080, protocol: TCP}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata:
        name: echo-1
        namespace: default
        labels: {kubernetes.io/service-name: echo}
      addressType: IPv4
      ports: [{name: http, port: 3000, protocol: TCP}]
      endpoints:
        - addresses: [10.0.0.1]
          conditions: {ready: true}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: app, namespace: default, generation: 2}
      spec:
        parentRefs: [{name: eg}]
        rules:
          - matches: [{path: {type: PathPrefix, value: /zero}}]
            backendRefs: [{name: echo, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /one}}]
            filters:
              - type: RequestHeaderModifier
                requestHeaderModifier:
                  set: [{name: x-test, value: "%BOGUS%"}]
            backendRefs: [{name: echo, port: 8080}]
          - matches: [{path: {type: PathPrefix, value: /two}}]
            backendRefs: [{name: echo, port: 8080}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: other, namespace: default}
      spec:
        parentRefs: [{name: eg}]
        rules:
          - matches: [{path: {type: PathPrefix, value: /other}}]
            backendRefs: [{name: echo, port: 8080}]
      """;

  static TranslateResult translate() {
    try {
      List<ObjectNode> docs =
          ManifestReader.read(
              "nack.yaml", new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8)));
      return new Translator(EnvoyGatewayConfig.defaults())
          .translate(ResourceSnapshot.of(new ArrayList<>(docs)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
