package io.eg4j.standalone.k8s;

import static io.eg4j.standalone.k8s.KubernetesModeIT.GATEWAYS;
import static io.eg4j.standalone.k8s.KubernetesModeIT.GATEWAY_CLASSES;
import static io.eg4j.standalone.k8s.KubernetesModeIT.HTTP_ROUTES;
import static io.eg4j.standalone.k8s.KubernetesModeIT.apply;
import static io.eg4j.standalone.k8s.KubernetesModeIT.await;
import static io.eg4j.standalone.k8s.KubernetesModeIT.condition;
import static io.eg4j.standalone.k8s.KubernetesModeIT.status;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.standalone.launcher.KubernetesTarget;
import io.eg4j.standalone.launcher.ServiceSpec;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.eg4j.xds.app.KubernetesCertgen;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The chart, installed for real: {@code helm install deploy/helm/eg4j} into a real kube-apiserver
 * with RBAC, each service run under its own ServiceAccount of the release (a TokenRequest token)
 * and configured as the release's ConfigMaps configure it, through a Gateway's whole life (create,
 * route, delete), and not one request refused: no 403 in the API server's audit log of writes, and
 * no Forbidden in what the services log (their list, watch and get calls are not audited). Four
 * profiles: the default values, watch.type Namespaces, the multi-tenant example values and
 * gateway-namespace mode, on the one shared API server.
 */
