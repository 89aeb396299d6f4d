package io.eg4j.provisioner.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.testing.kube.KubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Test helpers over the real API server: its audit log, Gateways, and the chart's RBAC. */
public final class FleetAudit {
  private FleetAudit() {}

  /** The kinds of object the provisioner applies for a fleet. */
  public static final Set<String> FLEET_RESOURCES =
      Set.of(
          "deployments",
          "daemonsets",
          "services",
          "configmaps",
          "serviceaccounts",
          "horizontalpodautoscalers",
          "poddisruptionbudgets",
          "secrets");

  static final ResourceDefinitionContext GATEWAY_CLASSES =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withKind("GatewayClass")
          .withPlural("gatewayclasses")
          .withNamespaced(false)
          .build();
  static final ResourceDefinitionContext GATEWAYS =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withKind("Gateway")
          .withPlural("gateways")
          .withNamespaced(true)
          .build();

  /**
   * The audited writes that created or deleted a fleet object in {@code namespace}: verb create or
   * delete, or a server-side apply that created (201), dry runs excepted. One line each, {@code
   * verb resource/name}.
   */
  static List<String> createsAndDeletes(KubeApiServer kube, String namespace) {
    List<String> out = new ArrayList<>();
    List<String> lines;
    try {
      lines = kube.auditLines();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String line : lines) {
      JsonNode e;
      try {
        e = Json.MAPPER.readTree(line);
      } catch (IOException ex) {
        continue;
      }
      JsonNode ref = e.path("objectRef");
      if (!namespace.equals(ref.path("namespace").asText())
          || !FLEET_RESOURCES.contains(ref.path("resource").asText())
          || !ref.path("subresource").asText("").isEmpty()
          || e.path("requestURI").asText().contains("dryRun")
          || !"ResponseComplete".equals(e.path("stage").asText())
          // What the controller-manager creates in every new namespace.
          || ref.path("name").asText().equals("kube-root-ca.crt")
          || ref.path("name").asText().equals("default")) {
        continue;
      }
      String verb = e.path("verb").asText();
      int code = e.path("responseStatus").path("code").asInt();
      boolean created = verb.equals("create") || (verb.equals("patch") && code == 201);
      boolean deleted = verb.equals("delete") && code < 300;
      if (created || deleted) {
        out.add(
            (created ? "create " : "delete ")
                + ref.path("resource").asText()
                + "/"
                + ref.path("name").asText());
      }
    }
    return out;
  }

  /** Creates the GatewayClass (unless it exists) and a Gateway of it with one HTTP listener. */
  static void createGateway(KubernetesClient client, String ns, String gw, String gatewayClass) {
    if (client.genericKubernetesResources(GATEWAY_CLASSES).withName(gatewayClass).get() == null) {
      client
          .genericKubernetesResources(GATEWAY_CLASSES)
          .resource(
              new GenericKubernetesResourceBuilder()
                  .withApiVersion("gateway.networking.k8s.io/v1")
                  .withKind("GatewayClass")
                  .withNewMetadata()
                  .withName(gatewayClass)
                  .endMetadata()
                  .addToAdditionalProperties(
                      "spec",
                      Map.of("controllerName", "gateway.envoyproxy.io/gatewayclass-controller"))
                  .build())
          .create();
    }
    GenericKubernetesResource g =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1")
            .withKind("Gateway")
            .withNewMetadata()
            .withName(gw)
            .withNamespace(ns)
            .endMetadata()
            .addToAdditionalProperties(
                "spec",
                Map.of(
                    "gatewayClassName",
                    gatewayClass,
                    "listeners",
                    List.of(Map.of("name", "http", "protocol", "HTTP", "port", 80))))
            .build();
    client.genericKubernetesResources(GATEWAYS).inNamespace(ns).resource(g).create();
  }

  /**
   * A ServiceAccount in {@code release} with the chart's provisioner rights in controller-namespace
   * mode (fleet kinds written in the release namespace only; lists across namespaces; Gateways and
   * GatewayClasses read), and a client authenticated as it.
   */
  static KubernetesClient provisionerClient(
      KubeApiServer kube, KubernetesClient admin, String release) {
    String sa = "eg4j-provisioner";
    admin
        .serviceAccounts()
        .inNamespace(release)
        .resource(new ServiceAccountBuilder().withNewMetadata().withName(sa).endMetadata().build())
        .create();
    List<PolicyRule> write =
        List.of(
            rule(
                "apps",
                List.of("daemonsets", "deployments"),
                "create",
                "delete",
                "get",
                "patch",
                "update"),
            rule(
                "",
                List.of("configmaps", "serviceaccounts", "services"),
                "create",
                "delete",
                "get",
                "patch",
                "update"),
            rule(
                "autoscaling",
                List.of("horizontalpodautoscalers"),
                "create",
                "delete",
                "get",
                "patch",
                "update"),
            rule(
                "policy",
                List.of("poddisruptionbudgets"),
                "create",
                "delete",
                "get",
                "patch",
                "update"));
    admin
        .rbac()
        .roles()
        .inNamespace(release)
        .resource(
            new RoleBuilder().withNewMetadata().withName(sa).endMetadata().withRules(write).build())
        .create();
    admin
        .rbac()
        .roleBindings()
        .inNamespace(release)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName(sa)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", sa)
                .addNewSubject(null, "ServiceAccount", sa, release)
                .build())
        .create();
    String cluster = release + "-provisioner";
    admin
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(cluster)
                .endMetadata()
                .withRules(
                    rule("gateway.networking.k8s.io", List.of("gatewayclasses", "gateways"), "get"),
                    rule("apps", List.of("daemonsets", "deployments"), "list"),
                    rule("", List.of("configmaps", "serviceaccounts", "services"), "list"),
                    rule("autoscaling", List.of("horizontalpodautoscalers"), "list"),
                    rule("policy", List.of("poddisruptionbudgets"), "list"))
                .build())
        .create();
    admin
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(cluster)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", cluster)
                .addNewSubject(null, "ServiceAccount", sa, release)
                .build())
        .create();
    String token =
        admin
            .serviceAccounts()
            .inNamespace(release)
            .withName(sa)
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    return kube.clientWithToken(token);
  }

  private static PolicyRule rule(String group, List<String> resources, String... verbs) {
    return new PolicyRuleBuilder()
        .withApiGroups(group)
        .withResources(resources)
        .withVerbs(verbs)
        .build();
  }
}
