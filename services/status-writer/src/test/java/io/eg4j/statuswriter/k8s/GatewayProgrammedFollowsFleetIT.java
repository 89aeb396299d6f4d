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
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A Gateway's addresses and {@code Programmed} follow its fleet on a real API server: when the
 * Deployment controller reports replicas available and the load balancer assigns an address, the
 * sink rewrites the Gateway's status without a new status from the translator.
 */
@RealKubernetes
class GatewayProgrammedFollowsFleetIT {

  @Test
  void programmedFollowsTheServiceAndTheDeployment(KubeApiServer kube) throws Exception {
    String ns = ClusterObjects.namespace(kube, "sw-fleet");
    try (KubernetesClient client = kube.client()) {
      ClusterObjects.create(client, "Gateway", ns, "eg", ClusterObjects.gatewaySpec("eg"));
      KubernetesStatusSink sink =
          new KubernetesStatusSink(
              client,
              new KubernetesStatusSink.Settings(
                  KubernetesStatusWriter.DEFAULT_CONTROLLER,
                  ns,
                  "eg4j-status-writer",
                  "only",
                  new LeaderElection.Timing(
                      Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250)),
                  100,
                  100,
                  5,
                  true),
              new SimpleMeterRegistry());
      String node = null;
      try {
        sink.start();
        ObjectNode status =
            (ObjectNode)
                Json.MAPPER.readTree(
                    "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"True\","
                        + "\"reason\":\"Accepted\",\"message\":\"ok\"}]}");
        sink.accept(
            new ResourceStatus(
                new ResourceKey("gateway.networking.k8s.io", "Gateway", ns, "eg"),
                "v1",
                1,
                status));
        Supplier<JsonNode> programmed =
            () -> ClusterObjects.condition(client, "Gateway", ns, "eg", "Programmed");
        await(() -> programmed.get().path("reason").asText(), "AddressNotAssigned");

        Map<String, String> labels =
            Map.of(
                "app.kubernetes.io/name",
                "envoy",
                "app.kubernetes.io/component",
                "proxy",
                ProxyLabels.OWNING_GATEWAY_NAME,
                "eg",
                ProxyLabels.OWNING_GATEWAY_NAMESPACE,
                ns);
        ClusterObjects.deployment(client, ns, "envoy-eg", labels, 1);
        client
            .services()
            .inNamespace(ns)
            .resource(
                new ServiceBuilder()
                    .withNewMetadata()
                    .withName("envoy-eg")
                    .withLabels(labels)
                    .endMetadata()
                    .withNewSpec()
                    .withType("LoadBalancer")
                    .withSelector(Map.of("app", "envoy-eg"))
                    .withPorts(new ServicePortBuilder().withName("http").withPort(80).build())
                    .endSpec()
                    .build())
            .create();
        // The Service has no load balancer address yet.
        await(() -> programmed.get().path("reason").asText(), "AddressNotAssigned");
        // The load balancer assigns an address later, as a cloud controller would.
        client
            .services()
            .inNamespace(ns)
            .withName("envoy-eg")
            .editStatus(
                s -> {
                  s.setStatus(
                      new io.fabric8.kubernetes.api.model.ServiceStatusBuilder()
                          .withNewLoadBalancer()
                          .addNewIngress()
                          .withHostname("lb.example.com")
                          .endIngress()
                          .endLoadBalancer()
                          .build());
                  return s;
                });
        await(() -> programmed.get().path("reason").asText(), "NoResources");

        // A replica runs: the controllers report it available, and the sink follows.
        node = ClusterObjects.runPods(client, ns, "envoy-eg", 1);
        await(() -> programmed.get().path("status").asText(), "True");
        assertThat(programmed.get().path("message").asText())
            .isEqualTo("Address assigned to the Gateway, 1/1 envoy replicas available");
        JsonNode gw = ClusterObjects.status(client, "Gateway", ns, "eg");
        assertThat(gw.path("addresses").toString()).contains("lb.example.com", "Hostname");
      } finally {
        sink.close();
        if (node != null) {
          client.nodes().withName(node).delete();
        }
      }
    }
  }

  private static void await(Supplier<String> actual, String expected) throws InterruptedException {
    ClusterObjects.await(actual, expected);
  }
}
