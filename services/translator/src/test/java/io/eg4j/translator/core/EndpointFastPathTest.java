package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.ProxyNames;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The EndpointSlice fast path gives the same IR as a full translation, or declines. */
class EndpointFastPathTest {
  private static final String BASE =
      Translations.GATEWAY
          + """
      apiVersion: v1
      kind: Service
      metadata: {namespace: default, name: web}
      spec:
        ports: [{name: http, port: 8080, protocol: TCP}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {namespace: default, name: web}
      spec:
        parentRefs: [{name: eg}]
        rules:
        - backendRefs: [{name: web, port: 8080}]
      """;

  private static String slice(String... addresses) {
    return """
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          namespace: default
          name: web-1
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - addresses: %s
        """
        .formatted(List.of(addresses).toString());
  }

  private static ResourceSnapshot snapshot(String yaml) throws IOException {
    List<ObjectNode> docs =
        ManifestReader.read(
            "test", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    return ResourceSnapshot.of(docs);
  }

  @Test
  void refreshesEndpointsLikeAFullTranslation() throws IOException {
    Translator t = new Translator(EnvoyGatewayConfig.defaults());
    ResourceSnapshot before = snapshot(BASE + slice("10.0.0.1"));
    ResourceSnapshot after = snapshot(BASE + slice("10.0.0.2", "10.0.0.3"));
    assertThat(EndpointFastPath.onlyEndpointSlicesChanged(before, after)).isTrue();
    TranslateResult previous = t.translate(before);
    Optional<TranslateResult> fast =
        EndpointFastPath.apply(previous, after, EnvoyGatewayConfig.defaults());
    assertThat(fast).isPresent();
    assertThat(fast.get().xdsIr()).isEqualTo(t.translate(after).xdsIr());
    assertThat(fast.get().xdsIr()).isNotEqualTo(previous.xdsIr());
  }

  @Test
  void declinesWhenABackendLosesAllEndpoints() throws IOException {
    Translator t = new Translator(EnvoyGatewayConfig.defaults());
    TranslateResult previous = t.translate(snapshot(BASE + slice("10.0.0.1")));
    Optional<TranslateResult> fast =
        EndpointFastPath.apply(previous, snapshot(BASE), EnvoyGatewayConfig.defaults());
    assertThat(fast).isEmpty();
  }

  @Test
  void detectsOtherChanges() throws IOException {
    ResourceSnapshot before = snapshot(BASE + slice("10.0.0.1"));
    ResourceSnapshot after = snapshot(BASE.replace("port: 80}", "port: 81}") + slice("10.0.0.1"));
    assertThat(EndpointFastPath.onlyEndpointSlicesChanged(before, after)).isFalse();
  }

  /** An EndpointSlice of the proxy fleet's own Service, in the controller namespace. */
  private static String fleetSlice(String address, String zone) {
    return """
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          namespace: %s
          name: fleet-1
          labels: {kubernetes.io/service-name: %s}
        addressType: IPv4
        ports: [{name: http-80, port: 10080, protocol: TCP}]
        endpoints:
        - addresses: [%s]
          zone: %s
        - addresses: [10.9.9.9]
          conditions: {ready: false}
        """
        .formatted(
            EnvoyGatewayConfig.defaults().controllerNamespace(),
            ProxyNames.fleetResourceName("default/eg"),
            address,
            zone);
  }

  @Test
  void theFleetsOwnEndpointsMakeTheLocalCluster() throws IOException {
    Translator t = new Translator(EnvoyGatewayConfig.defaults());
    TranslateResult r =
        t.translate(snapshot(BASE + slice("10.0.0.1") + fleetSlice("10.1.0.1", "z1")));
    XdsIr.LocalClusterIr local = r.xdsIr().get("default/eg").localCluster();
    assertThat(local.serviceName()).isEqualTo("envoy-default-eg-e41e7b31");
    assertThat(local.endpoints())
        .containsExactly(new XdsIr.ZonedEndpointIr("10.1.0.1", 10080, "z1"));
    assertThat(r.xdsIr().get("default/eg").ready().port()).isEqualTo(ProxyNames.READY_PORT);
  }

  @Test
  void aChangeToTheFleetsEndpointsIsTranslatedInFull() throws IOException {
    Translator t = new Translator(EnvoyGatewayConfig.defaults());
    String base = BASE + slice("10.0.0.1");
    TranslateResult previous = t.translate(snapshot(base + fleetSlice("10.1.0.1", "z1")));
    ResourceSnapshot after = snapshot(base + fleetSlice("10.1.0.2", "z2"));
    assertThat(EndpointFastPath.apply(previous, after, EnvoyGatewayConfig.defaults())).isEmpty();
    assertThat(t.translate(after).xdsIr().get("default/eg").localCluster().endpoints())
        .containsExactly(new XdsIr.ZonedEndpointIr("10.1.0.2", 10080, "z2"));
    // Its deletion too.
    assertThat(EndpointFastPath.apply(previous, snapshot(base), EnvoyGatewayConfig.defaults()))
        .isEmpty();
  }
}
