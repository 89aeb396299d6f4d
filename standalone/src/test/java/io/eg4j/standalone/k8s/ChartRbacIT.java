package io.eg4j.standalone.k8s;

import static io.eg4j.standalone.k8s.KubernetesModeIT.GATEWAYS;
import static io.eg4j.standalone.k8s.KubernetesModeIT.GATEWAY_CLASSES;
import static io.eg4j.standalone.k8s.KubernetesModeIT.HTTP_ROUTES;
import static io.eg4j.standalone.k8s.KubernetesModeIT.apply;
import static io.eg4j.standalone.k8s.KubernetesModeIT.await;
import static io.eg4j.standalone.k8s.KubernetesModeIT.condition;
import static io.eg4j.standalone.k8s.KubernetesModeIT.parentCondition;
import static io.eg4j.standalone.k8s.KubernetesModeIT.status;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eg4j.standalone.launcher.KubernetesTarget;
import io.eg4j.standalone.launcher.ServiceSpec;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.eg4j.xds.app.KubernetesCertgen;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
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
 * The chart, installed for real: its ServiceAccounts, Roles, ClusterRoles and bindings ({@code helm
 * template deploy/helm/eg4j}) applied to a real kube-apiserver with RBAC, each service run under
 * its own ServiceAccount (a TokenRequest token) through a Gateway's whole life (create, route,
 * delete), and not one request refused: no 403 in the API server's audit log of writes, and no
 * Forbidden in what the services log (their list, watch and get calls are not audited).
 */