@RealKubernetes
class ChartRbacIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The default values: watch.type All, ClusterRoles for the watched kinds. */
  @Test
  void theChartsServiceAccountsRunAGatewayLifecycleWithoutAForbidden(
      KubeApiServer kube, @TempDir Path tmp) throws Exception {
    lifecycle(kube, tmp, "rbac-app-" + id(), List.of());
  }

  /**
   * watch.type Namespaces: Roles in the listed namespace only, and the services configured as the
   * chart's ConfigMaps configure them (the watcher's and the status-writer's namespace lists).
   */
  @Test
  void roleBasedRbacForListedNamespacesIsEnough(KubeApiServer kube, @TempDir Path tmp)
      throws Exception {
    String appNs = "rbac-app-" + id();
    lifecycle(
        kube,
        tmp,
        appNs,
        List.of("--set", "watch.type=Namespaces", "--set", "watch.namespaces[0]=" + appNs));
  }

  /**
   * The multi-tenant example values (deploy/helm/examples/multi-tenant-values.yaml): Roles in
   * team-a, team-b and team-c, a controller name of its own, and the chart's own GatewayClass,
   * whose EnvoyProxy lives in the release namespace. The Gateway runs in team-a.
   */
  @Test
  void theMultiTenantValues(KubeApiServer kube, @TempDir Path tmp) throws Exception {
    Path values =
        KubeApiServer.repositoryRoot().resolve("deploy/helm/examples/multi-tenant-values.yaml");
    for (String team : List.of("team-a", "team-b", "team-c")) {
      kube.ensureNamespace(team);
    }
    lifecycle(kube, tmp, "team-a", List.of("-f", values.toString()));
  }

  /**
   * provisioner.gatewayNamespaceMode: each fleet runs in its Gateway's namespace, so the
   * provisioner writes the fleet kinds there and copies the xDS client certificate Secret beside
   * them (and prunes all of it with the Gateway).
   */
  @Test
  void gatewayNamespaceMode(KubeApiServer kube, @TempDir Path tmp) throws Exception {
    lifecycle(
        kube, tmp, "rbac-app-" + id(), List.of("--set", "provisioner.gatewayNamespaceMode=true"));
  }

  /**
   * Global rate limiting on, in gateway-namespace mode (where the fleet grants are not in the
   * release namespace): the provisioner applies Envoy Gateway's envoy-ratelimit Deployment,
   * Service, ServiceAccount, its ConfigMap, the metrics mapping, and the HPA and PDB the config
   * asks for in the release namespace with the chart's RBAC, not one request refused.
   */
  @Test
  void rateLimitServiceInGatewayNamespaceMode(KubeApiServer kube, @TempDir Path tmp)
      throws Exception {
    lifecycle(
        kube,
        tmp,
        "rbac-app-" + id(),
        List.of(
            "--set",
            "provisioner.gatewayNamespaceMode=true",
            "--set",
            "config.envoyGateway.rateLimit.backend.type=Redis",
            "--set",
            "config.envoyGateway.rateLimit.backend.redis.url=redis.redis:6379",
            "--set",
            "config.envoyGateway.provider.type=Kubernetes",
            "--set",
            "config.envoyGateway.provider.kubernetes.rateLimitHpa.maxReplicas=3",
            "--set",
            "config.envoyGateway.provider.kubernetes.rateLimitPDB.minAvailable=1"));
    List<String> applied = new ArrayList<>();
    for (String line : kube.auditLines()) {
      JsonNode e = JSON.readTree(line);
      if (e.path("user").path("username").asText().contains("-provisioner")
          && e.path("verb").asText().equals("patch")
          && e.path("responseStatus").path("code").asInt() / 100 == 2) {
        JsonNode ref = e.path("objectRef");
        if (ref.path("name").asText().startsWith("envoy-ratelimit")
            || ref.path("name").asText().equals("statsd-exporter-config")) {
          applied.add(ref.path("resource").asText() + "/" + ref.path("name").asText());
        }
      }
    }
    assertThat(applied)
        .contains(
            "deployments/envoy-ratelimit",
            "services/envoy-ratelimit",
            "serviceaccounts/envoy-ratelimit",
            "configmaps/envoy-ratelimit-config",
            "configmaps/statsd-exporter-config",
            "horizontalpodautoscalers/envoy-ratelimit",
            "poddisruptionbudgets/envoy-ratelimit");
    // Not the release's: gone with the test, so no other test's provisioner meets them.
    try (KubernetesClient admin = kube.client()) {
      String ns = KubernetesTarget.DEFAULT_NAMESPACE;
      admin.apps().deployments().inNamespace(ns).withName("envoy-ratelimit").delete();
      admin.services().inNamespace(ns).withName("envoy-ratelimit").delete();
      admin.serviceAccounts().inNamespace(ns).withName("envoy-ratelimit").delete();
      admin.configMaps().inNamespace(ns).withName("envoy-ratelimit-config").delete();
      admin.configMaps().inNamespace(ns).withName("statsd-exporter-config").delete();
      admin
          .autoscaling()
          .v2()
          .horizontalPodAutoscalers()
          .inNamespace(ns)
          .withName("envoy-ratelimit")
          .delete();
      admin
          .policy()
          .v1()
          .podDisruptionBudget()
          .inNamespace(ns)
          .withName("envoy-ratelimit")
          .delete();
    }
  }

  private static String id() {
    return UUID.randomUUID().toString().substring(0, 6);
  }

  /**
   * {@code helm install} with the profile's values, then the five services as the release's
   * ServiceAccounts, configured as its ConfigMaps say, through a Gateway's life in {@code appNs}.
   */
  private void lifecycle(KubeApiServer kube, Path tmp, String appNs, List<String> values)
      throws Exception {
    String id = id();
    String release = "eg4j-" + id;
    // The release namespace is the controller namespace, as when the chart is installed.
    String ns = KubernetesTarget.DEFAULT_NAMESPACE;
    kube.ensureNamespace(ns);
    kube.ensureNamespace(appNs);
    helm(kube, "install", release, ns, values);
    Installed chart;
    try (KubernetesClient admin = kube.client()) {
      chart = installed(kube, admin, tmp, release, ns, id);
      try {
        gatewayLifecycle(kube, tmp, ns, appNs, chart);
      } finally {
        if (!chart.chartsClass()) {
          admin.genericKubernetesResources(GATEWAY_CLASSES).withName(chart.className()).delete();
        }
        if (appNs.startsWith("rbac-app-")) {
          admin.namespaces().withName(appNs).delete();
        }
        helm(kube, "uninstall", release, ns, List.of());
      }
    }
    verify(kube, ns, appNs, release, chart);
  }

  /**
   * What the install gives the services: their tokens, their settings, the GatewayClass to use.
   *
   * @param chartsClass true when the chart created the GatewayClass (else the test made one)
   */
  private record Installed(
      Map<String, Path> kubeconfigs,
      Map<String, String> properties,
      String className,
      boolean chartsClass,
      boolean gatewayNamespaceMode,
      String envoySecret) {}

  private Installed installed(
      KubeApiServer kube, KubernetesClient admin, Path tmp, String release, String ns, String id)
      throws Exception {
    // The install made them, nothing applied beside it: Helm owns the ServiceAccounts and roles.
    for (ServiceSpec spec : ServiceSpec.ALL) {
      var sa = admin.serviceAccounts().inNamespace(ns).withName(release + "-" + spec.name()).get();
      assertThat(sa).as("the ServiceAccount of " + spec.name()).isNotNull();
      assertThat(sa.getMetadata().getAnnotations())
          .containsEntry("meta.helm.sh/release-name", release);
    }
    assertThat(
            admin.rbac().clusterRoleBindings().list().getItems().stream()
                .filter(b -> b.getMetadata().getName().startsWith(release + "-")))
        .as("the release's ClusterRoleBindings")
        .isNotEmpty()
        .allSatisfy(
            b ->
                assertThat(b.getMetadata().getAnnotations())
                    .containsEntry("meta.helm.sh/release-name", release));
    Map<String, Path> kubeconfigs = new LinkedHashMap<>();
    for (ServiceSpec spec : ServiceSpec.ALL) {
      String token = token(admin, ns, release + "-" + spec.name());
      kubeconfigs.put(spec.name(), tokenKubeconfig(kube, tmp, spec.name(), token));
    }
    Map<String, String> props = chartProperties(admin, ns, release, tmp);

    // The certgen hook Job (helm install ran with --no-hooks), as its ServiceAccount, with the
    // Job's own arguments: it creates the xDS Secrets on install and only reads them (by name) on
    // upgrade.
    // Helm's hook phase would create the hook's ServiceAccount, Role and RoleBinding (weight -10)
    // before the Job: they are applied here from the release's own hooks ({@code helm get hooks}).
    List<HasMetadata> hooks = hooks(kube, release, ns);
    List<HasMetadata> hookRbac =
        hooks.stream()
            .filter(o -> Set.of("ServiceAccount", "Role", "RoleBinding").contains(o.getKind()))
            .toList();
    assertThat(hookRbac).extracting(HasMetadata::getKind).contains("ServiceAccount", "Role");
    for (HasMetadata o : hookRbac) {
      admin.resource(o).inNamespace(ns).create();
    }
    KubernetesCertgen.Settings certs = certgenSettings(hooks);
    try (KubernetesClient certgen = kube.clientWithToken(token(admin, ns, release + "-certgen"))) {
      assertThat(KubernetesCertgen.run(certgen, certs, System.out))
          .isEqualTo(KubernetesCertgen.Outcome.CREATED);
      assertThat(KubernetesCertgen.run(certgen, certs, System.out))
          .isEqualTo(KubernetesCertgen.Outcome.EXISTED);
    }
    assertThat(admin.secrets().inNamespace(ns).withName(certs.envoySecret()).get()).isNotNull();

    List<GenericKubernetesResource> classes =
        admin.genericKubernetesResources(GATEWAY_CLASSES).list().getItems().stream()
            .filter(
                c ->
                    c.getMetadata().getAnnotations() != null
                        && release.equals(
                            c.getMetadata().getAnnotations().get("meta.helm.sh/release-name")))
            .toList();
    boolean chartsClass = !classes.isEmpty();
    String className = chartsClass ? classes.get(0).getMetadata().getName() : "rbac-" + id;
    if (!chartsClass) {
      apply(
          admin,
          GATEWAY_CLASSES,
          """
          apiVersion: gateway.networking.k8s.io/v1
          kind: GatewayClass
          metadata: {name: %s}
          spec: {controllerName: %s}
          """
              .formatted(className, props.get("eg4j.status-writer.kubernetes.controller-name")));
    }
    return new Installed(
        kubeconfigs,
        props,
        className,
        chartsClass,
        "true".equals(props.get("eg4j.provisioner.kubernetes.gateway-namespace-mode")),
        props.get("eg4j.provisioner.kubernetes.xds-tls-secret"));
  }

  private void gatewayLifecycle(
      KubeApiServer kube, Path tmp, String ns, String appNs, Installed chart) throws Exception {
    String className = chart.className();
    String fleetNs = chart.gatewayNamespaceMode() ? appNs : ns;
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    Map<String, String> owner =
        Map.of(
            "gateway.envoyproxy.io/owning-gateway-name",
            "gw",
            "gateway.envoyproxy.io/owning-gateway-namespace",
            appNs);
    // In gateway-namespace mode the fleet has a copy of the xDS client certificate Secret.
    java.util.function.Supplier<String> fleet =
        () -> {
          try (KubernetesClient c = kube.client()) {
            String f =
                c.apps()
                        .deployments()
                        .inNamespace(fleetNs)
                        .withLabels(owner)
                        .list()
                        .getItems()
                        .size()
                    + "/"
                    + c.services().inNamespace(fleetNs).withLabels(owner).list().getItems().size();
            if (chart.gatewayNamespaceMode()) {
              f +=
                  "/"
                      + (c.secrets().inNamespace(appNs).withName(chart.envoySecret()).get()
                          != null);
            }
            return f;
          }
        };
    String present = chart.gatewayNamespaceMode() ? "1/1/true" : "1/1";
    String pruned = chart.gatewayNamespaceMode() ? "0/0/false" : "0/0";
    try (KubernetesClient c = kube.client()) {
      try (Standalone eg4j =
          Standalone.start(
              StandaloneOptions.forKubernetesTest(
                      new KubernetesTarget(kube.kubeconfigFile(), ns, chart.kubeconfigs()),
                      tmp.resolve("data"),
                      System.out)
                  .withProperties(chart.properties()))) {
        apply(
            c,
            GATEWAYS,
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: %s}
            spec:
              gatewayClassName: %s
              listeners:
              - {name: http, protocol: HTTP, port: 80}
            """
                .formatted(appNs, className));
        c.services()
            .inNamespace(appNs)
            .resource(
                new ServiceBuilder()
                    .withNewMetadata()
                    .withName("backend")
                    .endMetadata()
                    .withNewSpec()
                    .addToSelector("app", "backend")
                    .addNewPort()
                    .withPort(8080)
                    .endPort()
                    .endSpec()
                    .build())
            .create();
        apply(
            c,
            HTTP_ROUTES,
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: route, namespace: %s}
            spec:
              parentRefs: [{name: gw}]
              rules:
              - backendRefs: [{name: backend, port: 8080}]
            """
                .formatted(appNs));

        String controller = chart.properties().get("eg4j.status-writer.kubernetes.controller-name");
        await(
            "HTTPRoute Accepted and ResolvedRefs",
            () ->
                parentCondition(status(c, HTTP_ROUTES, appNs, "route"), controller, "Accepted")
                    + "/"
                    + parentCondition(
                        status(c, HTTP_ROUTES, appNs, "route"), controller, "ResolvedRefs"),
            "True/True");
        await("the Gateway's fleet in " + fleetNs, fleet::get, present);
        // OIDC signs its cookies with the controller's envoy-oidc-hmac Secret, which certgen made
        // and nothing references: the watcher publishes it all the same, so the policy is
        // Accepted (without it: "the OIDC HMAC secret ... does not exist").
        c.secrets()
            .inNamespace(appNs)
            .resource(
                new io.fabric8.kubernetes.api.model.SecretBuilder()
                    .withNewMetadata()
                    .withName("oidc-client")
                    .endMetadata()
                    .addToStringData("client-secret", "s3cret")
                    .build())
            .create();
        apply(
            c,
            SECURITY_POLICIES,
            """
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {name: oidc, namespace: %s}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: route}]
              oidc:
                provider:
                  issuer: https://idp.example.com
                  authorizationEndpoint: https://idp.example.com/authorize
                  tokenEndpoint: https://idp.example.com/token
                clientID: eg4j
                clientSecret: {name: oidc-client}
            """
                .formatted(appNs));
        await(
            "the OIDC SecurityPolicy Accepted",
            () -> ancestorCondition(status(c, SECURITY_POLICIES, appNs, "oidc"), controller),
            "True");
        c.genericKubernetesResources(SECURITY_POLICIES)
            .inNamespace(appNs)
            .withName("oidc")
            .delete();
        // By now the translator's verdict on the class, published with the route's status, has
        // replaced the status-writer's default Accepted (an EnvoyProxy the watcher cannot see
        // makes it InvalidParameters).
        JsonNode classStatus = status(c, GATEWAY_CLASSES, null, className);
        assertThat(condition(classStatus, "Accepted"))
            .as("GatewayClass Accepted: " + classStatus)
            .isEqualTo("True");
        // The route goes, then the Gateway: its status is cleared, the fleet pruned.
        c.genericKubernetesResources(HTTP_ROUTES).inNamespace(appNs).withName("route").delete();
        await(
            "Gateway attachedRoutes 0 after the route's deletion",
            () ->
                status(c, GATEWAYS, appNs, "gw")
                    .path("listeners")
                    .path(0)
                    .path("attachedRoutes")
                    .asText(),
            "0");
        c.genericKubernetesResources(GATEWAYS).inNamespace(appNs).withName("gw").delete();
        await("the fleet pruned", fleet::get, pruned);
      } finally {
        c.services().inNamespace(appNs).withName("backend").delete();
      }
      // Closed: the Leases were released too (a write, audited).
    } finally {
      root.detachAppender(logs);
    }
    assertThat(logs.list).as("the services' log was captured").isNotEmpty();
    List<String> forbidden =
        logs.list.stream()
            .filter(ChartRbacIT::mentionsForbidden)
            .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
            .toList();
    assertThat(forbidden).as("service log lines about a refused request").isEmpty();
  }

  /** The audit log: no write refused, and the status-writer's and provisioner's writes there. */
  private static void verify(
      KubeApiServer kube, String ns, String appNs, String release, Installed chart)
      throws IOException {
    String prefix = "system:serviceaccount:" + ns + ":" + release + "-";
    List<JsonNode> audit = new ArrayList<>();
    for (String line : kube.auditLines()) {
      audit.add(JSON.readTree(line));
    }
    List<JsonNode> ours =
        audit.stream()
            .filter(e -> e.path("user").path("username").asText().startsWith(prefix))
            .toList();
    List<String> refused =
        ours.stream()
            .filter(e -> e.path("responseStatus").path("code").asInt() == 403)
            .map(
                e ->
                    e.path("user").path("username").asText()
                        + " "
                        + e.path("verb").asText()
                        + " "
                        + e.path("requestURI").asText())
            .toList();
    assertThat(refused).as("writes the API server refused (403)").isEmpty();
    // The witness saw the services work: status writes, fleet applies and deletes, Leases.
    java.util.function.Function<JsonNode, String> write =
        e ->
            e.path("user").path("username").asText().substring(prefix.length())
                + " "
                + e.path("verb").asText()
                + " "
                + e.path("objectRef").path("resource").asText()
                + (e.path("objectRef").has("subresource")
                    ? "/" + e.path("objectRef").path("subresource").asText()
                    : "")
                + " "
                + e.path("objectRef").path("namespace").asText()
                + " "
                + e.path("responseStatus").path("code").asInt();
    List<String> writes = ours.stream().map(write).toList();
    String fleetNs = chart.gatewayNamespaceMode() ? appNs : ns;
    assertThat(writes)
        .as("the status-writer's and the provisioner's writes")
        .anyMatch(w -> w.matches("status-writer update gateways/status " + appNs + " 200"))
        .anyMatch(w -> w.matches("status-writer update httproutes/status " + appNs + " 200"))
        .anyMatch(w -> w.matches("status-writer update gatewayclasses/status  200"))
        .anyMatch(w -> w.matches("provisioner (patch|create) deployments " + fleetNs + " 20[01]"))
        .anyMatch(w -> w.matches("provisioner (patch|create) leases " + ns + " 20[01]"));
    if (chart.gatewayNamespaceMode()) {
      // Here the Gateway owns its fleet, so Kubernetes' garbage collector may delete the fleet
      // before the provisioner's prune runs; the prune then finds nothing (404, or no request at
      // all). Either way the deletion is in the audit log, and a 403 would have failed above.
      List<String> deletes =
          audit.stream()
              .filter(e -> e.path("verb").asText().equals("delete"))
              // Not the namespace controller's cleanup when the test drops the namespace.
              .filter(
                  e ->
                      e.path("user").path("username").asText().startsWith(prefix)
                          || e.path("userAgent").asText().contains("garbage-collector"))
              .filter(e -> e.path("objectRef").path("namespace").asText().equals(appNs))
              .filter(e -> e.path("responseStatus").path("code").asInt() == 200)
              .map(e -> e.path("objectRef").path("resource").asText())
              .toList();
      assertThat(writes)
          .as("the xDS client certificate copied beside the fleet")
          .anyMatch(w -> w.matches("provisioner (patch|create) secrets " + appNs + " 20[01]"));
      assertThat(deletes)
          .as("the fleet and the certificate copy deleted (by the provisioner or the collector)")
          .contains("deployments", "secrets");
    } else {
      assertThat(writes)
          .as("the provisioner's prune of the fleet")
          .anyMatch(w -> w.matches("provisioner delete deployments " + fleetNs + " 200"));
    }
  }

  /**
   * The services' settings from the installed ConfigMaps: each service's {@code eg4j.<service>}
   * tree of its application.yaml, flattened to properties, and the translator's EnvoyGateway config
   * written to a file. Addresses stay the test's own: the broker and the xds-server run here, on
   * loopback.
   */
  private static Map<String, String> chartProperties(
      KubernetesClient admin, String ns, String release, Path dir) throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    Map<String, String> props = new LinkedHashMap<>();
    for (String service : List.of("watcher", "status-writer", "provisioner")) {
      var cm = admin.configMaps().inNamespace(ns).withName(release + "-" + service).get();
      assertThat(cm).as("the ConfigMap of " + service).isNotNull();
      JsonNode app = yaml.readTree(cm.getData().get("application.yaml"));
      flatten("eg4j." + service, app.path("eg4j").path(service), props);
    }
    props.remove("eg4j.provisioner.xds-address");
    props.remove("eg4j.provisioner.xds-port");
    var config =
        admin.configMaps().inNamespace(ns).withName(release + "-envoy-gateway-config").get();
    assertThat(config).as("the EnvoyGateway config ConfigMap").isNotNull();
    Path file = dir.resolve("envoy-gateway.yaml");
    Files.writeString(file, config.getData().get("envoy-gateway.yaml"), StandardCharsets.UTF_8);
    props.put("eg4j.translator.config-file", file.toString());
    props.put("eg4j.provisioner.config-file", file.toString());
    assertThat(props).containsKey("eg4j.status-writer.kubernetes.controller-name");
    return props;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
    if (node.isObject()) {
      node.fields().forEachRemaining(f -> flatten(prefix + "." + f.getKey(), f.getValue(), out));
    } else if (node.isArray()) {
      if (!node.isEmpty()) {
        List<String> items = new ArrayList<>();
        node.forEach(i -> items.add(i.asText()));
        out.put(prefix, String.join(",", items));
      }
    } else if (!node.isMissingNode() && !node.isNull()) {
      out.put(prefix, node.asText());
    }
  }

  /**
   * A condition of the route's parent entry for Gateway {@code gw} written by {@code controller}.
   */
  private static final ResourceDefinitionContext SECURITY_POLICIES =
      io.eg4j.model.k8s.WatchedKind.find(
              io.eg4j.model.k8s.WatchedKind.ENVOY_GATEWAY, "SecurityPolicy")
          .orElseThrow()
          .context();

  /** The Accepted condition of the ancestor our controller wrote, with its message if not True. */
  private static String ancestorCondition(JsonNode status, String controller) {
    for (JsonNode a : status.path("ancestors")) {
      if (controller.equals(a.path("controllerName").asText())) {
        for (JsonNode cond : a.path("conditions")) {
          if (cond.path("type").asText().equals("Accepted")) {
            String v = cond.path("status").asText();
            return v.equals("True") ? v : v + ": " + cond.path("message").asText();
          }
        }
      }
    }
    return null;
  }

  private static String parentCondition(JsonNode status, String controller, String type) {
    for (JsonNode p : status.path("parents")) {
      if ("gw".equals(p.path("parentRef").path("name").asText())
          && controller.equals(p.path("controllerName").asText())) {
        return condition(p, type);
      }
    }
    return null;
  }

  private static boolean mentionsForbidden(ILoggingEvent e) {
    StringBuilder text = new StringBuilder(String.valueOf(e.getFormattedMessage()));
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      text.append(' ').append(t.getMessage());
    }
    String s = text.toString();
    return s.contains("Forbidden") || s.contains("forbidden") || s.contains("code=403");
  }

  private static String token(KubernetesClient admin, String namespace, String serviceAccount) {
    return admin
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(serviceAccount)
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  /** The certgen Job's settings, read from its rendered {@code --eg4j.certgen.*} arguments. */
  private static KubernetesCertgen.Settings certgenSettings(List<HasMetadata> chart) {
    Job job =
        chart.stream()
            .filter(o -> o instanceof Job && o.getMetadata().getName().endsWith("-certgen"))
            .map(Job.class::cast)
            .findFirst()
            .orElseThrow(() -> new AssertionError("the chart renders no certgen Job"));
    Map<String, String> args = new LinkedHashMap<>();
    for (String a : job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()) {
      int eq = a.indexOf('=');
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    return new KubernetesCertgen.Settings(
        args.get("--eg4j.certgen.kubernetes.namespace"),
        args.get("--eg4j.certgen.kubernetes.ca-secret"),
        args.get("--eg4j.certgen.kubernetes.server-secret"),
        args.get("--eg4j.certgen.kubernetes.envoy-secret"),
        List.of(args.get("--eg4j.certgen.san").split(",")),
        null);
  }

  private static String helmBinary() {
    String helm = System.getenv("EG4J_HELM");
    if (helm == null || helm.isBlank()) {
      // tools/helm/build.sh builds it the first time (from the Go module proxy, cached).
      try {
        helm = KubeApiServer.buildTool("tools/helm/build.sh");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    assertThat(Path.of(helm)).as("helm (tools/helm/build.sh)").isExecutable();
    return helm;
  }

  /**
   * {@code helm install} (or {@code uninstall}) against the test's API server. The API server has
   * no nodes, scheduler or controllers, so nothing may wait on a pod: no {@code --wait}, and {@code
   * --no-hooks}, since Helm waits for a hook Job (the certgen Job) to complete; the test runs
   * certgen itself as the Job's ServiceAccount. The CRDs are the harness's own (the same files), so
   * the chart does not install them.
   */
  private static String helm(
      KubeApiServer kube, String verb, String release, String ns, List<String> values)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                helmBinary(),
                verb,
                release,
                "--kubeconfig",
                kube.kubeconfigFile().toString(),
                "-n",
                ns,
                "--no-hooks",
                "--timeout",
                "60s"));
    if (verb.equals("install")) {
      command.add(3, KubeApiServer.repositoryRoot().resolve("deploy/helm/eg4j").toString());
      command.addAll(List.of("--set", "crds.install=false"));
      command.addAll(values);
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)).as("helm exits").isTrue();
    System.out.println("helm " + verb + " " + release + ":\n" + out);
    assertThat(p.exitValue()).as("helm " + verb + " exit code; output:\n" + out).isZero();
    if (verb.equals("install")) {
      assertThat(out).contains("STATUS: deployed");
    }
    return out;
  }

  /** The release's hooks as installed ({@code helm get hooks}): the certgen Job among them. */
  private static List<HasMetadata> hooks(KubeApiServer kube, String release, String ns)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                helmBinary(),
                "get",
                "hooks",
                release,
                "-n",
                ns,
                "--kubeconfig",
                kube.kubeconfigFile().toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    byte[] yaml = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("helm get hooks exit code").isZero();
    List<HasMetadata> out = new ArrayList<>();
    try (KubernetesClient offline =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder().build()) {
      for (HasMetadata o : offline.load(new ByteArrayInputStream(yaml)).items()) {
        if (o != null) {
          out.add(o);
        }
      }
    }
    return out;
  }

  /** A kubeconfig for the API server that authenticates with {@code token} only. */
  private static Path tokenKubeconfig(KubeApiServer kube, Path dir, String name, String token)
      throws IOException {
    String ca = kube.config().getCaCertData();
    if (ca == null) {
      ca =
          Base64.getEncoder()
              .encodeToString(Files.readAllBytes(Path.of(kube.config().getCaCertFile())));
    }
    Path f = dir.resolve("kubeconfig-" + name);
    Files.writeString(
        f,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster: {server: "%s", certificate-authority-data: "%s"}
        users:
        - name: %s
          user: {token: "%s"}
        contexts:
        - name: %s
          context: {cluster: test, user: %s}
        current-context: %s
        """
            .formatted(kube.url(), ca, name, token, name, name, name),
        StandardCharsets.UTF_8);
    return f;
  }
}
