package io.eg4j.watcher.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Topics;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.testing.KafkaTestBroker;
import io.eg4j.testing.TopicRecorder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
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
 * it: objects on fabric8's mock API server reach {@code eg4j.resources} on a real broker, and an
 * object in a namespace outside {@code eg4j.watcher.namespaces} does not.
 */
@EnableKubernetesMockClient(crud = true)
class WatcherKubernetesSourceIT {
  @RegisterExtension static final KafkaTestBroker KAFKA = new KafkaTestBroker();
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String[] CLIENT_PROPERTIES = {
    "kubernetes.master",
    "kubernetes.trust.certificates",
    "kubernetes.auth.tryKubeConfig",
    "kubernetes.auth.tryServiceAccount",
    "kubernetes.namespace"
  };

  static KubernetesMockServer server;
  static KubernetesClient client;
  static ConfigurableApplicationContext app;
  static TopicRecorder topic;

  @BeforeAll
  static void start() {
    System.setProperty("kubernetes.master", client.getConfiguration().getMasterUrl());
    System.setProperty("kubernetes.trust.certificates", "true");
    System.setProperty("kubernetes.auth.tryKubeConfig", "false");
    System.setProperty("kubernetes.auth.tryServiceAccount", "false");
    System.setProperty("kubernetes.namespace", "default");
    app =
        new SpringApplicationBuilder(WatcherApplication.class)
            .run(
                "--spring.kafka.bootstrap-servers=" + KAFKA.bootstrapServers(),
                "--server.port=0",
                "--eg4j.watcher.source=kubernetes",
                "--eg4j.watcher.namespaces=default",
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
    for (String p : CLIENT_PROPERTIES) {
      System.clearProperty(p);
    }
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
    create(route.formatted("elsewhere"));
    create(route.formatted("default"));
    topic.await(
        r -> "gateway.networking.k8s.io/HTTPRoute/default/web".equals(r.key()) && !r.tombstone(),
        WAIT,
        "the route in the watched namespace");
    assertThat(topic.live(Topics.RESOURCES))
        .doesNotContainKey("gateway.networking.k8s.io/HTTPRoute/elsewhere/web");
  }
}