@RealKubernetes
class ChartRbacIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> RBAC_KINDS =
      Set.of("ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding");

  /** The default values: watch.type All, ClusterRoles for the watched kinds. */
  @Test
  void theChartsServiceAccountsRunAGatewayLifecycleWithoutAForbidden(
      KubeApiServer kube, @TempDir Path tmp) throws Exception {
    lifecycle(kube, tmp, appNs -> List.of(), appNs -> Map.of());
  }

  /**
   * watch.type Namespaces: Roles in the listed namespace only, and the services configured as the
   * chart's ConfigMaps configure them (the watcher's and the status-writer's namespace lists).
   */
  @Test
  void roleBasedRbacForListedNamespacesIsEnough(KubeApiServer kube, @TempDir Path tmp)
      throws Exception {
    lifecycle(
        kube,
        tmp,
        appNs -> List.of("--set", "watch.type=Namespaces", "--set", "watch.namespaces[0]=" + appNs),
        appNs ->
            Map.of(
                "eg4j.watcher.namespaces", appNs,
                "eg4j.status-writer.kubernetes.namespaces", appNs));
  }

  private void lifecycle(
      KubeApiServer kube,
      Path tmp,
      java.util.function.Function<String, List<String>> helmSets,
      java.util.function.Function<String, Map<String, String>> serviceProperties)
      throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 6);
    String release = "eg4j-" + id;
    // The release namespace is the controller namespace, as when the chart is installed.
    String ns = KubernetesTarget.DEFAULT_NAMESPACE;
    String appNs = "rbac-app-" + id;
    String className = "rbac-" + id;
    kube.ensureNamespace(ns);
    kube.ensureNamespace(appNs);

    Map<String, Path> kubeconfigs = new LinkedHashMap<>();
    try (KubernetesClient admin = kube.client()) {
      List<HasMetadata> chart = render(release, ns, helmSets.apply(appNs));
      List<HasMetadata> rbac =
          chart.stream().filter(o -> RBAC_KINDS.contains(o.getKind())).toList();
      assertThat(rbac).extracting(HasMetadata::getKind).contains("ClusterRole", "Role");
      for (HasMetadata o : rbac) {
        admin.resource(o).forceConflicts().serverSideApply();
      }
      for (ServiceSpec spec : ServiceSpec.ALL) {
        String token = token(admin, ns, release + "-" + spec.name());
        kubeconfigs.put(spec.name(), tokenKubeconfig(kube, tmp, spec.name(), token));
      }

      // The certgen hook Job, as its ServiceAccount, with the Job's own arguments: it creates the
      // xDS Secrets on install and only reads them (by name) on upgrade.
      KubernetesCertgen.Settings certs = certgenSettings(chart);
      try (KubernetesClient certgen =
          kube.clientWithToken(token(admin, ns, release + "-certgen"))) {
        assertThat(KubernetesCertgen.run(certgen, certs, System.out))
            .isEqualTo(KubernetesCertgen.Outcome.CREATED);
        assertThat(KubernetesCertgen.run(certgen, certs, System.out))
            .isEqualTo(KubernetesCertgen.Outcome.EXISTED);
      }
      assertThat(admin.secrets().inNamespace(ns).withName(certs.envoySecret()).get()).isNotNull();
    }

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
    try (KubernetesClient c = kube.client()) {
      try (Standalone eg4j =
          Standalone.start(
              StandaloneOptions.forKubernetesTest(
                      new KubernetesTarget(kube.kubeconfigFile(), ns, kubeconfigs),
                      tmp.resolve("data"),
                      System.out)
                  .withProperties(serviceProperties.apply(appNs)))) {
        apply(
            c,
            GATEWAY_CLASSES,
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: %s}
            spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
            """
                .formatted(className));
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

        await(
            "GatewayClass Accepted",
            () -> condition(status(c, GATEWAY_CLASSES, null, className), "Accepted"),
            "True");
        await(
            "HTTPRoute Accepted and ResolvedRefs",
            () ->
                parentCondition(status(c, HTTP_ROUTES, appNs, "route"), "gw", "Accepted")
                    + "/"
                    + parentCondition(status(c, HTTP_ROUTES, appNs, "route"), "gw", "ResolvedRefs"),
            "True/True");
        await(
            "the Gateway's fleet",
            () ->
                c.apps().deployments().inNamespace(ns).withLabels(owner).list().getItems().size()
                    + "/"
                    + c.services().inNamespace(ns).withLabels(owner).list().getItems().size(),
            "1/1");
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
        await(
            "the fleet pruned",
            () ->
                c.apps().deployments().inNamespace(ns).withLabels(owner).list().getItems().size()
                    + "/"
                    + c.services().inNamespace(ns).withLabels(owner).list().getItems().size(),
            "0/0");
      }
      // Closed: the Leases were released too (a write, audited).
    } finally {
      root.detachAppender(logs);
      try (KubernetesClient c = kube.client()) {
        c.genericKubernetesResources(GATEWAY_CLASSES).withName(className).delete();
        c.namespaces().withName(appNs).delete();
      }
    }

    String prefix = "system:serviceaccount:" + ns + ":" + release + "-";
    List<JsonNode> ours = new ArrayList<>();
    for (String line : kube.auditLines()) {
      JsonNode e = JSON.readTree(line);
      if (e.path("user").path("username").asText().startsWith(prefix)) {
        ours.add(e);
      }
    }
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
    assertThat(ours)
        .extracting(e -> e.path("user").path("username").asText().substring(prefix.length()))
        .contains("status-writer", "provisioner");
    assertThat(ours)
        .filteredOn(e -> e.path("objectRef").path("resource").asText().equals("deployments"))
        .extracting(e -> e.path("verb").asText())
        .contains("delete");

    assertThat(logs.list).as("the services' log was captured").isNotEmpty();
    List<String> forbidden =
        logs.list.stream()
            .filter(ChartRbacIT::mentionsForbidden)
            .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
            .toList();
    assertThat(forbidden).as("service log lines about a refused request").isEmpty();
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

  /** The chart's objects, rendered with its default values. */
  private static List<HasMetadata> render(String release, String namespace, List<String> sets)
      throws IOException, InterruptedException {
    String helm = System.getenv("EG4J_HELM");
    if (helm == null || helm.isBlank()) {
      helm = Path.of(System.getProperty("user.home"), ".cache/eg4j/bin/helm").toString();
    }
    assertThat(Path.of(helm))
        .as("helm (deploy/test/run.sh builds it into ~/.cache/eg4j/bin)")
        .isExecutable();
    Path chart = KubeApiServer.repositoryRoot().resolve("deploy/helm/eg4j");
    List<String> command =
        new ArrayList<>(List.of(helm, "template", release, chart.toString(), "-n", namespace));
    command.addAll(sets);
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] yaml = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as("helm template exit code").isZero();
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
