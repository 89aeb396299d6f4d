package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.model.status.ResourceStatus;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A Gateway's addresses and {@code Programmed} follow its fleet: when the load balancer assigns an
 * address and replicas become available, the sink rewrites the Gateway's status without a new
 * status from the translator.
 */
@EnableKubernetesMockClient(crud = true)
class GatewayProgrammedFollowsFleetIT {
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

  @Test
  void programmedFollowsTheServiceAndTheDeployment() throws Exception {
    MockCluster.registerKinds(server);
    MockCluster.create(
        client,
        "Gateway",
        "default",
        "eg",
        Map.of("gatewayClassName", "eg", "listeners", List.of()));
    KubernetesStatusSink sink =
        new KubernetesStatusSink(
            client,
            new KubernetesStatusSink.Settings(
                KubernetesStatusWriter.DEFAULT_CONTROLLER,
                "eg-system",
                "eg4j-status-writer",
                "only",
                new LeaderElection.Timing(
                    Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(250)),
                100,
                100,
                5,
                true),
            new SimpleMeterRegistry());
    try {
      sink.start();
      ObjectNode status =
          (ObjectNode)
              Json.MAPPER.readTree(
                  "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"True\","
                      + "\"reason\":\"Accepted\",\"message\":\"ok\"}]}");
      sink.accept(
          new ResourceStatus(
              new ResourceKey("gateway.networking.k8s.io", "Gateway", "default", "eg"),
              "v1",
              1,
              status));
      await(() -> programmed().path("reason").asText(), "AddressNotAssigned");

      Map<String, String> labels =
          Map.of(
              "app.kubernetes.io/name",
              "envoy",
              "app.kubernetes.io/component",
              "proxy",
              ProxyLabels.OWNING_GATEWAY_NAME,
              "eg",
              ProxyLabels.OWNING_GATEWAY_NAMESPACE,
              "default");
      client
          .apps()
          .deployments()
          .inNamespace("eg-system")
          .resource(
              new DeploymentBuilder()
                  .withNewMetadata()
                  .withName("envoy-default-eg")
                  .withLabels(labels)
                  .endMetadata()
                  .withNewStatus()
                  .withReplicas(1)
                  .withAvailableReplicas(1)
                  .endStatus()
                  .build())
          .create();
      client
          .services()
          .inNamespace("eg-system")
          .resource(
              new ServiceBuilder()
                  .withNewMetadata()
                  .withName("envoy-default-eg")
                  .withLabels(labels)
                  .endMetadata()
                  .withNewSpec()
                  .withType("LoadBalancer")
                  .endSpec()
                  .build())
          .create();
      // The load balancer assigns an address later, as a cloud controller would.
      client
          .services()
          .inNamespace("eg-system")
          .withName("envoy-default-eg")
          .edit(
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

      await(() -> programmed().path("status").asText(), "True");
      JsonNode gw = statusOfGateway();
      assertThat(gw.path("addresses").toString()).contains("lb.example.com", "Hostname");
    } finally {
      sink.close();
    }
  }

  private static JsonNode statusOfGateway() {
    return MockCluster.status(client, "Gateway", "default", "eg");
  }

  private static JsonNode programmed() {
    return MockCluster.condition(client, "Gateway", "default", "eg", "Programmed");
  }

  private static void await(Supplier<String> actual, String expected) throws InterruptedException {
    MockCluster.await(actual, expected);
  }
}
