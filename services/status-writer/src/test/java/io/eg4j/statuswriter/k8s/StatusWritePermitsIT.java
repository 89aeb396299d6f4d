package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The write rate limiter is spent on writes only: a status that is already on the object costs no
 * permit, whether the writer finds it so in its cache ({@link KubernetesStatusWriter#upToDate}) or
 * while writing. Counted against the API server's audit log.
 */
@RealKubernetes
class StatusWritePermitsIT {

  @Test
  void onlyAWriteThatChangesSomethingTakesAPermit(KubeApiServer kube) throws Exception {
    String ns = ClusterObjects.namespace(kube, "sw-permits");
    try (KubernetesClient client = kube.client();
        StatusObjectCache cache = new StatusObjectCache(client, List.of(ns))) {
      ClusterObjects.create(client, "HTTPRoute", ns, "r1", Map.of());
      cache.start();
      ResourceKey key = new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", ns, "r1");
      ClusterObjects.await(() -> cache.get(key) != null, Duration.ofSeconds(30), "the cache");
      KubernetesStatusWriter writer =
          new KubernetesStatusWriter(
              client,
              KubernetesStatusWriter.DEFAULT_CONTROLLER,
              new SimpleMeterRegistry(),
              5,
              Clock.systemUTC(),
              cache);
      AtomicInteger permits = new AtomicInteger();
      KubernetesStatusWriter.Permits counting = permits::incrementAndGet;
      ResourceStatus accepted = status(key, "True");

      assertThat(writer.upToDate(accepted)).isFalse();
      assertThat(writer.write(accepted, counting)).isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
      assertThat(permits).hasValue(1);

      // The same status again: found on the object (the cache keeps our own write), no permit.
      assertThat(writer.upToDate(accepted)).isTrue();
      assertThat(writer.write(accepted, counting)).isEqualTo(KubernetesStatusWriter.Result.SKIPPED);
      assertThat(permits).hasValue(1);

      ResourceStatus rejected = status(key, "False");
      assertThat(writer.upToDate(rejected)).isFalse();
      assertThat(writer.write(rejected, counting)).isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
      assertThat(permits).hasValue(2);
      assertThat(ClusterObjects.statusWrites(kube, "httproutes", ns)).hasSize(2);
    }
  }

  private static ResourceStatus status(ResourceKey key, String accepted) throws Exception {
    ObjectNode s =
        (ObjectNode)
            Json.MAPPER.readTree(
                """
                {"parents":[{"parentRef":{"group":"gateway.networking.k8s.io",
                  "kind":"Gateway","name":"eg"},
                  "controllerName":"gateway.envoyproxy.io/gatewayclass-controller",
                  "conditions":[{"type":"Accepted","status":"%s","reason":"Accepted",
                  "message":"m"}]}]}
                """
                    .formatted(accepted));
    return new ResourceStatus(key, "v1", 1, s);
  }
}
