package io.eg4j.statuswriter.k8s;

import io.eg4j.model.k8s.WatchedKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.Map;

/** Test helpers for fabric8's mock API server: the eg4j kinds with their status subresource. */
final class MockCluster {
  private MockCluster() {}

  /** Registers every kind eg4j writes statuses of, with the status subresource on. */
  static void registerKinds(KubernetesMockServer server) {
    for (WatchedKind k : WatchedKind.ALL) {
      if (k.group().isEmpty() || !k.hasStatus()) {
        continue;
      }
      server.expectCustomResource(
          new CustomResourceDefinitionContext.Builder()
              .withGroup(k.group())
              .withVersion(k.version())
              .withKind(k.kind())
              .withPlural(k.plural())
              .withScope(k.namespaced() ? "Namespaced" : "Cluster")
              .withStatusSubresource(true)
              .build());
    }
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

  /**
   * A client with long timeouts: on a loaded 2-core machine the mock server can take more than the
   * default 10 s to accept a connection, which is not what these tests are about.
   */
  static KubernetesClient patient(KubernetesClient client) {
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder()
        .withConfig(
            new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration())
                .withConnectionTimeout(120_000)
                .withRequestTimeout(120_000)
                .build())
        .build();
  }

  /** The object's {@code .status}, empty when it has none. */
  static com.fasterxml.jackson.databind.JsonNode status(
      KubernetesClient client, String kind, String ns, String name) {
    Object s = get(client, kind, ns, name).getAdditionalProperties().get("status");
    return s == null
        ? io.eg4j.model.bus.Json.MAPPER.createObjectNode()
        : io.eg4j.model.bus.Json.MAPPER.valueToTree(s);
  }

  /** The object's top-level condition of {@code type}, empty when it has none. */
  static com.fasterxml.jackson.databind.JsonNode condition(
      KubernetesClient client, String kind, String ns, String name, String type) {
    for (com.fasterxml.jackson.databind.JsonNode c :
        status(client, kind, ns, name).path("conditions")) {
      if (c.path("type").asText().equals(type)) {
        return c;
      }
    }
    return io.eg4j.model.bus.Json.MAPPER.createObjectNode();
  }

  /** Waits up to 30 s for {@code actual} to give {@code expected}. */
  static void await(java.util.function.Supplier<String> actual, String expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (!expected.equals(actual.get())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + expected + ", got " + actual.get());
      }
      Thread.sleep(100);
    }
  }
}
