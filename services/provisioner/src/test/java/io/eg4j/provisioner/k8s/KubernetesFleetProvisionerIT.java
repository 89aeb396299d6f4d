package io.eg4j.provisioner.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Kubernetes provisioner against fabric8's mock API server in CRUD mode. */
@EnableKubernetesMockClient(crud = true)
class KubernetesFleetProvisionerIT {
  static KubernetesMockServer server;
  static KubernetesClient client;

  /**
   * A client with long timeouts: on a loaded 2-core machine the mock server can take more than the
   * default 10 s to accept a connection, which is not what these tests are about.
   */
  @org.junit.jupiter.api.BeforeAll
  static void patientClient() {
    client =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
                    .withConnectionTimeout(120_000)
                    .withRequestTimeout(120_000)
                    .build())
            .build();
  }

  @org.junit.jupiter.api.AfterAll
  static void closePatientClient() {
    client.close();
  }

  private static final String NS = "envoy-gateway-system";
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicBoolean leader = new AtomicBoolean(true);
  private KubernetesFleetProvisioner provisioner;
  private ProxyResourceRenderer renderer;

  @BeforeEach
  void setUp() {
    renderer = new ProxyResourceRenderer(RenderSettings.of(NS, "eg4j-xds-server." + NS, 18000));
    provisioner = new KubernetesFleetProvisioner(client, renderer, false, leader::get, meters);
    client.apps().deployments().inAnyNamespace().delete();
    client.apps().daemonSets().inAnyNamespace().delete();
    client.services().inAnyNamespace().delete();
    client.configMaps().inAnyNamespace().delete();
    client.serviceAccounts().inAnyNamespace().delete();
  }

  private static InfraIr ir(String gw, String envoyProxy) {
    return new InfraIr(
        "default/" + gw,
        NS,
        "default",
        gw,
        List.of(
            new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80),
            new InfraIr.ProxyListenerIr("https", "HTTPS", 10443, 443)),
        Map.of(),
        Map.of(),
        envoyProxy);
  }

  @Test
  void anInfraIrBecomesAFleetAndRemovingItDeletesTheFleet() throws Exception {
    createGatewayAndClass("eg", "eg-class");
    InfraIr ir = ir("eg", null);
    String name = renderer.resourceName(ir);

    provisioner.apply(ir);

    Deployment dep = client.apps().deployments().inNamespace(NS).withName(name).get();
    assertThat(dep).isNotNull();
    assertThat(dep.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("--service-cluster", "default/eg", "default/eg/$(ENVOY_POD_NAME)");
    // Owned by the GatewayClass, so the garbage collector removes the fleet with the class.
    assertThat(dep.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getKind()).isEqualTo("GatewayClass");
              assertThat(r.getName()).isEqualTo("eg-class");
              assertThat(r.getUid()).isNotBlank();
            });
    Service svc = client.services().inNamespace(NS).withName(name).get();
    assertThat(svc.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(svc.getSpec().getPorts()).extracting(p -> p.getPort()).containsExactly(80, 443);
    ConfigMap cm = client.configMaps().inNamespace(NS).withName(name).get();
    assertThat(cm.getData().get(ProxyResourceRenderer.BOOTSTRAP_KEY))
        .contains("xds_cluster", "eg4j-xds-server." + NS, "cluster: default/eg");
    assertThat(client.serviceAccounts().inNamespace(NS).withName(name).get()).isNotNull();

    // Server-side apply was tried first, with our field manager; the mock answers 415.
    assertThat(recordedRequests())
        .anySatisfy(
            r -> {
              assertThat(r.getMethod()).isEqualTo("PATCH");
              assertThat(r.getHeader("Content-Type")).startsWith("application/apply-patch+yaml");
              assertThat(r.getPath()).contains("fieldManager=eg4j-provisioner", "force=true");
            });

    // Applying the same IR again changes nothing and keeps one fleet.
    provisioner.apply(ir);
    assertThat(client.apps().deployments().inNamespace(NS).list().getItems()).hasSize(1);

    provisioner.remove("default/eg");
    assertThat(client.apps().deployments().inNamespace(NS).withName(name).get()).isNull();
    assertThat(client.services().inNamespace(NS).withName(name).get()).isNull();
    assertThat(client.configMaps().inNamespace(NS).withName(name).get()).isNull();
    assertThat(client.serviceAccounts().inNamespace(NS).withName(name).get()).isNull();
    assertThat(meters.get("eg4j.provisioner.applies").tag("result", "deleted").counters())
        .isNotEmpty();
  }

  @Test
  void switchingToADaemonSetDeletesTheDeploymentAndRenamedObjectsArePruned() {
    InfraIr ir = ir("ds", null);
    String name = renderer.resourceName(ir);
    provisioner.apply(ir);
    assertThat(client.apps().deployments().inNamespace(NS).withName(name).get()).isNotNull();

    provisioner.apply(
        ir(
            "ds",
            "{\"provider\":{\"kubernetes\":{\"envoyDaemonSet\":{},"
                + "\"envoyService\":{\"name\":\"custom-svc\",\"type\":\"ClusterIP\"}}}}"));

    assertThat(client.apps().daemonSets().inNamespace(NS).withName(name).get()).isNotNull();
    assertThat(client.apps().deployments().inNamespace(NS).withName(name).get()).isNull();
    assertThat(client.services().inNamespace(NS).withName("custom-svc").get()).isNotNull();
    // The Service under the old name belonged to the fleet and is gone.
    assertThat(client.services().inNamespace(NS).withName(name).get()).isNull();
  }

  @Test
  void onlyTheLeaderWritesAndANewLeaderAppliesWhatItRemembered() {
    leader.set(false);
    InfraIr ir = ir("standby", null);
    provisioner.apply(ir);
    assertThat(client.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
    assertThat(provisioner.fleets()).containsExactly("default/standby");

    leader.set(true);
    provisioner.reconcileAll();
    assertThat(
            client.apps().deployments().inNamespace(NS).withName(renderer.resourceName(ir)).get())
        .isNotNull();
  }

  @Test
  void gatewayNamespaceModeRunsTheFleetBesideItsGatewayOwnedByIt() {
    createGatewayAndClass("shop", "eg-class");
    ProxyResourceRenderer gwRenderer =
        new ProxyResourceRenderer(
            RenderSettings.of(NS, "eg4j-xds-server." + NS, 18000).withGatewayNamespaceMode(true));
    KubernetesFleetProvisioner p =
        new KubernetesFleetProvisioner(client, gwRenderer, true, () -> true, meters);
    p.apply(ir("shop", null));
    Deployment dep = client.apps().deployments().inNamespace("default").withName("shop").get();
    assertThat(dep).isNotNull();
    assertThat(dep.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(r -> assertThat(r.getKind()).isEqualTo("Gateway"));
    p.remove("default/shop");
    assertThat(client.apps().deployments().inNamespace("default").withName("shop").get()).isNull();
  }

  @Test
  void gatewayNamespaceModeCopiesTheXdsClientCertificateBesideTheFleetAndDeletesItWithIt() {
    createGatewayAndClass("shop2", "eg-class");
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("envoy-xds-client")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", "Y2VydA==")
                .addToData("tls.key", "a2V5")
                .addToData("ca.crt", "Y2E=")
                .build())
        .create();
    ProxyResourceRenderer gwRenderer =
        new ProxyResourceRenderer(
            RenderSettings.of(NS, "eg4j-xds-server." + NS, 18000)
                .withGatewayNamespaceMode(true)
                .withXdsTls(new RenderSettings.XdsTlsMount("envoy-xds-client", "/certs", null)));
    KubernetesFleetProvisioner p =
        new KubernetesFleetProvisioner(client, gwRenderer, true, () -> true, meters);
    p.apply(ir("shop2", null));

    var copy = client.secrets().inNamespace("default").withName("envoy-xds-client").get();
    assertThat(copy).isNotNull();
    assertThat(copy.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(copy.getData())
        .containsEntry("tls.crt", "Y2VydA==")
        .containsEntry("tls.key", "a2V5")
        .containsEntry("ca.crt", "Y2E=");
    assertThat(copy.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(r -> assertThat(r.getKind()).isEqualTo("Gateway"));
    assertThat(client.apps().deployments().inNamespace("default").withName("shop2").get())
        .isNotNull();

    p.remove("default/shop2");
    assertThat(client.secrets().inNamespace("default").withName("envoy-xds-client").get()).isNull();
    // The control plane's own Secret stays.
    assertThat(client.secrets().inNamespace(NS).withName("envoy-xds-client").get()).isNotNull();
  }

  private List<RecordedRequest> recordedRequests() throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    int n = server.getRequestCount();
    for (int i = 0; i < n; i++) {
      RecordedRequest r = server.takeRequest(1, TimeUnit.SECONDS);
      if (r == null) {
        break;
      }
      out.add(r);
    }
    return out;
  }

  private static void createGatewayAndClass(String gw, String gatewayClass) {
    ResourceDefinitionContext classCtx =
        new ResourceDefinitionContext.Builder()
            .withGroup("gateway.networking.k8s.io")
            .withVersion("v1")
            .withKind("GatewayClass")
            .withPlural("gatewayclasses")
            .withNamespaced(false)
            .build();
    ResourceDefinitionContext gwCtx =
        new ResourceDefinitionContext.Builder()
            .withGroup("gateway.networking.k8s.io")
            .withVersion("v1")
            .withKind("Gateway")
            .withPlural("gateways")
            .withNamespaced(true)
            .build();
    GenericKubernetesResource cls =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1")
            .withKind("GatewayClass")
            .withNewMetadata()
            .withName(gatewayClass)
            .endMetadata()
            .addToAdditionalProperties(
                "spec", Map.of("controllerName", "gateway.envoyproxy.io/gatewayclass-controller"))
            .build();
    if (client.genericKubernetesResources(classCtx).withName(gatewayClass).get() == null) {
      client.genericKubernetesResources(classCtx).resource(cls).create();
    }
    GenericKubernetesResource g =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1")
            .withKind("Gateway")
            .withNewMetadata()
            .withName(gw)
            .withNamespace("default")
            .endMetadata()
            .addToAdditionalProperties("spec", Map.of("gatewayClassName", gatewayClass))
            .build();
    client.genericKubernetesResources(gwCtx).inNamespace("default").resource(g).create();
  }
}
