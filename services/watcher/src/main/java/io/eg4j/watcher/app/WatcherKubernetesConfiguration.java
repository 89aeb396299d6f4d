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

/**
 * The Kubernetes source ({@code eg4j.watcher.source=kubernetes}): fabric8 informers on the cluster
 * the pod runs in (or the kubeconfig's), with the namespace list or selector of {@code
 * eg4j.watcher.*}. Uses spring-cloud-kubernetes' client when it made one.
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
      Producer<String, Envelope> watcherProducer) {
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
            props.getCrdRecheck()),
        meters,
        new StatusPublisher(watcherProducer));
  }
}
