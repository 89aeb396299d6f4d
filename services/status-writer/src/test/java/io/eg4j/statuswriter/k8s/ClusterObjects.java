package io.eg4j.statuswriter.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.testing.kube.KubeApiServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Test helpers for the real API server of {@link KubeApiServer}: Gateway API objects (which its
 * schemas validate), their statuses, namespaces of their own (the server is shared by every test
 * class of the JVM), ready proxy replicas, and the status writes of the audit log.
 */
final class ClusterObjects {
  private ClusterObjects() {}

  /** A new namespace named {@code prefix-<random>}: test classes share the server. */
  static String namespace(KubeApiServer kube, String prefix) {
    String ns = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    kube.ensureNamespace(ns);
    return ns;
  }

  /** A suffix for cluster-scoped names (GatewayClasses, Nodes) that no other test uses. */
  static String unique(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A Gateway spec the schema accepts: one HTTP listener. */
  static Map<String, Object> gatewaySpec(String className) {
    return Map.of(
        "gatewayClassName",
        className,
        "listeners",
        List.of(Map.of("name", "http", "port", 80, "protocol", "HTTP")));
  }

  static GenericKubernetesResource create(
      KubernetesClient client, String kind, String ns, String name, Map<String, Object> spec) {
    WatchedKind k = WatchedKind.find(WatchedKind.GATEWAY_API, kind).orElseThrow();
    GenericKubernetesResource r =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(k.apiVersion())
            .withKind(kind)
            .withNewMetadata()
            .withName(name)
            .withNamespace(k.namespaced() ? ns : null)
            .endMetadata()
            .addToAdditionalProperties("spec", spec)
            .build();
    var op = client.genericKubernetesResources(k.context());
    return (k.namespaced() ? op.inNamespace(ns) : op).resource(r).create();
  }

  static GenericKubernetesResource get(
      KubernetesClient client, String kind, String ns, String name) {
    WatchedKind k = WatchedKind.find(WatchedKind.GATEWAY_API, kind).orElseThrow();
    var op = client.genericKubernetesResources(k.context());
    return (k.namespaced() ? op.inNamespace(ns) : op).withName(name).get();
  }

  static void delete(KubernetesClient client, String kind, String ns, String name) {
    WatchedKind k = WatchedKind.find(WatchedKind.GATEWAY_API, kind).orElseThrow();
    var op = client.genericKubernetesResources(k.context());
    (k.namespaced() ? op.inNamespace(ns) : op).withName(name).delete();
  }

  /** The object's {@code .status}, empty when it has none. */
  static JsonNode status(KubernetesClient client, String kind, String ns, String name) {
    Object s = get(client, kind, ns, name).getAdditionalProperties().get("status");
    return s == null ? Json.MAPPER.createObjectNode() : Json.MAPPER.valueToTree(s);
  }

  /** The object's top-level condition of {@code type}, empty when it has none. */
  static JsonNode condition(
      KubernetesClient client, String kind, String ns, String name, String type) {
    for (JsonNode c : status(client, kind, ns, name).path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return Json.MAPPER.createObjectNode();
  }

  /** Waits up to 30 s for {@code actual} to give {@code expected}. */
  static void await(Supplier<String> actual, String expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!expected.equals(actual.get())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + expected + ", got " + actual.get());
      }
      Thread.sleep(100);
    }
  }

  /** Waits up to {@code timeout} for {@code condition}. */
  static void await(BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " not within " + timeout);
      }
      Thread.sleep(50);
    }
  }

  /**
   * The status writes (update or patch of a {@code status} subresource) of {@code resource} in
   * {@code namespace} that the API server audited, in order.
   */
  static List<JsonNode> statusWrites(KubeApiServer kube, String resource, String namespace)
      throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : kube.auditLines()) {
      JsonNode e = Json.MAPPER.readTree(line);
      JsonNode ref = e.path("objectRef");
      String verb = e.path("verb").asText();
      if ((verb.equals("update") || verb.equals("patch"))
          && ref.path("subresource").asText().equals("status")
          && ref.path("resource").asText().equals(resource)
          && ref.path("namespace").asText().equals(namespace)) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * A Deployment of {@code replicas} proxies; the real deployment controller makes its ReplicaSet
   * and Pods.
   */
  static Deployment deployment(
      KubernetesClient client, String ns, String name, Map<String, String> labels, int replicas) {
    return client
        .apps()
        .deployments()
        .inNamespace(ns)
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector()
                .addToMatchLabels("app", name)
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels("app", name)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("envoy")
                .withImage("envoyproxy/envoy:distroless-v1.36.2")
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  /**
   * Makes the Pods of Deployment {@code name} run, as a scheduler and a kubelet would: the test
   * control plane has neither. A Node of its own is registered (the node lifecycle controller only
   * marks its Pods not ready once it has missed heartbeats for the grace period, 40 s and more),
   * each Pod is bound to it through the {@code binding} subresource and its status is set Ready.
   * The ReplicaSet and Deployment controllers then count the replicas available themselves.
   *
   * @return the Node's name; delete it when done
   */
  static String runPods(KubernetesClient client, String ns, String name, int replicas)
      throws InterruptedException {
    String node = unique("eg4j-it-node");
    client
        .nodes()
        .resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build())
        .create();
    List<Pod> pods = new ArrayList<>();
    await(
        () -> {
          pods.clear();
          pods.addAll(
              client.pods().inNamespace(ns).withLabel("app", name).list().getItems().stream()
                  .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                  .toList());
          return pods.size() >= replicas;
        },
        Duration.ofSeconds(60),
        "the ReplicaSet controller's " + replicas + " Pods of " + name);
    String now = Instant.now().toString();
    for (Pod p : pods) {
      client
          .bindings()
          .inNamespace(ns)
          .resource(
              new io.fabric8.kubernetes.api.model.BindingBuilder()
                  .withNewMetadata()
                  .withName(p.getMetadata().getName())
                  .endMetadata()
                  .withTarget(new ObjectReferenceBuilder().withKind("Node").withName(node).build())
                  .build())
          .create();
      client
          .pods()
          .inNamespace(ns)
          .withName(p.getMetadata().getName())
          .editStatus(
              pod -> {
                pod.getStatus().setPhase("Running");
                pod.getStatus()
                    .setConditions(
                        List.of(
                            new PodConditionBuilder()
                                .withType("PodScheduled")
                                .withStatus("True")
                                .withLastTransitionTime(now)
                                .build(),
                            new PodConditionBuilder()
                                .withType("Ready")
                                .withStatus("True")
                                .withLastTransitionTime(now)
                                .build(),
                            new PodConditionBuilder()
                                .withType("ContainersReady")
                                .withStatus("True")
                                .withLastTransitionTime(now)
                                .build()));
                return pod;
              });
    }
    return node;
  }
}
