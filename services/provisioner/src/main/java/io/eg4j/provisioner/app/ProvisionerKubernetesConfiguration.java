package io.eg4j.provisioner.app;

import io.eg4j.model.bus.BusSettings;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.k8s.LeaderElection;
import io.eg4j.provisioner.core.ApplyBackoff;
import io.eg4j.provisioner.core.FleetStatusListener;
import io.eg4j.provisioner.core.render.RateLimitInfra;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.eg4j.provisioner.k8s.KubernetesProvisioning;
import io.eg4j.provisioner.k8s.KubernetesRateLimitProvisioner;
import io.eg4j.provisioner.kafka.FleetStatusPublisher;
import io.eg4j.provisioner.kafka.RateLimitConfigListener;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Kubernetes mode of the provisioner ({@code eg4j.provisioner.mode=kubernetes}, the default): each
 * fleet becomes a Deployment (or DaemonSet), Service, ServiceAccount, bootstrap ConfigMap, HPA and
 * PDB, applied by the replica that holds the {@code eg4j-provisioner} Lease.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(
    prefix = "eg4j.provisioner",
    name = "mode",
    havingValue = "kubernetes",
    matchIfMissing = true)
@EnableConfigurationProperties(ProvisionerKubernetesConfiguration.KubernetesProperties.class)
public class ProvisionerKubernetesConfiguration {

  /** The client: the kubeconfig's or the pod's service account. */
  @Bean(destroyMethod = "close")
  KubernetesClient provisionerKubernetesClient() {
    return new KubernetesClientBuilder().build();
  }

