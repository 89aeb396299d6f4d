package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Status-writer replicas on a real API server, electing their leader on a real {@code
 * coordination.k8s.io} Lease: only the Lease holder writes, the other takes over when it stops, and
 * a new leader writes only what differs from the cluster, so new changes are not queued behind
 * statuses that are already right.
 */
@RealKubernetes
class KubernetesStatusSinkLeaderIT {
  private static final LeaderElection.Timing FAST =
      new LeaderElection.Timing(
          Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250));

  static KubernetesClient client;

  @BeforeAll
  static void connect(KubeApiServer kube) {
    client = kube.client();
  }

  @AfterAll
  static void disconnect() {
    client.close();
  }

  private static KubernetesStatusSink sink(
      String identity,
      String leaseNamespace,
      double writesPerSecond,
      int burst,
      SimpleMeterRegistry meters) {
    return new KubernetesStatusSink(
        client,
        new KubernetesStatusSink.Settings(
            KubernetesStatusWriter.DEFAULT_CONTROLLER,
            leaseNamespace,
            "eg4j-status-writer",
            identity,
            FAST,
            writesPerSecond,
            burst,
            5,
            false),
        meters);
  }

  /**
   * A route status as the translator publishes it: its parentRef is the route's, which the server
   * filled with the schema's defaults (group and kind). The server defaults the status's parentRef
   * too, so a status without them would never compare equal and would be written every time.
   */
  private static ResourceStatus status(String ns, String name, String accepted) {
    try {
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
      return new ResourceStatus(
          new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", ns, name), "v1", 1, s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static double written(SimpleMeterRegistry meters) {
    var c = meters.find("eg4j.status.writes").tag("result", "written").counter();
    return c == null ? 0 : c.count();
  }

  private static void await(BooleanSupplier condition, Duration timeout) throws Exception {
    ClusterObjects.await(condition, timeout, "condition");
  }

  private static String accepted(String ns, String name) {
    JsonNode status = ClusterObjects.status(client, "HTTPRoute", ns, name);
    return status.at("/parents/0/conditions/0/status").asText(null);
  }

  @Test
  void onlyTheLeaderWritesAndTheOtherTakesOverWhenItStops(KubeApiServer kube) throws Exception {
    String ns = ClusterObjects.namespace(kube, "sw-leader");
    ClusterObjects.create(client, "HTTPRoute", ns, "r1", Map.of());
    SimpleMeterRegistry metersA = new SimpleMeterRegistry();
    SimpleMeterRegistry metersB = new SimpleMeterRegistry();
    KubernetesStatusSink a = sink("replica-a", ns, 100, 100, metersA);
    KubernetesStatusSink b = sink("replica-b", ns, 100, 100, metersB);
    try {
      a.start();
      await(a::isLeader, Duration.ofSeconds(20));
      b.start();

      // Both replicas consume every status; only the leader writes.
      a.accept(status(ns, "r1", "True"));
      b.accept(status(ns, "r1", "True"));
      await(() -> a.queue().pending() == 0, Duration.ofSeconds(20));
      assertThat(accepted(ns, "r1")).isEqualTo("True");
      Thread.sleep(1000);
      assertThat(b.isLeader()).isFalse();
      assertThat(written(metersA)).isEqualTo(1);
      assertThat(written(metersB)).isZero();
      assertThat(b.queue().pending()).isEqualTo(1);
      assertThat(metersA.get("eg4j.leader").tag("service", "status-writer").gauge().value())
          .isEqualTo(1.0);
      assertThat(metersB.get("eg4j.leader").gauge().value()).isZero();
      assertThat(ClusterObjects.statusWrites(kube, "httproutes", ns)).hasSize(1);
      var lease = client.leases().inNamespace(ns).withName("eg4j-status-writer").get();
      assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("replica-a");

      // The leader stops (and releases the Lease); the standby takes over.
      a.close();
      await(b::isLeader, Duration.ofSeconds(20));
      assertThat(
              client
                  .leases()
                  .inNamespace(ns)
                  .withName("eg4j-status-writer")
                  .get()
                  .getSpec()
                  .getHolderIdentity())
          .isEqualTo("replica-b");
      b.accept(status(ns, "r1", "False"));
      await(() -> "False".equals(accepted(ns, "r1")), Duration.ofSeconds(20));
      // The counter moves once the write call returns, a moment after the cluster has the status.
      await(() -> written(metersB) >= 1, Duration.ofSeconds(20));
      assertThat(written(metersB)).isEqualTo(1);
      assertThat(ClusterObjects.statusWrites(kube, "httproutes", ns)).hasSize(2);
    } finally {
      a.close();
      b.close();
    }
  }

  /**
   * The defect seen on a real cluster: after a failover the new leader pushed every status it knew
   * through the write limiter, skipped or not, before it reached new changes (a new route's status
   * took 34 s at 1,000 routes and 50 writes/s). A new leader compares what it knows with the
   * objects it has cached, and queues only what differs.
   */
  @Test
  void aNewLeaderWritesOnlyWhatDiffersAndANewChangeIsNotStuckBehindTheRest(KubeApiServer kube)
      throws Exception {
    String ns = ClusterObjects.namespace(kube, "sw-failover");
    int right = 300;
    int stale = 5;
    for (int i = 0; i < right; i++) {
      ClusterObjects.create(client, "HTTPRoute", ns, "right-" + i, Map.of());
    }
    for (int i = 0; i < stale; i++) {
      ClusterObjects.create(client, "HTTPRoute", ns, "stale-" + i, Map.of());
    }
    // What the previous leader wrote: the right statuses, and old ones on the stale routes.
    KubernetesStatusWriter previous =
        new KubernetesStatusWriter(
            client,
            KubernetesStatusWriter.DEFAULT_CONTROLLER,
            new SimpleMeterRegistry(),
            5,
            Clock.systemUTC());
    for (int i = 0; i < right; i++) {
      assertThat(previous.write(status(ns, "right-" + i, "True")))
          .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    }
    for (int i = 0; i < stale; i++) {
      assertThat(previous.write(status(ns, "stale-" + i, "False")))
          .isEqualTo(KubernetesStatusWriter.Result.WRITTEN);
    }

    // 20 writes/s with no burst: before the fix the takeover queued 305 statuses, 15 s of slots.
    SimpleMeterRegistry metersA = new SimpleMeterRegistry();
    SimpleMeterRegistry metersB = new SimpleMeterRegistry();
    KubernetesStatusSink a = sink("replica-a", ns, 20, 1, metersA);
    KubernetesStatusSink b = sink("replica-b", ns, 20, 1, metersB);
    try {
      a.start();
      await(a::isLeader, Duration.ofSeconds(20));
      b.start();
      // The standby knows the latest status of every route, as it reads the whole bus.
      for (int i = 0; i < right; i++) {
        b.accept(status(ns, "right-" + i, "True"));
      }
      for (int i = 0; i < stale; i++) {
        b.accept(status(ns, "stale-" + i, "True"));
      }
      assertThat(b.queue().known()).isEqualTo(right + stale);
      int before = ClusterObjects.statusWrites(kube, "httproutes", ns).size();
      assertThat(before).isEqualTo(right + stale);

      a.close();
      await(b::isLeader, Duration.ofSeconds(20));
      ClusterObjects.create(client, "HTTPRoute", ns, "new", Map.of());
      long t0 = System.nanoTime();
      b.accept(status(ns, "new", "True"));
      await(() -> "True".equals(accepted(ns, "new")), Duration.ofSeconds(30));
      Duration latency = Duration.ofNanos(System.nanoTime() - t0);
      for (int i = 0; i < stale; i++) {
        String name = "stale-" + i;
        await(() -> "True".equals(accepted(ns, name)), Duration.ofSeconds(30));
      }
      Duration converged = Duration.ofNanos(System.nanoTime() - t0);
      await(() -> b.queue().pending() == 0, Duration.ofSeconds(30));
      // Nothing else is written once the queue is idle.
      Thread.sleep(500);
      List<JsonNode> writes = ClusterObjects.statusWrites(kube, "httproutes", ns);
      List<String> after =
          writes.subList(before, writes.size()).stream()
              .map(e -> e.at("/objectRef/name").asText())
              .sorted()
              .toList();
      System.out.printf(
          "failover with %d routes right and %d stale: new route's status after %d ms, all"
              + " converged after %d ms, %d status writes%n",
          right, stale, latency.toMillis(), converged.toMillis(), after.size());
      assertThat(after)
          .containsExactly("new", "stale-0", "stale-1", "stale-2", "stale-3", "stale-4");
      assertThat(written(metersB)).isEqualTo(stale + 1);
      // One write slot is 50 ms; six writes take 300 ms. Before the fix it was 15 s.
      assertThat(latency).isLessThan(Duration.ofSeconds(3));
    } finally {
      a.close();
      b.close();
    }
  }
}
