package io.eg4j.watcher.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Topics;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.TopicRecorder;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The watcher service with {@code eg4j.watcher.source=kubernetes}, started as a deployment starts
 * it, against a real kube-apiserver ({@link RealKubernetes}): its client configures itself from a
 * kubeconfig, objects in the watched namespace reach {@code eg4j.resources} on a real broker, an
 * object in a namespace outside {@code eg4j.watcher.namespaces} does not, and a deletion becomes a
 * tombstone.
 */
@RealKubernetes
class WatcherKubernetesSourceIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(60);

  /** The system properties {@link #useCluster} sets, cleared by {@link #forgetCluster}. */
  static final String[] CLIENT_PROPERTIES = {
    Config.KUBERNETES_KUBECONFIG_FILE,
    Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY,
    Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY,
    Config.KUBERNETES_MASTER_SYSTEM_PROPERTY,
    Config.KUBERNETES_NAMESPACE_SYSTEM_PROPERTY
  };

  /** This class's namespaces (the server is shared by the test JVM). */
  static final String NS = "watcher-app-it";

  static final String ELSEWHERE = NS + "-elsewhere";

  static KubernetesClient client;
  static ConfigurableApplicationContext app;
  static TopicRecorder topic;

  /**
   * Points fabric8's auto-configuration, which the services use, at the test cluster: its
   * kubeconfig (client certificate, CA) and nothing from the machine or a pod.
   */
  static void useCluster(KubeApiServer kube) {
    for (String p : CLIENT_PROPERTIES) {
      System.clearProperty(p);
    }
    System.setProperty(
        Config.KUBERNETES_KUBECONFIG_FILE, kube.kubeconfigFile().toAbsolutePath().toString());
    System.setProperty(Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "true");
    System.setProperty(Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY, "false");
  }

  static void forgetCluster() {
    for (String p : CLIENT_PROPERTIES) {
      System.clearProperty(p);
    }
  }

  @BeforeAll
  static void start(KubeApiServer kube) {
    kube.ensureNamespace(NS);
    kube.ensureNamespace(ELSEWHERE);
    client = kube.client();
    useCluster(kube);
    app =
        new SpringApplicationBuilder(WatcherApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.watcher.source=kubernetes",
                "--eg4j.watcher.namespaces=" + NS,
                "--spring.cloud.kubernetes.enabled=false");
    topic = new TopicRecorder(KAFKA.bootstrapServers(), Topics.RESOURCES);
  }

  @AfterAll
  static void stop() {
    if (topic != null) {
      topic.close();
    }
    if (app != null) {
      app.close();
    }
    if (client != null) {
      client.close();
    }
    forgetCluster();
  }

  static void create(String yaml) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    WatchedKind k = WatchedKind.find(WatchedKind.GATEWAY_API, r.getKind()).orElseThrow();
    client
        .genericKubernetesResources(k.context())
        .inNamespace(r.getMetadata().getNamespace())
        .resource(r)
        .create();
  }

  @Test
  void clusterObjectsInTheWatchedNamespacesArePublished() throws Exception {
    String route =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web, namespace: %s}
        spec:
          parentRefs: [{name: eg}]
          rules: [{backendRefs: [{name: web, port: 80}]}]
        """;
    String key = "gateway.networking.k8s.io/HTTPRoute/" + NS + "/web";
    create(route.formatted(ELSEWHERE));
    create(route.formatted(NS));
    topic.await(
        r -> key.equals(r.key()) && !r.tombstone(), WAIT, "the route in the watched namespace");
    assertThat(topic.live(Topics.RESOURCES))
        .containsKey("/Namespace//" + NS)
        .doesNotContainKeys(
            "gateway.networking.k8s.io/HTTPRoute/" + ELSEWHERE + "/web",
            "/Namespace//" + ELSEWHERE);
    // What the API server defaulted is published as the server holds it.
    assertThat(
            topic.live(Topics.RESOURCES).get(key).payload().at("/spec/parentRefs/0/kind").asText())
        .isEqualTo("Gateway");

    client
        .genericKubernetesResources(
            WatchedKind.find(WatchedKind.GATEWAY_API, "HTTPRoute").orElseThrow().context())
        .inNamespace(NS)
        .withName("web")
        .delete();
    topic.await(r -> key.equals(r.key()) && r.tombstone(), WAIT, "the deleted route's tombstone");
  }
}
