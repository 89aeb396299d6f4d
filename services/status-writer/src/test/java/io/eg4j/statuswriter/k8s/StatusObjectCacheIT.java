package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.ResourceKey;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
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

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("cache filled within 60 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
