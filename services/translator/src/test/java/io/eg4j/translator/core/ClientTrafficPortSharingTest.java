package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Plain HTTP listeners on one port share an Envoy connection manager: a ClientTrafficPolicy is
 * refused when it would reach such a listener outside its targets (a sibling listener for a
 * sectionName target; another Gateway's listener when Gateways are merged), and accepted when the
 * port is its own.
 */
class ClientTrafficPortSharingTest {
  private static String status(boolean merged, String listeners, String target) throws Exception {
    String yaml =
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyProxy
        metadata: {namespace: default, name: ep}
        spec: {mergeGateways: %s}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
          parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, namespace: default, name: ep}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {namespace: default, name: a}
        spec:
          gatewayClassName: eg
          listeners: %s
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {namespace: default, name: b}
        spec:
          gatewayClassName: eg
          listeners: [{name: http, protocol: HTTP, port: 80, hostname: b.test}]
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: ClientTrafficPolicy
        metadata: {namespace: default, name: ctp}
        spec:
          targetRefs: [%s]
          timeout: {http: {requestReceivedTimeout: 5s}}
        """
            .formatted(merged, listeners, target);
    List<ObjectNode> docs =
        ManifestReader.read(
            "test", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    for (ResourceStatus s :
        new Translator(EnvoyGatewayConfig.defaults())
            .translate(ResourceSnapshot.of(docs))
            .statuses()) {
      if (s.key().kind().equals("ClientTrafficPolicy")) {
        return s.status().toString();
      }
    }
    return "";
  }

  private static final String ONE = "[{name: http, protocol: HTTP, port: 80, hostname: a.test}]";
  private static final String TWO =
      "[{name: http, protocol: HTTP, port: 80, hostname: a.test},"
          + " {name: other, protocol: HTTP, port: 80, hostname: c.test}]";
  private static final String GATEWAY_A =
      "{group: gateway.networking.k8s.io, kind: Gateway, name: a}";
  private static final String SECTION_HTTP =
      "{group: gateway.networking.k8s.io, kind: Gateway, name: a, sectionName: http}";

  @Test
  void aMergedGatewaysSharedPortIsRefused() throws Exception {
    assertThat(status(true, ONE, GATEWAY_A))
        .contains("Invalid")
        .contains("multiple http (non https) listeners (default/b/http) on the same port");
  }

  @Test
  void separateGatewaysDoNotShareAPort() throws Exception {
    assertThat(status(false, ONE, GATEWAY_A))
        .contains("Policy has been accepted")
        .doesNotContain("Invalid");
  }

  @Test
  void aWholeGatewayMayCoverItsOwnListenersOnOnePort() throws Exception {
    assertThat(status(false, TWO, GATEWAY_A)).doesNotContain("Invalid");
  }

  @Test
  void aSectionTargetIsRefusedWhenASiblingSharesItsPort() throws Exception {
    // Refused (an earlier rule already says the port's listeners share one connection manager).
    assertThat(status(false, TWO, SECTION_HTTP)).contains("\"reason\":\"Invalid\"");
  }
}
