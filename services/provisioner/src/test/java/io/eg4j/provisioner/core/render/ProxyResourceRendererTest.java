package io.eg4j.provisioner.core.render;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.InfraIr;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Properties of the renderer that the golden files show only by example. */
class ProxyResourceRendererTest {
  private static final ProxyResourceRenderer RENDERER =
      new ProxyResourceRenderer(RenderSettings.of("eg-system", "xds.eg-system.svc", 18000));

  private static InfraIr ir(String name, String envoyProxy) {
    return new InfraIr(
        name,
        "eg-system",
        "default",
        "eg",
        List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80)),
        Map.of(),
        Map.of(),
        envoyProxy);
  }

  @Test
  void theFleetRunsInThisProvisionersNamespaceNotTheOneTheIrNames() {
    // The translator wrote its own idea of the control plane's namespace; the provisioner has
    // rights (and the xDS client Secret) only in its own.
    InfraIr ir =
        new InfraIr(
            "default/eg",
            "envoy-gateway-system",
            "default",
            "eg",
            List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80)),
            Map.of(),
            Map.of(),
            null);
    assertThat(RENDERER.namespaceOf(ir)).isEqualTo("eg-system");
    assertThat(RENDERER.render(ir, null).objects())
        .allSatisfy(o -> assertThat(o.namespace()).isEqualTo("eg-system"))
        .filteredOn(o -> !o.isDelete())
        .allSatisfy(
            o -> assertThat(o.body().at("/metadata/namespace").asText()).isEqualTo("eg-system"));
    // Gateway-namespace mode still runs the fleet beside its Gateway.
    assertThat(
            new ProxyResourceRenderer(
                    RenderSettings.of("eg-system", "xds", 18000).withGatewayNamespaceMode(true))
                .namespaceOf(ir))
        .isEqualTo("default");
  }

  @Test
  void theGatewaysInfrastructureMetadataIsOnEveryObjectItsGatewayNameBesideTheGateway() {
    // GatewayInfrastructurePropagation: the Gateway's spec.infrastructure labels and annotations
    // reach the ServiceAccount, Pods and Service (and the rest of the fleet); beside the Gateway
    // the objects also carry the Gateway API's gateway-name label the suite lists them by.
    InfraIr ir =
        new InfraIr(
            "infra/gw",
            "eg-system",
            "infra",
            "gw",
            List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80)),
            Map.of("team", "blue"),
            Map.of("note", "hello"),
            null);
    RenderedFleet nsMode =
        new ProxyResourceRenderer(
                RenderSettings.of("eg-system", "xds", 18000).withGatewayNamespaceMode(true))
            .render(ir, null);
    for (String kind : List.of("ServiceAccount", "ConfigMap", "Deployment", "Service")) {
      var meta = nsMode.find(kind).body().path("metadata");
      assertThat(meta.path("namespace").asText()).as(kind).isEqualTo("infra");
      assertThat(meta.at("/labels/team").asText()).as(kind).isEqualTo("blue");
      assertThat(meta.at("/labels/gateway.networking.k8s.io~1gateway-name").asText())
          .as(kind)
          .isEqualTo("gw");
      assertThat(meta.at("/annotations/note").asText()).as(kind).isEqualTo("hello");
    }
    var pod = nsMode.find("Deployment").body().at("/spec/template/metadata");
    assertThat(pod.at("/labels/gateway.networking.k8s.io~1gateway-name").asText()).isEqualTo("gw");
    assertThat(pod.at("/annotations/note").asText()).isEqualTo("hello");
    // The selector is unchanged (a Deployment's selector cannot change).
    assertThat(
            nsMode
                .find("Deployment")
                .body()
                .at("/spec/selector/matchLabels")
                .has(ProxyResourceRenderer.GATEWAY_NAME_LABEL))
        .isFalse();
    // In the controller namespace the fleet is named after its hash, and has no such label.
    RenderedFleet shared = RENDERER.render(ir, null);
    var sa = shared.find("ServiceAccount").body().path("metadata");
    assertThat(sa.path("namespace").asText()).isEqualTo("eg-system");
    assertThat(sa.path("labels").has(ProxyResourceRenderer.GATEWAY_NAME_LABEL)).isFalse();
    assertThat(sa.at("/annotations/note").asText()).isEqualTo("hello");
  }

  @Test
  void longFleetNamesStayWithinTheKubernetesNameLimit() {
    String longName = "a-very-long-namespace-name-for-tenants/" + "g".repeat(200);
    InfraIr ir = ir(longName, null);
    String name = RENDERER.resourceName(ir);
    assertThat(name).hasSizeLessThanOrEqualTo(63).startsWith("envoy-");
    assertThat(ProxyResourceRenderer.fleetLabelValue(longName)).hasSizeLessThanOrEqualTo(63);
    // Distinct fleets that share a long prefix still get distinct names.
    assertThat(RENDERER.resourceName(ir(longName + "x", null))).isNotEqualTo(name);
  }

  @Test
  void aDefaultFleetDeletesTheKindsItDoesNotUse() {
    RenderedFleet fleet = RENDERER.render(ir("default/eg", null), null);
    assertThat(fleet.find("Deployment").isDelete()).isFalse();
    assertThat(fleet.find("DaemonSet").isDelete()).isTrue();
    assertThat(fleet.find("HorizontalPodAutoscaler").isDelete()).isTrue();
    assertThat(fleet.find("PodDisruptionBudget").isDelete()).isTrue();
    assertThat(fleet.warnings()).isEmpty();
  }

  @Test
  void aDaemonSetFleetDeletesTheDeployment() {
    RenderedFleet fleet =
        RENDERER.render(
            ir("default/eg", "{\"provider\":{\"kubernetes\":{\"envoyDaemonSet\":{}}}}"), null);
    assertThat(fleet.find("DaemonSet").isDelete()).isFalse();
    assertThat(fleet.find("Deployment").isDelete()).isTrue();
  }

  @Test
  void malformedEnvoyProxyFallsBackToDefaultsWithAWarning() {
    RenderedFleet fleet = RENDERER.render(ir("default/eg", "{not json"), null);
    assertThat(fleet.warnings()).singleElement().asString().contains("not valid JSON");
    assertThat(fleet.find("Service").body().at("/spec/type").asText()).isEqualTo("LoadBalancer");
  }

  @Test
  void aNewBootstrapChangesThePodTemplateSoPodsRoll() {
    RenderedFleet a = RENDERER.render(ir("default/eg", null), null);
    RenderedFleet b =
        new ProxyResourceRenderer(RenderSettings.of("eg-system", "other-xds.eg-system.svc", 18000))
            .render(ir("default/eg", null), null);
    String path = "/spec/template/metadata/annotations/eg4j.io~1bootstrap-hash";
    assertThat(a.find("Deployment").body().at(path).asText())
        .isNotBlank()
        .isNotEqualTo(b.find("Deployment").body().at(path).asText());
  }

  @Test
  void mergePatchRemovesNullsAndStrategicMergeMergesNamedLists() throws Exception {
    var mapper = io.eg4j.model.bus.Json.MAPPER;
    var target =
        mapper.readTree(
            "{\"a\":1,\"b\":{\"c\":2},\"l\":[{\"name\":\"x\",\"v\":1},{\"name\":\"y\"}]}");
    var merged = JsonPatches.mergePatch(target, mapper.readTree("{\"a\":null,\"b\":{\"d\":3}}"));
    assertThat(merged.toString())
        .isEqualTo("{\"b\":{\"c\":2,\"d\":3},\"l\":[{\"name\":\"x\",\"v\":1},{\"name\":\"y\"}]}");
    var smp =
        JsonPatches.strategicMergePatch(
            target, mapper.readTree("{\"l\":[{\"name\":\"x\",\"w\":2},{\"name\":\"z\"}]}"));
    assertThat(smp.get("l").toString())
        .isEqualTo("[{\"name\":\"x\",\"v\":1,\"w\":2},{\"name\":\"y\"},{\"name\":\"z\"}]");
    // A plain merge patch replaces lists whole.
    assertThat(JsonPatches.mergePatch(target, mapper.readTree("{\"l\":[]}")).get("l")).isEmpty();
  }
}
