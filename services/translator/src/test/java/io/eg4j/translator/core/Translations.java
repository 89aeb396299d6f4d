package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Test helpers: translate inline manifests with the default configuration, read a status, take the
 * first route of the xDS IR.
 */
final class Translations {
  private Translations() {}

  /**
   * The preamble most translator tests start from: GatewayClass {@code eg} of Envoy Gateway's
   * controller, Namespace {@code default} and Gateway {@code default/eg} with one plain HTTP
   * listener {@code http} on port 80; ends with a document separator.
   */
  static final String GATEWAY =
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
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      """;

  /**
   * Service {@code default/web} (port 8080, named {@code http}) with one ready endpoint, 10.0.0.1,
   * in EndpointSlice {@code web-1}; ends with a document separator.
   */
  static final String WEB_SERVICE =
      """
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
      endpoints: [{addresses: [10.0.0.1], conditions: {ready: true}}]
      ---
      """;

  /** The first route of the first HTTP listener of the xDS IR; fails naming the statuses. */
  static HttpRouteIr firstRoute(TranslateResult r) {
    for (XdsIr ir : r.xdsIr().values()) {
      for (HttpListenerIr l : ir.http()) {
        if (!l.routes().isEmpty()) {
          return l.routes().get(0);
        }
      }
    }
    throw new AssertionError("no route; statuses: " + r.statuses());
  }

  /** Translates multi-document YAML with {@link EnvoyGatewayConfig#defaults()}. */
  static TranslateResult translate(String yaml) throws IOException {
    List<ObjectNode> docs =
        ManifestReader.read(
            "test", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    return new Translator(EnvoyGatewayConfig.defaults()).translate(ResourceSnapshot.of(docs));
  }

  /** The JSON of the first status of {@code kind}, or "" when there is none. */
  static String status(TranslateResult r, String kind) {
    for (ResourceStatus s : r.statuses()) {
      if (s.key().kind().equals(kind)) {
        return s.status().toString();
      }
    }
    return "";
  }
}
