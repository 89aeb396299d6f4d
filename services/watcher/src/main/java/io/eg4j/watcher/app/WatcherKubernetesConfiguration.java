package io.eg4j.watcher.app;

import io.eg4j.model.bus.Envelope;
import io.eg4j.watcher.core.ResourceSource;
import io.eg4j.watcher.k8s.KubernetesResourceSource;
import io.eg4j.watcher.k8s.StatusPublisher;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.Producer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The Kubernetes source ({@code eg4j.watcher.source=kubernetes}): fabric8 informers on the cluster
 * the pod runs in (or the kubeconfig's), with the namespace list or selector of {@code
 * eg4j.watcher.*}, and the controller's own Secrets in the control plane's namespace. Uses
 * spring-cloud-kubernetes' client when it made one.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "eg4j.watcher.source", havingValue = "kubernetes")
public class WatcherKubernetesConfiguration {

  /** The source; the runner starts it after reading what the topic holds, and closes it. */
  @Bean(destroyMethod = "")
  public ResourceSource watcherKubernetesSource(
      WatcherProperties props,
      ObjectProvider<KubernetesClient> clients,
      MeterRegistry meters,
      Producer<String, Envelope> watcherProducer,
      Environment env) {
    KubernetesClient client = clients.getIfAvailable(() -> new KubernetesClientBuilder().build());
    return new KubernetesResourceSource(
        client,
        new KubernetesResourceSource.Settings(
            props.getNamespaces(),
            props.getNamespaceSelector(),
            null,
            null,
            null,
            null,
            props.getCrdRecheck(),
            controllerNamespace(
                env.getProperty("eg4j.controller-namespace"), env.getProperty("POD_NAMESPACE"))),
        meters,
        new StatusPublisher(watcherProducer));
  }

  /**
   * The control plane's namespace, resolved as the translator resolves it ({@code
   * eg4j.controller-namespace}, else {@code POD_NAMESPACE}, else Envoy Gateway's default): its
   * {@link io.eg4j.model.k8s.ControllerSecrets} are published unreferenced.
   */
  static String controllerNamespace(String property, String podNamespace) {
    for (String c : new String[] {property, podNamespace}) {
      if (c != null && !c.isBlank()) {
        return c.trim();
      }
    }
    return io.eg4j.model.config.EnvoyGatewayConfig.DEFAULT_NAMESPACE;
  }
}
