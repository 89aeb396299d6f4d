package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.model.bus.ResourceKey;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The status-writer's object cache: across all namespaces by default, or one watch per listed
 * namespace (Role-based RBAC grants no list across namespaces), with cluster-scoped kinds always
 * cached.
 */
@RealKubernetes
class StatusObjectCacheIT {
  static KubernetesClient client;
  static String teamA;
  static String teamB;
  static final String CLASS_NAME = ClusterObjects.unique("eg");

  @BeforeAll
  static void objects(KubeApiServer kube) {
    client = kube.client();
    teamA = ClusterObjects.namespace(kube, "team-a");
    teamB = ClusterObjects.namespace(kube, "team-b");
    ClusterObjects.create(client, "HTTPRoute", teamA, "web", Map.of());
    ClusterObjects.create(client, "HTTPRoute", teamB, "web", Map.of());
    ClusterObjects.create(
        client, "GatewayClass", "", CLASS_NAME, Map.of("controllerName", "example.com/gc"));
  }

  @AfterAll
  static void cleanUp() {
    ClusterObjects.delete(client, "GatewayClass", "", CLASS_NAME);
    client.close();
  }

  static ResourceKey route(String ns) {
    return new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", ns, "web");
  }

  static final ResourceKey CLASS =
      new ResourceKey("gateway.networking.k8s.io", "GatewayClass", "", CLASS_NAME);

  @Test
  void aNamespaceListCachesOnlyThoseNamespacesAndClusterScopedKinds() throws Exception {
    try (StatusObjectCache cache = new StatusObjectCache(client, List.of(teamA))) {
      cache.start();
      await(() -> cache.get(route(teamA)) != null && cache.get(CLASS) != null);
      assertThat(cache.get(route(teamA)).getMetadata().getNamespace()).isEqualTo(teamA);
      assertThat(cache.get(route(teamB))).isNull();
    }
  }

  @Test
  void noListCachesEveryNamespace() throws Exception {
    try (StatusObjectCache cache = new StatusObjectCache(client)) {
      cache.start();
      await(
          () ->
              cache.get(route(teamA)) != null
                  && cache.get(route(teamB)) != null
                  && cache.get(CLASS) != null);
    }
  }

  /**
   * What the namespace list is for: a status-writer whose ServiceAccount only has a Role in its
   * namespace (and a ClusterRole for the cluster-scoped GatewayClasses) cannot list routes across
   * namespaces, and its cache still fills from per-namespace watches.
   */
  @Test
  void aNamespaceListWorksWithRoleBasedRbac(KubeApiServer kube) throws Exception {
    String role = ClusterObjects.unique("status-cache");
    client
        .serviceAccounts()
        .inNamespace(teamA)
        .resource(
            new ServiceAccountBuilder()
                .withNewMetadata()
                .withName("status-writer")
                .endMetadata()
                .build())
        .create();
    client
        .rbac()
        .roles()
        .inNamespace(teamA)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("status-writer")
                .endMetadata()
                .addNewRule()
                .withApiGroups("gateway.networking.k8s.io", "gateway.envoyproxy.io")
                .withResources("*")
                .withVerbs("get", "list", "watch")
                .endRule()
                .build())
        .create();
    client
        .rbac()
        .roleBindings()
        .inNamespace(teamA)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("status-writer")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "status-writer")
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("status-writer")
                .withNamespace(teamA)
                .endSubject()
                .build())
        .create();
    client
        .rbac()
        .clusterRoles()
        .resource(
            new ClusterRoleBuilder()
                .withNewMetadata()
                .withName(role)
                .endMetadata()
                .addNewRule()
                .withApiGroups("gateway.networking.k8s.io")
                .withResources("gatewayclasses")
                .withVerbs("get", "list", "watch")
                .endRule()
                .build())
        .create();
    client
        .rbac()
        .clusterRoleBindings()
        .resource(
            new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(role)
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("status-writer")
                .withNamespace(teamA)
                .endSubject()
                .build())
        .create();
    String token =
        client
            .serviceAccounts()
            .inNamespace(teamA)
            .withName("status-writer")
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    var routes =
        io.eg4j.model.k8s.WatchedKind.find("gateway.networking.k8s.io", "HTTPRoute")
            .orElseThrow()
            .context();
    try (KubernetesClient sa = kube.clientWithToken(token)) {
      // RBAC is in force: no list across namespaces, nor in another team's.
      assertThatThrownBy(() -> sa.genericKubernetesResources(routes).inAnyNamespace().list())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
      assertThatThrownBy(() -> sa.genericKubernetesResources(routes).inNamespace(teamB).list())
          .isInstanceOf(KubernetesClientException.class)
          .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(403));
      try (StatusObjectCache cache = new StatusObjectCache(sa, List.of(teamA))) {
        cache.start();
        await(() -> cache.get(route(teamA)) != null && cache.get(CLASS) != null);
        assertThat(cache.get(route(teamB))).isNull();
      }
    } finally {
      client.rbac().clusterRoleBindings().withName(role).delete();
      client.rbac().clusterRoles().withName(role).delete();
    }
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("cache filled within 60 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
