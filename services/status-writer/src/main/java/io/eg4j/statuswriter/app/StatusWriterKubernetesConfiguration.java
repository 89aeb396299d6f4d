package io.eg4j.statuswriter.app;

import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.model.bus.spring.BusClients;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.statuswriter.k8s.FleetFailures;
import io.eg4j.statuswriter.k8s.KubernetesStatusSink;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Kubernetes mode of the status-writer ({@code eg4j.status-writer.mode=kubernetes}): statuses go to
 * status subresources, written by the replica that holds the {@code eg4j-status-writer} Lease.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "eg4j.status-writer.mode", havingValue = "kubernetes")
@EnableConfigurationProperties(StatusWriterKubernetesConfiguration.KubernetesProperties.class)
public class StatusWriterKubernetesConfiguration {

  /**
   * Every replica must read every status: the Lease, not the consumer group, picks the writer, and
   * a standby that takes over must already hold the latest status of every object. With one shared
   * group the partition could sit on a replica that is not the leader, and nothing would be
   * written. So the default group becomes one group per replica (after binding, hence after
   * initialization); a group set to anything else is left alone.
   */
  @Bean
  static BeanPostProcessor statusWriterPerReplicaGroup(Environment env) {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessAfterInitialization(Object bean, String name) {
        if (bean instanceof StatusWriterProperties props
            && "eg4j-status-writer".equals(props.getGroupId())) {
          props.setGroupId(props.getGroupId() + "-" + replicaIdentity(env));
        }
        return bean;
      }
    };
  }

  private static final String RANDOM_IDENTITY = "status-writer-" + UUID.randomUUID();

  static String replicaIdentity(Environment env) {
    String id = env.getProperty("eg4j.status-writer.kubernetes.identity");
    if (id == null || id.isBlank()) {
      id = System.getenv().getOrDefault("POD_NAME", null);
    }
    return id == null || id.isBlank() ? RANDOM_IDENTITY : id;
  }

  /** The Kubernetes client: the kubeconfig's or the pod's service account. */
  @Bean(destroyMethod = "close")
  public KubernetesClient statusWriterKubernetesClient() {
    return new KubernetesClientBuilder().build();
  }

  /** The sink; started here so that it competes for the Lease from start-up. */
  @Bean(initMethod = "start", destroyMethod = "close")
  public KubernetesStatusSink statusKubernetesSink(
      ObjectProvider<KubernetesClient> clients,
      KubernetesProperties props,
      MeterRegistry meters,
      Environment env) {
    KubernetesClient client = clients.getObject();
    String ns = props.getLeaseNamespace();
    if (ns == null || ns.isBlank()) {
      ns = System.getenv().getOrDefault("POD_NAMESPACE", client.getNamespace());
    }
    if (ns == null || ns.isBlank()) {
      ns = "envoy-gateway-system";
    }
    String identity = replicaIdentity(env);
    return new KubernetesStatusSink(
        client,
        new KubernetesStatusSink.Settings(
            props.getControllerName(),
            ns,
            props.getLeaseName(),
            identity,
            new LeaderElection.Timing(
                props.getLeaseDuration(), props.getRenewDeadline(), props.getRetryPeriod()),
            props.getWritesPerSecond(),
            props.getBurst(),
            props.getMaxAttempts(),
            props.isWatchProxies(),
            props.getNamespaces(),
            props.getConcurrentWrites()),
        meters);
  }

  /** Why fleets could not be applied, for the Gateways' Programmed condition. */
  @Bean
  public FleetFailures statusFleetFailures(KubernetesStatusSink statusKubernetesSink) {
    FleetFailures failures = new FleetFailures();
    statusKubernetesSink.fleetFailures(failures);
    return failures;
  }

  /**
   * The consumer of the provisioner's {@code eg4j.fleet-status}: every replica reads all of it (no
   * group), from the beginning; it waits while the topic does not exist yet.
   */
  @Bean(initMethod = "start", destroyMethod = "close")
  public BusConsumerLoop statusFleetFailuresLoop(
      BusClients clients,
      FleetFailures statusFleetFailures,
      DeadLetterPublisher statusWriterDeadLetters) {
    return new BusConsumerLoop(
        clients.consumerProps("fleet-status"),
        new BusConsumerLoop.Options(
            "status-writer-fleet-status",
            List.of(FleetFailures.TOPIC),
            null,
            true,
            clients.bus().getPollTimeout()),
        statusFleetFailures,
        new CatchUpTracker(),
        statusWriterDeadLetters);
  }

  /** Settings of Kubernetes mode ({@code eg4j.status-writer.kubernetes.*}). */
  @ConfigurationProperties("eg4j.status-writer.kubernetes")
  public static class KubernetesProperties {
    /** Our controller name; other controllers' route parent entries are kept. */
    private String controllerName = "gateway.envoyproxy.io/gatewayclass-controller";

    /** Namespace of the Lease; POD_NAMESPACE or the client's namespace when unset. */
    private String leaseNamespace;

    /** Name of the Lease. */
    private String leaseName = "eg4j-status-writer";

    /** This replica's identity in the Lease; POD_NAME when unset. */
    private String identity;

    /** How long a Lease holds without renewal. */
    private Duration leaseDuration = Duration.ofSeconds(15);

    /** How long the leader tries to renew before it stops writing. */
    private Duration renewDeadline = Duration.ofSeconds(10);

    /** How often replicas try to acquire or renew. */
    private Duration retryPeriod = Duration.ofSeconds(2);

    /** Sustained status writes per second. */
    private double writesPerSecond = 100;

    /**
     * Writes allowed at once after a quiet period: a change of a few hundred objects (an apply of
     * many routes) gets its statuses without waiting for the sustained rate.
     */
    private int burst = 300;

    /** Status writes in flight at once (each waits for the API server's answer). */
    private int concurrentWrites = KubernetesStatusSink.Settings.DEFAULT_CONCURRENT_WRITES;

    public int getConcurrentWrites() {
      return concurrentWrites;
    }

    public void setConcurrentWrites(int concurrentWrites) {
      this.concurrentWrites = concurrentWrites;
    }

    /** Tries per status when writes conflict. */
    private int maxAttempts = 5;

    /**
     * Watch the proxies' Services and workloads to keep Gateway addresses and Programmed current.
     */
    private boolean watchProxies = true;

    /**
     * Namespaces whose objects are cached for status writes, one watch each (set it with Role-based
     * RBAC, where no list across all namespaces is granted); empty caches every namespace.
     */
    private java.util.List<String> namespaces = new java.util.ArrayList<>();

    public java.util.List<String> getNamespaces() {
      return namespaces;
    }

    public void setNamespaces(java.util.List<String> namespaces) {
      this.namespaces = namespaces;
    }

    public String getControllerName() {
      return controllerName;
    }

    public void setControllerName(String controllerName) {
      this.controllerName = controllerName;
    }

    public String getLeaseNamespace() {
      return leaseNamespace;
    }

    public void setLeaseNamespace(String leaseNamespace) {
      this.leaseNamespace = leaseNamespace;
    }

    public String getLeaseName() {
      return leaseName;
    }

    public void setLeaseName(String leaseName) {
      this.leaseName = leaseName;
    }

    public String getIdentity() {
      return identity;
    }

    public void setIdentity(String identity) {
      this.identity = identity;
    }

    public Duration getLeaseDuration() {
      return leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
      this.leaseDuration = leaseDuration;
    }

    public Duration getRenewDeadline() {
      return renewDeadline;
    }

    public void setRenewDeadline(Duration renewDeadline) {
      this.renewDeadline = renewDeadline;
    }

    public Duration getRetryPeriod() {
      return retryPeriod;
    }

    public void setRetryPeriod(Duration retryPeriod) {
      this.retryPeriod = retryPeriod;
    }

    public double getWritesPerSecond() {
      return writesPerSecond;
    }

    public void setWritesPerSecond(double writesPerSecond) {
      this.writesPerSecond = writesPerSecond;
    }

    public int getBurst() {
      return burst;
    }

    public void setBurst(int burst) {
      this.burst = burst;
    }

    public int getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public boolean isWatchProxies() {
      return watchProxies;
    }

    public void setWatchProxies(boolean watchProxies) {
      this.watchProxies = watchProxies;
    }
  }
}
