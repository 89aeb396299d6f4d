package io.eg4j.standalone.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eg4j.standalone.launcher.KubernetesTarget;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eg4j run --kubeconfig}: the embedded broker and the five services in Kubernetes mode
 * against a real kube-apiserver (etcd, RBAC, the project's CRDs). The watcher reads what is applied
 * to the server, the status-writer writes the statuses back to it, and the provisioner creates the
 * Gateway's fleet in the controller namespace, which the launcher created.
 */
@RealKubernetes
class KubernetesModeIT {
  private static final String CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
  private static final Duration WAIT = Duration.ofSeconds(45);
  private static final ObjectMapper JSON = new ObjectMapper();

  static final ResourceDefinitionContext GATEWAY_CLASSES = gatewayApi("GatewayClass", false);
  static final ResourceDefinitionContext GATEWAYS = gatewayApi("Gateway", true);
  static final ResourceDefinitionContext HTTP_ROUTES = gatewayApi("HTTPRoute", true);

  @Test
  void statusesAndFleetsOnTheClusterFromAKubeconfig(KubeApiServer kube, @TempDir Path tmp)
      throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 6);
    // --controller-namespace: one of this run's own, which the launcher creates.
    String controllerNs = "eg4j-ctl-" + id;
    String appNs = "eg4j-app-" + id;
    String className = "eg4j-" + id;
    String otherClass = "other-" + id;
    kube.ensureNamespace(appNs);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8);
    KubernetesTarget target = new KubernetesTarget(kube.kubeconfigFile(), controllerNs, null);
    try (KubernetesClient c = kube.client();
        Standalone eg4j =
            Standalone.start(
                StandaloneOptions.forKubernetesTest(target, tmp.resolve("data"), out))) {
      assertThat(c.namespaces().withName(controllerNs).get())
          .as("the launcher creates the controller namespace")
          .isNotNull();
      // The Lease holders: the status-writer and the provisioner lead in the controller namespace.
      await(
          "the status-writer's and provisioner's Leases in " + controllerNs,
          () ->
              List.of("eg4j-status-writer", "eg4j-provisioner").stream()
                  .map(
                      l -> {
                        var lease = c.leases().inNamespace(controllerNs).withName(l).get();
                        return lease == null || lease.getSpec().getHolderIdentity() == null
                            ? "none"
                            : lease.getSpec().getHolderIdentity().startsWith("eg4j-run-")
                                ? "ours"
                                : lease.getSpec().getHolderIdentity();
                      })
                  .collect(java.util.stream.Collectors.joining(",")),
          "ours,ours");
      assertThat(progress.toString(StandardCharsets.UTF_8))
          .contains(kube.url(), "namespace  " + controllerNs, "eg4j is up against " + kube.url());

      apply(
          c,
          GATEWAY_CLASSES,
          """
          apiVersion: gateway.networking.k8s.io/v1
          kind: GatewayClass
          metadata: {name: %s}
          spec: {controllerName: %s}
          """
              .formatted(className, CONTROLLER));
      // Another controller's class: ours must leave it alone.
      apply(
          c,
          GATEWAY_CLASSES,
          """
          apiVersion: gateway.networking.k8s.io/v1
          kind: GatewayClass
          metadata: {name: %s}
          spec: {controllerName: example.com/not-eg4j}
          """
              .formatted(otherClass));
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
                  .withName("http")
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
      apply(
          c,
          HTTP_ROUTES,
          """
          apiVersion: gateway.networking.k8s.io/v1
          kind: HTTPRoute
          metadata: {name: broken, namespace: %s}
          spec:
            parentRefs: [{name: gw}]
            rules:
            - backendRefs: [{name: missing, port: 8080}]
          """
              .formatted(appNs));

      await(
          "GatewayClass " + className + " Accepted=True",
          () -> condition(status(c, GATEWAY_CLASSES, null, className), "Accepted"),
          "True");
      await(
          "Gateway " + appNs + "/gw Accepted=True",
          () -> condition(status(c, GATEWAYS, appNs, "gw"), "Accepted"),
          "True");
      await(
          "HTTPRoute route Accepted=True for parent gw",
          () -> parentCondition(status(c, HTTP_ROUTES, appNs, "route"), "gw", "Accepted"),
          "True");
      assertThat(parentCondition(status(c, HTTP_ROUTES, appNs, "route"), "gw", "ResolvedRefs"))
          .as("route ResolvedRefs")
          .isEqualTo("True");
      await(
          "HTTPRoute broken ResolvedRefs=False (BackendNotFound) for parent gw",
          () -> parentCondition(status(c, HTTP_ROUTES, appNs, "broken"), "gw", "ResolvedRefs"),
          "False");
      assertThat(parentReason(status(c, HTTP_ROUTES, appNs, "broken"), "gw", "ResolvedRefs"))
          .isEqualTo("BackendNotFound");

      Map<String, String> owner =
          Map.of(
              "gateway.envoyproxy.io/owning-gateway-name",
              "gw",
              "gateway.envoyproxy.io/owning-gateway-namespace",
              appNs);
      await(
          "the Gateway's Deployment and Service in " + controllerNs,
          () -> {
            List<String> kinds =
                List.of(
                        c.apps().deployments().inNamespace(controllerNs).withLabels(owner).list(),
                        c.services().inNamespace(controllerNs).withLabels(owner).list())
                    .stream()
                    .map(l -> l.getItems().isEmpty() ? "none" : "some")
                    .toList();
            return String.join(",", kinds);
          },
          "some,some");
      var deployment =
          c.apps().deployments().inNamespace(controllerNs).withLabels(owner).list().getItems();
      assertThat(deployment).hasSize(1);
      assertThat(deployment.get(0).getSpec().getTemplate().getSpec().getContainers())
          .anySatisfy(k -> assertThat(k.getImage()).contains("envoy"));
      assertThat(c.apps().deployments().inNamespace(appNs).withLabels(owner).list().getItems())
          .as("no fleet in the Gateway's own namespace (controller-namespace mode)")
          .isEmpty();
      assertThat(
              c.apps()
                  .deployments()
                  .inNamespace(KubernetesTarget.DEFAULT_NAMESPACE)
                  .withLabels(owner)
                  .list()
                  .getItems())
          .as("nor in envoy-gateway-system: --controller-namespace reaches every service")
          .isEmpty();

      assertThat(status(c, GATEWAY_CLASSES, null, otherClass).path("conditions").toString())
          .as("another controller's GatewayClass keeps no condition of ours")
          .doesNotContain("\"Accepted\",\"status\":\"True\"");

      // The Gateway goes: so does its fleet.
      c.genericKubernetesResources(GATEWAYS).inNamespace(appNs).withName("gw").delete();
      await(
          "the fleet of the deleted Gateway removed from " + controllerNs,
          () ->
              c.apps()
                      .deployments()
                      .inNamespace(controllerNs)
                      .withLabels(owner)
                      .list()
                      .getItems()
                      .isEmpty()
                  ? "gone"
                  : "present",
          "gone");
    } finally {
      try (KubernetesClient c = kube.client()) {
        c.genericKubernetesResources(GATEWAY_CLASSES).withName(className).delete();
        c.genericKubernetesResources(GATEWAY_CLASSES).withName(otherClass).delete();
        c.namespaces().withName(appNs).delete();
        c.namespaces().withName(controllerNs).delete();
      }
    }
  }

  @Test
  void credentialsTheServerRefusesFailBeforeAnythingStarts(KubeApiServer kube, @TempDir Path tmp)
      throws Exception {
    Path kubeconfig = tmp.resolve("kubeconfig");
    java.nio.file.Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "%s", insecure-skip-tls-verify: true}
        users:
        - name: u
          user: {token: not-a-token}
        contexts:
        - name: stale
          context: {cluster: c, user: u}
        current-context: stale
        """
            .formatted(kube.url()));
    StandaloneOptions options =
        StandaloneOptions.forKubernetesTest(
            new KubernetesTarget(kubeconfig, null, null), tmp.resolve("data"), System.out);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Standalone.start(options))
        .hasMessageContaining("the Kubernetes API server at " + kube.url())
        .hasMessageContaining("refused the credentials of context stale in " + kubeconfig)
        .hasMessageContaining("401");
    assertThat(tmp.resolve("data")).as("nothing started").doesNotExist();
  }

  static ResourceDefinitionContext gatewayApi(String kind, boolean namespaced) {
    return new ResourceDefinitionContext.Builder()
        .withGroup("gateway.networking.k8s.io")
        .withVersion("v1")
        .withKind(kind)
        .withPlural(kind.toLowerCase(java.util.Locale.ROOT) + (kind.endsWith("s") ? "es" : "s"))
        .withNamespaced(namespaced)
        .build();
  }

  static void apply(KubernetesClient c, ResourceDefinitionContext ctx, String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    var op = c.genericKubernetesResources(ctx);
    (r.getMetadata().getNamespace() != null ? op.inNamespace(r.getMetadata().getNamespace()) : op)
        .resource(r)
        .create();
  }

  /** The object's status as JSON (missing when it has none or is gone). */
  static JsonNode status(
      KubernetesClient c, ResourceDefinitionContext ctx, String namespace, String name) {
    var op = c.genericKubernetesResources(ctx);
    HasMetadata r = (namespace == null ? op : op.inNamespace(namespace)).withName(name).get();
    if (r == null) {
      return JSON.missingNode();
    }
    try {
      return JSON.readTree(Serialization.asJson(r)).path("status");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String condition(JsonNode status, String type) {
    for (JsonNode k : status.path("conditions")) {
      if (type.equals(k.path("type").asText())) {
        return k.path("status").asText();
      }
    }
    return null;
  }

  static JsonNode parent(JsonNode status, String gateway) {
    for (JsonNode p : status.path("parents")) {
      if (gateway.equals(p.path("parentRef").path("name").asText())
          && CONTROLLER.equals(p.path("controllerName").asText())) {
        return p;
      }
    }
    return JSON.missingNode();
  }

  static String parentCondition(JsonNode status, String gateway, String type) {
    return condition(parent(status, gateway), type);
  }

  static String parentReason(JsonNode status, String gateway, String type) {
    for (JsonNode k : parent(status, gateway).path("conditions")) {
      if (type.equals(k.path("type").asText())) {
        return k.path("reason").asText();
      }
    }
    return null;
  }

  /** Polls {@code value} until it equals {@code expected}, for at most {@link #WAIT}. */
  static void await(String what, Supplier<String> value, String expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      last = value.get();
      if (expected.equals(last)) {
        return;
      }
      Thread.sleep(200);
    }
    assertThat(last).as(what + " within " + WAIT).isEqualTo(expected);
  }
}
