package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.model.status.ResourceStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Two status-writer replicas against one mock API server: only the Lease holder writes, and when it
 * stops the other takes over and writes.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesStatusSinkLeaderIT {
  static KubernetesMockServer server;
  static KubernetesClient client;

  /** A client with long timeouts ({@link MockCluster#patient}). */
  @org.junit.jupiter.api.BeforeAll
  static void patientClient() {
    client = MockCluster.patient(client);
  }

  @org.junit.jupiter.api.AfterAll
  static void closePatientClient() {
    client.close();
  }

  private static final LeaderElection.Timing FAST =
      new LeaderElection.Timing(
          Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250));

  private static KubernetesStatusSink sink(String identity, SimpleMeterRegistry meters) {
    return new KubernetesStatusSink(
        client,
        new KubernetesStatusSink.Settings(
            KubernetesStatusWriter.DEFAULT_CONTROLLER,
            "eg-system",
            "eg4j-status-writer",
            identity,
            FAST,
            100,
            100,
            5,
            false),
        meters);
  }

  private static ResourceStatus status(String accepted) throws Exception {
    ObjectNode s =
        (ObjectNode)
            Json.MAPPER.readTree(
                """
                {"parents":[{"parentRef":{"name":"eg"},
                  "controllerName":"gateway.envoyproxy.io/gatewayclass-controller",
                  "conditions":[{"type":"Accepted","status":"%s","reason":"Accepted",
                  "message":"m"}]}]}
                """
                    .formatted(accepted));
    return new ResourceStatus(
        new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "default", "r1"), "v1", 1, s);
  }

  private static double written(SimpleMeterRegistry meters) {
    var c = meters.find("eg4j.status.writes").tag("result", "written").counter();
    return c == null ? 0 : c.count();
  }

  private static void await(BooleanSupplier condition, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + timeout);
      }
      Thread.sleep(50);
    }
  }

  private static String acceptedOnCluster() {
    var r = MockCluster.get(client, "HTTPRoute", "default", "r1");
    Object status = r.getAdditionalProperties().get("status");
    return status == null
        ? null
        : Json.MAPPER.valueToTree(status).at("/parents/0/conditions/0/status").asText();
  }

  @Test
  void onlyTheLeaderWritesAndTheOtherTakesOverWhenItStops() throws Exception {
    MockCluster.registerKinds(server);
    MockCluster.create(client, "HTTPRoute", "default", "r1", Map.of());
    SimpleMeterRegistry metersA = new SimpleMeterRegistry();
    SimpleMeterRegistry metersB = new SimpleMeterRegistry();
    KubernetesStatusSink a = sink("replica-a", metersA);
    KubernetesStatusSink b = sink("replica-b", metersB);
    try {
      a.start();
      await(a::isLeader, Duration.ofSeconds(20));
      b.start();

      // Both replicas consume every status; only the leader writes.
      a.accept(status("True"));
      b.accept(status("True"));
      await(() -> a.queue().pending() == 0, Duration.ofSeconds(20));
      assertThat(acceptedOnCluster()).isEqualTo("True");
      Thread.sleep(1000);
      assertThat(b.isLeader()).isFalse();
      assertThat(written(metersA)).isEqualTo(1);
      assertThat(written(metersB)).isZero();
      assertThat(b.queue().pending()).isEqualTo(1);
      assertThat(metersA.get("eg4j.leader").tag("service", "status-writer").gauge().value())
          .isEqualTo(1.0);
      assertThat(metersB.get("eg4j.leader").gauge().value()).isZero();

      // The leader stops (and releases the Lease); the standby takes over.
      a.close();
      await(b::isLeader, Duration.ofSeconds(20));
      b.accept(status("False"));
      await(() -> "False".equals(acceptedOnCluster()), Duration.ofSeconds(20));
      // The counter moves once the write call returns, a moment after the cluster has the status.
      await(() -> written(metersB) >= 1, Duration.ofSeconds(20));
      assertThat(written(metersB)).isEqualTo(1);
    } finally {
      a.close();
      b.close();
    }
  }
}
