package io.eg4j.watcher.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.ClassUtils;

/**
 * The watcher carries spring-cloud-kubernetes for its fabric8 client only: the client's
 * auto-configuration is on its classpath, the discovery client, load balancer and ConfigMap
 * property sources (and Reactor with them) are not. Each of those classes was loaded by every
 * watcher JVM, in file mode too (issue #16), and none is used: the Helm chart turned them off.
 */
class WatcherClasspathTest {
  private static boolean present(String className) {
    return ClassUtils.isPresent(className, WatcherClasspathTest.class.getClassLoader());
  }

  @Test
  void theKubernetesClientAutoConfigurationIsThere() {
    assertThat(present("org.springframework.cloud.kubernetes.fabric8.Fabric8AutoConfiguration"))
        .isTrue();
    assertThat(present("io.fabric8.kubernetes.client.KubernetesClientBuilder")).isTrue();
  }

  @Test
  void noDiscoveryLoadBalancerOrConfigMapSources() {
    for (String unused :
        List.of(
            "org.springframework.cloud.kubernetes.fabric8.discovery"
                + ".Fabric8DiscoveryClientAutoConfiguration",
            "org.springframework.cloud.kubernetes.fabric8.loadbalancer"
                + ".Fabric8LoadBalancerAutoConfiguration",
            "org.springframework.cloud.kubernetes.fabric8.config"
                + ".Fabric8ConfigMapPropertySourceLocator",
            "org.springframework.cloud.loadbalancer.config.LoadBalancerAutoConfiguration",
            "reactor.core.publisher.Flux")) {
      assertThat(present(unused)).as(unused).isFalse();
    }
  }
}
