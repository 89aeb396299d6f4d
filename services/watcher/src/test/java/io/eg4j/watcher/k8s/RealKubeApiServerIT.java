package io.eg4j.watcher.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The test control plane itself: what a real API server does that the mock server never did. It
 * rejects objects its schema rejects, enforces RBAC, issues ServiceAccount tokens, runs the
 * controllers, and audits every write.
 */
@RealKubernetes
class RealKubeApiServerIT {
  private static final ResourceDefinitionContext HTTPROUTES =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withPlural("httproutes")
          .withKind("HTTPRoute")
          .withNamespaced(true)
          .build();

  @Test
  void validatesCustomResourcesAgainstTheirSchema(KubeApiServer kube) {
    kube.ensureNamespace("harness");
    try (KubernetesClient c = kube.client()) {
      GenericKubernetesResource ok =
          new GenericKubernetesResourceBuilder()
              .withApiVersion("gateway.networking.k8s.io/v1")
              .withKind("HTTPRoute")
              .withNewMetadata()
              .withNamespace("harness")
              .withName("ok")
              .endMetadata()
              .withAdditionalProperties(
                  Map.of("spec", Map.of("parentRefs", java.util.List.of(Map.of("name", "gw")))))
              .build();
      c.genericKubernetesResources(HTTPROUTES).inNamespace("harness").resource(ok).create();
      GenericKubernetesResource bad =
          new GenericKubernetesResourceBuilder()
              .withApiVersion("gateway.networking.k8s.io/v1")
              .withKind("HTTPRoute")
              .withNewMetadata()
              .withNamespace("harness")
              .withName("bad")
              .endMetadata()
              .withAdditionalProperties(Map.of("spec", Map.of("hostnames", java.util.List.of(7))))
              .build();
      assertThatThrownBy(
              () ->
                  c.genericKubernetesResources(HTTPROUTES)
                      .inNamespace("harness")
                      .resource(bad)
                      .create())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422));
    }
  }

  @Test
  void runsControllersAndAuditsWrites(KubeApiServer kube) throws Exception {
    kube.ensureNamespace("harness-apps");
    try (KubernetesClient c = kube.client()) {
      c.apps()
          .deployments()
          .inNamespace("harness-apps")
          .resource(
              new DeploymentBuilder()
                  .withNewMetadata()
                  .withName("web")
                  .endMetadata()
                  .withNewSpec()
                  .withNewSelector()
                  .addToMatchLabels("app", "web")
                  .endSelector()
                  .withNewTemplate()
                  .withNewMetadata()
                  .addToLabels("app", "web")
                  .endMetadata()
                  .withNewSpec()
                  .addNewContainer()
                  .withName("web")
                  .withImage("example/web:1")
                  .endContainer()
                  .endSpec()
                  .endTemplate()
                  .endSpec()
                  .build())
          .create();
      // kube-controller-manager's deployment controller makes the ReplicaSet.
      c.apps()
          .replicaSets()
          .inNamespace("harness-apps")
          .withLabel("app", "web")
          .informOnCondition(l -> !l.isEmpty())
          .get(60, TimeUnit.SECONDS);
    }
    assertThat(kube.auditLines())
        .anyMatch(l -> l.contains("\"verb\":\"create\"") && l.contains("/deployments"));
  }

  @Test
  void serviceAccountsGetTokensAndRbacApplies(KubeApiServer kube) {
    kube.ensureNamespace("harness-rbac");
    String token;
    try (KubernetesClient c = kube.client()) {
      c.serviceAccounts()
          .inNamespace("harness-rbac")
          .resource(
              new ServiceAccountBuilder()
                  .withNewMetadata()
                  .withName("nobody")
                  .endMetadata()
                  .build())
          .create();
      token =
          c.serviceAccounts()
              .inNamespace("harness-rbac")
              .withName("nobody")
              .tokenRequest(
                  new TokenRequestBuilder()
                      .withNewSpec()
                      .withExpirationSeconds(600L)
                      .endSpec()
                      .build())
              .getStatus()
              .getToken();
    }
    assertThat(token).isNotBlank();
    try (KubernetesClient sa = kube.clientWithToken(token)) {
      assertThatThrownBy(() -> sa.configMaps().inNamespace("harness-rbac").list())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
    }
  }
}
