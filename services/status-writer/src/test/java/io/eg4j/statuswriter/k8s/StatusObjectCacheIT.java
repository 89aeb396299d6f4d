package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.ResourceKey;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The status-writer's object cache: across all namespaces by default, or one watch per listed
 * namespace (Role-based RBAC grants no list across namespaces), with cluster-scoped kinds always
 * cached.
 */
@EnableKubernetesMockClient(crud = true)
class StatusObjectCacheIT {
  static KubernetesMockServer server;
  static KubernetesClient client;

  @BeforeAll
  static void objects() {
    client = MockCluster.patient(client);
    MockCluster.registerKinds(server);
    MockCluster.create(client, "HTTPRoute", "team-a", "web", Map.of());
    MockCluster.create(client, "HTTPRoute", "team-b", "web", Map.of());
    MockCluster.create(
        client, "GatewayClass", "", "eg", Map.of("controllerName", "example.com/gc"));
  }

  static ResourceKey route(String ns) {
    return new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", ns, "web");
  }

  static final ResourceKey CLASS =
      new ResourceKey("gateway.networking.k8s.io", "GatewayClass", "", "eg");

  @Test
  void aNamespaceListCachesOnlyThoseNamespacesAndClusterScopedKinds() throws Exception {
    try (StatusObjectCache cache = new StatusObjectCache(client, List.of("team-a"))) {
      cache.start();
      await(() -> cache.get(route("team-a")) != null && cache.get(CLASS) != null);
      assertThat(cache.get(route("team-a")).getMetadata().getNamespace()).isEqualTo("team-a");
      assertThat(cache.get(route("team-b"))).isNull();
    }
  }

  @Test
  void noListCachesEveryNamespace() throws Exception {
    try (StatusObjectCache cache = new StatusObjectCache(client)) {
      cache.start();
      await(
          () ->
              cache.get(route("team-a")) != null
                  && cache.get(route("team-b")) != null
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