  /** The producer of {@code eg4j.fleet-status}. */
  @Bean(destroyMethod = "close")
  Producer<String, Envelope> fleetStatusProducer(KafkaProperties kafka) {
    Map<String, Object> p = new HashMap<>(kafka.buildProducerProperties());
    p.putAll(BusSettings.producerOverrides());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "eg4j-provisioner-fleet-status");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, EnvelopeSerde.EnvelopeSerializer.class);
    return new KafkaProducer<>(p);
  }

  /** Why fleets fail, for the Gateways' status ({@code eg4j.fleet-status}). */
  @Bean
  FleetStatusPublisher fleetStatusPublisher(Producer<String, Envelope> fleetStatusProducer) {
    return new FleetStatusPublisher(fleetStatusProducer);
  }

  /** The fleet sink of Kubernetes mode. */
  @Bean(destroyMethod = "close")
  KubernetesProvisioning kubernetesFleetSink(
      KubernetesClient provisionerKubernetesClient,
      ProvisionerProperties props,
      KubernetesProperties k8s,
      MeterRegistry registry,
      Environment env,
      ObjectProvider<FleetStatusListener> statusListener) {
    String ns =
        controllerNamespace(
            k8s.getNamespace(),
            env.getProperty(CONTROLLER_NAMESPACE),
            env.getProperty("POD_NAMESPACE"),
            provisionerKubernetesClient.getNamespace());
    String identity = k8s.getIdentity();
    if (identity == null || identity.isBlank()) {
      identity = System.getenv().getOrDefault("POD_NAME", "provisioner-" + UUID.randomUUID());
    }
    ProvisionerProperties.XdsTls t = props.getXdsTls();
    RenderSettings settings =
        new RenderSettings(
            ns,
            props.getXdsAddress(),
            props.getXdsPort(),
            k8s.getEnvoyImage(),
            k8s.isGatewayNamespaceMode() || configSaysGatewayNamespace(props.getConfigFile()),
            t.configured() && k8s.getXdsTlsSecret() != null
                ? new RenderSettings.XdsTlsMount(k8s.getXdsTlsSecret(), "/certs", t.getServerName())
                : null,
            null);
    return new KubernetesProvisioning(
        provisionerKubernetesClient,
        settings,
        ns,
        identity,
        LeaderElection.Timing.DEFAULT,
        registry,
        ApplyBackoff.DEFAULT,
        statusListener.getIfAvailable(() -> FleetStatusListener.NONE));
  }

  /**
   * True when the EnvoyGateway config the translator also reads sets {@code
   * provider.kubernetes.deploy.type: GatewayNamespace}: the fleets then run beside their Gateways,
   * where the translator names and addresses them (Envoy Gateway takes the mode from that one
   * config). An unreadable file is logged and leaves the mode to the provisioner's own property.
   */
  static boolean configSaysGatewayNamespace(java.nio.file.Path file) {
    if (file == null) {
      return false;
    }
    try {
      return EnvoyGatewayConfig.load(file).provider().gatewayNamespaceMode();
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot read the EnvoyGateway config {}: {}", file, e.toString());
      return false;
    }
  }

  /**
   * The global rate limit service in the controller namespace, applied by the leader: on, with its
   * configuration read from {@code eg4j.xds-ir}, when the EnvoyGateway configuration enables {@code
   * rateLimit}; otherwise its objects are deleted if a previous configuration left them.
   */
  @Bean(destroyMethod = "close")
  RateLimitService rateLimitService(
      KubernetesClient provisionerKubernetesClient,
      KubernetesProvisioning kubernetesFleetSink,
      ProvisionerProperties props,
      BusProperties bus,
      KafkaProperties kafka,
      DeadLetterPublisher provisionerDeadLetters,
      KubernetesProperties k8s,
      Environment env)
      throws IOException {
    String ns =
        controllerNamespace(
            k8s.getNamespace(),
            env.getProperty(CONTROLLER_NAMESPACE),
            env.getProperty("POD_NAMESPACE"),
            provisionerKubernetesClient.getNamespace());
    EnvoyGatewayConfig config;
    RateLimitInfra infra;
    try {
      config =
          props.getConfigFile() == null
              ? EnvoyGatewayConfig.defaults()
              : EnvoyGatewayConfig.load(props.getConfigFile());
      infra = RateLimitInfra.from(config);
    } catch (IllegalArgumentException e) {
      // A field Envoy Gateway rejects (its controller would not start): nothing is applied.
      LOG.error(
          "invalid EnvoyGateway config {}: {}; the rate limit service is left as it is",
          props.getConfigFile(),
          e.getMessage());
      return new RateLimitService(null, null);
    } catch (IOException | RuntimeException e) {
      // Neither applied nor deleted: an unreadable file says nothing about what should run.
      LOG.error(
          "cannot read the EnvoyGateway config {}; the rate limit service is left as it is: {}",
          props.getConfigFile(),
          e.toString());
      return new RateLimitService(null, null);
    }
    KubernetesRateLimitProvisioner provisioner =
        new KubernetesRateLimitProvisioner(
            provisionerKubernetesClient,
            ns,
            infra,
            kubernetesFleetSink::isLeader,
            ApplyBackoff.DEFAULT);
    kubernetesFleetSink.onLeading(provisioner::applyAll);
    // The Lease may have been won already, before the task was registered.
    provisioner.applyAll();
    BusConsumerLoop loop = null;
    if (infra != null) {
      Optional<SecretBox> box =
          bus.getSecretKeyFile() == null
              ? Optional.empty()
              : Optional.of(SecretBox.fromFile(Path.of(bus.getSecretKeyFile()), false));
      Map<String, Object> consumer = new HashMap<>(kafka.buildConsumerProperties());
      consumer.putAll(BusSettings.consumerOverrides());
      consumer.put(
          ConsumerConfig.CLIENT_ID_CONFIG,
          "eg4j-provisioner-xds-ir-" + System.getenv().getOrDefault("POD_NAME", "local"));
      loop =
          new BusConsumerLoop(
              consumer,
              new BusConsumerLoop.Options(
                  "provisioner-ratelimit", List.of(Topics.XDS_IR), null, true, null),
              new RateLimitConfigListener(provisioner, box),
              new CatchUpTracker(),
              provisionerDeadLetters);
      loop.start();
    }
    return new RateLimitService(provisioner, loop);
  }

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ProvisionerKubernetesConfiguration.class);

  /**
   * The rate limit service's provisioner and the IR consumer that feeds it, closed together; both
   * null when the configuration could not be read, the consumer null when rate limiting is off.
   */
  public record RateLimitService(KubernetesRateLimitProvisioner provisioner, BusConsumerLoop loop)
      implements AutoCloseable {
    @Override
    public void close() {
      if (loop != null) {
        loop.close();
      }
      if (provisioner != null) {
        provisioner.close();
      }
    }
  }

  /**
   * The control plane's namespace, from this service's own configuration only (never from the infra
   * IR): {@code eg4j.provisioner.kubernetes.namespace}, else {@value #CONTROLLER_NAMESPACE} (shared
   * with the translator), else {@code POD_NAMESPACE} (the chart sets it from the downward API),
   * else the client's namespace (kubeconfig or service account), else {@code envoy-gateway-system}.
   */
  static String controllerNamespace(String... candidates) {
    for (String c : candidates) {
      if (c != null && !c.isBlank()) {
        return c.trim();
      }
    }
    return "envoy-gateway-system";
  }

  /** The property that names the control plane's namespace, for every service. */
  public static final String CONTROLLER_NAMESPACE = "eg4j.controller-namespace";

  /** Settings of Kubernetes mode ({@code eg4j.provisioner.kubernetes.*}). */
  @ConfigurationProperties("eg4j.provisioner.kubernetes")
  public static class KubernetesProperties {
    /**
     * The control plane's namespace (fleets and the Lease); when unset, eg4j.controller-namespace,
     * else POD_NAMESPACE.
     */
    private String namespace;

    /** This replica's identity in the Lease; POD_NAME when unset. */
    private String identity;

    /** The Envoy image, unless an EnvoyProxy sets one. */
    private String envoyImage = RenderSettings.DEFAULT_ENVOY_IMAGE;

    /** Run each fleet in its Gateway's namespace (Envoy Gateway's GatewayNamespace mode). */
    private boolean gatewayNamespaceMode;

    /** The Secret with the proxies' xDS client certificate (tls.crt, tls.key, ca.crt). */
    private String xdsTlsSecret = "envoy";

    public String getNamespace() {
      return namespace;
    }

    public void setNamespace(String namespace) {
      this.namespace = namespace;
    }

    public String getIdentity() {
      return identity;
    }

    public void setIdentity(String identity) {
      this.identity = identity;
    }

    public String getEnvoyImage() {
      return envoyImage;
    }

    public void setEnvoyImage(String envoyImage) {
      this.envoyImage = envoyImage;
    }

    public boolean isGatewayNamespaceMode() {
      return gatewayNamespaceMode;
    }

    public void setGatewayNamespaceMode(boolean gatewayNamespaceMode) {
      this.gatewayNamespaceMode = gatewayNamespaceMode;
    }

    public String getXdsTlsSecret() {
      return xdsTlsSecret;
    }

    public void setXdsTlsSecret(String xdsTlsSecret) {
      this.xdsTlsSecret = xdsTlsSecret;
    }
  }
}
