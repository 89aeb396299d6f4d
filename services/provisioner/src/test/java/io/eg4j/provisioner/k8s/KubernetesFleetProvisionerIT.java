package io.eg4j.provisioner.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.ApplyBackoff;
import io.eg4j.provisioner.core.FleetStatusListener;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes provisioner against a real kube-apiserver (schema validation, RBAC, server-side
 * apply, dry runs, an audit log). Each test has its own namespaces; the server is shared.
 */
@RealKubernetes
class KubernetesFleetProvisionerIT {
  private static final String CLASS = "prov-it-class";
  private static final ApplyBackoff FAST =
      new ApplyBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));

  private final KubeApiServer kube;
  private final KubernetesClient client;
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final AtomicBoolean leader = new AtomicBoolean(true);
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final List<KubernetesFleetProvisioner> opened = new ArrayList<>();
  private final FleetStatusListener recorder =
      new FleetStatusListener() {
        @Override
        public void applied(InfraIr ir) {
          events.add("applied " + ir.name());
        }

        @Override
        public void failed(InfraIr ir, String cause, Duration retryIn) {
          events.add(
              "failed "
                  + ir.name()
                  + " retry="
                  + (retryIn == null ? "never" : "later")
                  + " "
                  + cause);
        }

        @Override
        public void removed(String fleet) {
          events.add("removed " + fleet);
        }
      };
  private String ns;
  private String gwNs;

  KubernetesFleetProvisionerIT(KubeApiServer kube) {
    this.kube = kube;
    this.client = kube.client();
  }

  @BeforeEach
  void namespaces() {
    String id = UUID.randomUUID().toString().substring(0, 8);
    ns = "prov-" + id;
    gwNs = "prov-gw-" + id;
    kube.ensureNamespace(ns);
    kube.ensureNamespace(gwNs);
  }

  @AfterEach
  void close() {
    opened.forEach(KubernetesFleetProvisioner::close);
    client.close();
  }

  private ProxyResourceRenderer renderer() {
    return new ProxyResourceRenderer(RenderSettings.of(ns, "eg4j-xds-server." + ns, 18000));
  }

  private KubernetesFleetProvisioner provisioner(
      KubernetesClient c, ProxyResourceRenderer r, boolean gatewayNamespaceMode) {
    KubernetesFleetProvisioner p =
        new KubernetesFleetProvisioner(
            c, r, gatewayNamespaceMode, leader::get, meters, FAST, recorder);
    opened.add(p);
    return p;
  }

  private KubernetesFleetProvisioner provisioner() {
    return provisioner(client, renderer(), false);
  }

  /** The IR as the translator wrote it before the fix: naming envoy-gateway-system. */
  private InfraIr ir(String gw, String envoyProxy) {
    return ir(
        gw,
        envoyProxy,
        List.of(
            new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80),
            new InfraIr.ProxyListenerIr("https", "HTTPS", 10443, 443)));
  }

  private InfraIr ir(String gw, String envoyProxy, List<InfraIr.ProxyListenerIr> listeners) {
    return new InfraIr(
        gwNs + "/" + gw,
        "envoy-gateway-system",
        gwNs,
        gw,
        listeners,
        Map.of(),
        Map.of(),
        envoyProxy);
  }

  private List<String> fleetObjects(String fleet) {
    String label = ProxyResourceRenderer.fleetLabelValue(fleet);
    List<String> out = new ArrayList<>();
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(
        client
            .apps()
            .deployments()
            .inAnyNamespace()
            .withLabel(ProxyResourceRenderer.FLEET_LABEL, label)
            .list()
            .getItems());
    all.addAll(
        client
            .apps()
            .daemonSets()
            .inAnyNamespace()
            .withLabel(ProxyResourceRenderer.FLEET_LABEL, label)
            .list()
            .getItems());
    all.addAll(
        client
            .services()
            .inAnyNamespace()
            .withLabel(ProxyResourceRenderer.FLEET_LABEL, label)
            .list()
            .getItems());
    all.addAll(
        client
            .configMaps()
            .inAnyNamespace()
            .withLabel(ProxyResourceRenderer.FLEET_LABEL, label)
            .list()
            .getItems());
    all.addAll(
        client
            .serviceAccounts()
            .inAnyNamespace()
            .withLabel(ProxyResourceRenderer.FLEET_LABEL, label)
            .list()
            .getItems());
    all.forEach(
        o ->
            out.add(
                o.getKind()
                    + " "
                    + o.getMetadata().getNamespace()
                    + "/"
                    + o.getMetadata().getName()));
    return out;
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  @Test
  void anInfraIrBecomesAFleetAndRemovingItDeletesTheFleet() {
    FleetAudit.createGateway(client, gwNs, "eg", CLASS);
    KubernetesFleetProvisioner provisioner = provisioner();
    InfraIr ir = ir("eg", null);
    String name = renderer().resourceName(ir);

    provisioner.apply(ir);

    assertThat(events).containsExactly("applied " + ir.name());
    Deployment dep = client.apps().deployments().inNamespace(ns).withName(name).get();
    assertThat(dep).isNotNull();
    assertThat(dep.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("--service-cluster", ir.name(), ir.name() + "/$(ENVOY_POD_NAME)");
    // Owned by the GatewayClass, so the garbage collector removes the fleet with the class.
    assertThat(dep.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getKind()).isEqualTo("GatewayClass");
              assertThat(r.getName()).isEqualTo(CLASS);
              assertThat(r.getUid()).isNotBlank();
            });
    // Server-side apply, under our field manager.
    assertThat(dep.getMetadata().getManagedFields())
        .anySatisfy(
            m -> {
              assertThat(m.getManager()).isEqualTo("eg4j-provisioner");
              assertThat(m.getOperation()).isEqualTo("Apply");
            });
    Service svc = client.services().inNamespace(ns).withName(name).get();
    assertThat(svc.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(svc.getSpec().getPorts()).extracting(p -> p.getPort()).containsExactly(80, 443);
    ConfigMap cm = client.configMaps().inNamespace(ns).withName(name).get();
    assertThat(cm.getData().get(ProxyResourceRenderer.BOOTSTRAP_KEY))
        .contains("xds_cluster", "eg4j-xds-server." + ns, "cluster: " + ir.name());
    assertThat(client.serviceAccounts().inNamespace(ns).withName(name).get()).isNotNull();

    // Applying the same IR again changes nothing and creates nothing.
    int before = FleetAudit.createsAndDeletes(kube, ns).size();
    provisioner.apply(ir);
    assertThat(FleetAudit.createsAndDeletes(kube, ns)).hasSize(before);
    assertThat(client.apps().deployments().inNamespace(ns).list().getItems()).hasSize(1);

    provisioner.remove(ir.name());
    assertThat(fleetObjects(ir.name())).isEmpty();
    assertThat(meters.get("eg4j.provisioner.applies").tag("result", "deleted").counters())
        .isNotEmpty();
  }

  @Test
  void withTheChartsRbacTheFleetGoesToThisProvisionersNamespaceWhateverTheIrSays()
      throws Exception {
    FleetAudit.createGateway(client, gwNs, "rbac", CLASS);
    try (KubernetesClient restricted = FleetAudit.provisionerClient(kube, client, ns)) {
      KubernetesFleetProvisioner p = provisioner(restricted, renderer(), false);
      InfraIr ir = ir("rbac", null);
      assertThat(ir.namespace()).isEqualTo("envoy-gateway-system");
      p.apply(ir);
      assertThat(events).containsExactly("applied " + ir.name());
      assertThat(p.retrying()).isEmpty();
      assertThat(fleetObjects(ir.name()))
          .isNotEmpty()
          .allSatisfy(o -> assertThat(o).contains(" " + ns + "/"));
    }
  }

  @Test
  void switchingToADaemonSetDeletesTheDeploymentAndRenamedObjectsArePruned() {
    KubernetesFleetProvisioner provisioner = provisioner();
    InfraIr ir = ir("ds", null);
    String name = renderer().resourceName(ir);
    provisioner.apply(ir);
    assertThat(client.apps().deployments().inNamespace(ns).withName(name).get()).isNotNull();

    provisioner.apply(
        ir(
            "ds",
            "{\"provider\":{\"kubernetes\":{\"envoyDaemonSet\":{},"
                + "\"envoyService\":{\"name\":\"custom-svc\",\"type\":\"ClusterIP\"}}}}"));

    assertThat(client.apps().daemonSets().inNamespace(ns).withName(name).get()).isNotNull();
    assertThat(client.apps().deployments().inNamespace(ns).withName(name).get()).isNull();
    assertThat(client.services().inNamespace(ns).withName("custom-svc").get()).isNotNull();
    // The Service under the old name belonged to the fleet and is gone.
    assertThat(client.services().inNamespace(ns).withName(name).get()).isNull();
  }

  @Test
  void onlyTheLeaderWritesAndANewLeaderAppliesWhatItRemembered() {
    leader.set(false);
    KubernetesFleetProvisioner provisioner = provisioner();
    InfraIr ir = ir("standby", null);
    provisioner.apply(ir);
    assertThat(client.apps().deployments().inNamespace(ns).list().getItems()).isEmpty();
    assertThat(provisioner.fleets()).containsExactly(ir.name());

    leader.set(true);
    provisioner.reconcileAll();
    assertThat(
            client.apps().deployments().inNamespace(ns).withName(renderer().resourceName(ir)).get())
        .isNotNull();
  }

  @Test
  void gatewayNamespaceModeRunsTheFleetBesideItsGatewayOwnedByIt() {
    FleetAudit.createGateway(client, gwNs, "shop", CLASS);
    KubernetesFleetProvisioner p =
        provisioner(
            client,
            new ProxyResourceRenderer(
                RenderSettings.of(ns, "eg4j-xds-server." + ns, 18000)
                    .withGatewayNamespaceMode(true)),
            true);
    p.apply(ir("shop", null));
    Deployment dep = client.apps().deployments().inNamespace(gwNs).withName("shop").get();
    assertThat(dep).isNotNull();
    assertThat(dep.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(r -> assertThat(r.getKind()).isEqualTo("Gateway"));
    p.remove(gwNs + "/shop");
    assertThat(client.apps().deployments().inNamespace(gwNs).withName("shop").get()).isNull();
  }

  @Test
  void gatewayNamespaceModeCopiesTheXdsClientCertificateBesideTheFleetAndDeletesItWithIt() {
    FleetAudit.createGateway(client, gwNs, "shop2", CLASS);
    client
        .secrets()
        .inNamespace(ns)
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
    KubernetesFleetProvisioner p =
        provisioner(
            client,
            new ProxyResourceRenderer(
                RenderSettings.of(ns, "eg4j-xds-server." + ns, 18000)
                    .withGatewayNamespaceMode(true)
                    .withXdsTls(
                        new RenderSettings.XdsTlsMount("envoy-xds-client", "/certs", null))),
            true);
    p.apply(ir("shop2", null));

    var copy = client.secrets().inNamespace(gwNs).withName("envoy-xds-client").get();
    assertThat(copy).isNotNull();
    assertThat(copy.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(copy.getData())
        .containsEntry("tls.crt", "Y2VydA==")
        .containsEntry("tls.key", "a2V5")
        .containsEntry("ca.crt", "Y2E=");
    assertThat(copy.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(r -> assertThat(r.getKind()).isEqualTo("Gateway"));
    assertThat(client.apps().deployments().inNamespace(gwNs).withName("shop2").get()).isNotNull();

    p.remove(gwNs + "/shop2");
    assertThat(client.secrets().inNamespace(gwNs).withName("envoy-xds-client").get()).isNull();
    // The control plane's own Secret stays.
    assertThat(client.secrets().inNamespace(ns).withName("envoy-xds-client").get()).isNotNull();
  }

  @Test
  void aGatewayWithoutAValidListenerGetsNoFleetAndNoHalfOfOne() {
    KubernetesFleetProvisioner p = provisioner();
    InfraIr ir = ir("empty", null, List.of());
    p.apply(ir);
    assertThat(events)
        .singleElement()
        .asString()
        .startsWith("failed " + ir.name() + " retry=never")
        .contains("no valid listener");
    // Not retried: the same IR fails the same way; a new one comes when the Gateway changes.
    assertThat(p.retrying()).isEmpty();
    assertThat(fleetObjects(ir.name())).isEmpty();
    assertThat(FleetAudit.createsAndDeletes(kube, ns)).isEmpty();
  }

  @Test
  void aFleetTheApiServerRejectsLeavesNothingBehind() {
    KubernetesFleetProvisioner p = provisioner();
    // The Service comes after the ServiceAccount, ConfigMap and Deployment, and its type is not
    // one the API server accepts (422): the dry run finds it before anything is written.
    InfraIr ir =
        ir("rejected", "{\"provider\":{\"kubernetes\":{\"envoyService\":{\"type\":\"Bogus\"}}}}");
    p.apply(ir);
    assertThat(events)
        .singleElement()
        .asString()
        .startsWith("failed " + ir.name() + " retry=later")
        .contains("Service", "Bogus");
    assertThat(fleetObjects(ir.name())).isEmpty();
    assertThat(FleetAudit.createsAndDeletes(kube, ns)).isEmpty();
    // A fixed IR replaces the pending retry and applies.
    p.apply(ir("rejected", null));
    assertThat(events).last().isEqualTo("applied " + ir.name());
    assertThat(p.retrying()).isEmpty();
    assertThat(fleetObjects(ir.name())).hasSize(4);
  }

  @Test
  void aFailedApplyIsRetriedWithBackoffUntilItSucceeds() throws Exception {
    // Gateway-namespace mode, and the Gateway's namespace does not exist yet: every object is
    // refused (404) until it does.
    String late = "prov-late-" + UUID.randomUUID().toString().substring(0, 8);
    KubernetesFleetProvisioner p =
        provisioner(
            client,
            new ProxyResourceRenderer(
                RenderSettings.of(ns, "eg4j-xds-server." + ns, 18000)
                    .withGatewayNamespaceMode(true)),
            true);
    InfraIr ir =
        new InfraIr(
            late + "/eg",
            late,
            late,
            "eg",
            List.of(new InfraIr.ProxyListenerIr("http", "HTTP", 10080, 80)),
            Map.of(),
            Map.of(),
            null);
    p.apply(ir);
    assertThat(events)
        .singleElement()
        .asString()
        .startsWith("failed " + ir.name() + " retry=later")
        .contains(late);
    assertThat(p.retrying()).containsExactly(ir.name());
    await("a second attempt", () -> events.size() >= 2);
    assertThat(events)
        .allSatisfy(e -> assertThat(e).startsWith("failed " + ir.name() + " retry=later"));

    kube.ensureNamespace(late);
    await("the retried apply", () -> events.contains("applied " + ir.name()));
    assertThat(client.apps().deployments().inNamespace(late).withName("eg").get()).isNotNull();
    assertThat(p.retrying()).isEmpty();
  }

  @Test
  void reconcilingAtStartPrunesOrphansAndKeepsWhatIsDesired() {
    KubernetesFleetProvisioner first = provisioner();
    InfraIr kept = ir("kept", null);
    InfraIr gone = ir("gone", null);
    first.apply(kept);
    first.apply(gone);
    assertThat(fleetObjects(gone.name())).hasSize(4);
    // An object of another controller (no fleet label) in the same namespace is not ours.
    client
        .configMaps()
        .inNamespace(ns)
        .resource(
            new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata()
                .withName("other")
                .addToLabels("app.kubernetes.io/managed-by", "envoy-gateway")
                .endMetadata()
                .build())
        .create();
    first.close();

    // A restarted provisioner whose desired state no longer has "gone" (its Gateway was deleted
    // while no provisioner ran).
    KubernetesFleetProvisioner second = provisioner();
    Map<String, InfraIr> desired = new HashMap<>();
    desired.put(kept.name(), kept);
    int before = FleetAudit.createsAndDeletes(kube, ns).size();
    second.reconcile(desired);

    assertThat(fleetObjects(gone.name())).isEmpty();
    assertThat(fleetObjects(kept.name())).hasSize(4);
    assertThat(client.configMaps().inNamespace(ns).withName("other").get()).isNotNull();
    // Only the orphan's four objects were deleted; nothing was created.
    List<String> writes = FleetAudit.createsAndDeletes(kube, ns);
    assertThat(writes.subList(before, writes.size()))
        .hasSize(4)
        .allSatisfy(l -> assertThat(l).startsWith("delete "));
  }
}
