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
}
