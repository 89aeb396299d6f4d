package io.eg4j.provisioner.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.provisioner.core.ApplyBackoff;
import io.eg4j.provisioner.core.render.RateLimitInfra;
import io.eg4j.provisioner.core.render.RateLimitResourceRenderer;
import io.eg4j.testing.kube.KubeApiServer;
import io.eg4j.testing.kube.RealKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The global rate limit service's objects against a real kube-apiserver: the API server accepts
 * them as rendered (schema validation, server-side apply), the ConfigMap follows the configuration
 * files, only the leader writes, and turning rate limiting off deletes them.
 */
@RealKubernetes
class KubernetesRateLimitProvisionerIT {
  private static final ApplyBackoff FAST =
      new ApplyBackoff(Duration.ofMillis(200), Duration.ofSeconds(1));

  private final KubeApiServer kube;
  private final KubernetesClient client;
  private final AtomicBoolean leader = new AtomicBoolean(true);
  private String ns;

  KubernetesRateLimitProvisionerIT(KubeApiServer kube) {
    this.kube = kube;
    this.client = kube.client();
  }

  @BeforeEach
  void namespace() {
    ns = "rl-" + UUID.randomUUID().toString().substring(0, 8);
    kube.ensureNamespace(ns);
  }

  @AfterEach
  void close() {
    client.close();
  }

  private static RateLimitInfra infra(String yaml) throws Exception {
    return RateLimitInfra.from(EnvoyGatewayConfig.from(Json.YAML.readTree(yaml)));
  }

  @Test
  void appliesTheServiceAndKeepsItsConfigurationInStep() throws Exception {
    RateLimitInfra infra =
        infra(
            """
            rateLimit:
              backend:
                type: Redis
                redis:
                  url: redis.redis.svc:6379
                  tls: {certificateRef: {name: redis-client}}
            x-eg4j:
              rateLimitTls: true
            """);
    try (var p = new KubernetesRateLimitProvisioner(client, ns, infra, leader::get, FAST)) {
      // Before the IR is read the files are unknown: no ConfigMap yet, the rest is there.
      p.applyAll();
      assertThat(configMap()).isNull();
      Deployment d = client.apps().deployments().inNamespace(ns).withName("envoy-ratelimit").get();
      assertThat(d).isNotNull();
      var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
      assertThat(c.getImage()).isEqualTo(RateLimitInfra.DEFAULT_IMAGE);
      assertThat(c.getEnv())
          .extracting(EnvVar::getName, EnvVar::getValue)
          .contains(
              org.assertj.core.groups.Tuple.tuple("REDIS_URL", "redis.redis.svc:6379"),
              org.assertj.core.groups.Tuple.tuple("CONFIG_TYPE", "FILE"),
              org.assertj.core.groups.Tuple.tuple("GRPC_SERVER_USE_TLS", "true"),
              org.assertj.core.groups.Tuple.tuple("REDIS_TLS", "true"));
      assertThat(d.getSpec().getTemplate().getSpec().getVolumes())
          .extracting(v -> v.getName())
          .containsExactly("config", "certs", "statsd-exporter-config", "redis-certs");
      Service svc = client.services().inNamespace(ns).withName("envoy-ratelimit").get();
      assertThat(svc.getSpec().getPorts().get(0).getPort()).isEqualTo(8081);
      assertThat(svc.getSpec().getSelector()).isEqualTo(RateLimitResourceRenderer.LABELS);
      assertThat(client.serviceAccounts().inNamespace(ns).withName("envoy-ratelimit").get())
          .isNotNull();

      p.configFiles(Map.of("a.yaml", "domain: a\n"));
      assertThat(configMap().getData()).isEqualTo(Map.of("a.yaml", "domain: a\n"));
      long deploymentPatches = awaitPatches("deployments", 2);
      // A domain gone and another new: the ConfigMap holds exactly the new files, and only the
      // ConfigMap was sent again.
      p.configFiles(Map.of("b.yaml", "domain: b\n"));
      assertThat(configMap().getData()).isEqualTo(Map.of("b.yaml", "domain: b\n"));
      long configMapPatches = awaitPatches("configmaps", 2);
      assertThat(configMapPatches).isEqualTo(2);
      assertThat(patches("deployments")).isEqualTo(deploymentPatches);

      // A replica that is not the leader writes nothing.
      leader.set(false);
      p.configFiles(Map.of("c.yaml", "domain: c\n"));
      assertThat(configMap().getData()).containsOnlyKeys("b.yaml");
      leader.set(true);
      p.applyAll();
      assertThat(configMap().getData()).containsOnlyKeys("c.yaml");
    }
    // Rate limiting turned off: a provisioner without infrastructure deletes every object.
    try (var off = new KubernetesRateLimitProvisioner(client, ns, null, leader::get, FAST)) {
      off.applyAll();
    }
    assertThat(configMap()).isNull();
    assertThat(client.apps().deployments().inNamespace(ns).withName("envoy-ratelimit").get())
        .satisfiesAnyOf(
            x -> assertThat(x).isNull(),
            x -> assertThat(x.getMetadata().getDeletionTimestamp()).isNotNull());
    assertThat(client.services().inNamespace(ns).withName("envoy-ratelimit").get()).isNull();
    assertThat(client.serviceAccounts().inNamespace(ns).withName("envoy-ratelimit").get()).isNull();
  }

  /**
   * The API server accepts the HPA, PDB and metrics objects as rendered; a configuration without
   * them (Prometheus disabled) deletes them again.
   */
  @Test
  void appliesAndRemovesTheAutoscalerBudgetAndMetrics() throws Exception {
    RateLimitInfra scaled =
        infra(
            """
            provider:
              type: Kubernetes
              kubernetes:
                rateLimitHpa: {minReplicas: 2, maxReplicas: 5}
                rateLimitPDB: {minAvailable: 1}
            rateLimit:
              backend: {type: Redis, redis: {url: 'redis.redis.svc:6379'}}
              telemetry:
                tracing: {samplingRate: 50, provider: {url: 'otel.monitoring:4318'}}
            """);
    try (var p = new KubernetesRateLimitProvisioner(client, ns, scaled, leader::get, FAST)) {
      p.configFiles(Map.of("a.yaml", "domain: a\n"));
    }
    var hpa =
        client
            .autoscaling()
            .v2()
            .horizontalPodAutoscalers()
            .inNamespace(ns)
            .withName("envoy-ratelimit")
            .get();
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(5);
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("envoy-ratelimit");
    var pdb =
        client
            .policy()
            .v1()
            .podDisruptionBudget()
            .inNamespace(ns)
            .withName("envoy-ratelimit")
            .get();
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels())
        .isEqualTo(RateLimitResourceRenderer.LABELS);
    assertThat(metricsConfigMap().getData()).containsKey("conf.yaml");
    Deployment d = client.apps().deployments().inNamespace(ns).withName("envoy-ratelimit").get();
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/port", "19001");
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .extracting(EnvVar::getName, EnvVar::getValue)
        .contains(
            org.assertj.core.groups.Tuple.tuple("USE_PROMETHEUS", "true"),
            org.assertj.core.groups.Tuple.tuple("TRACING_SAMPLING_RATE", "0.5"),
            org.assertj.core.groups.Tuple.tuple(
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel.monitoring:4318"));
    Service svc = client.services().inNamespace(ns).withName("envoy-ratelimit").get();
    assertThat(svc.getSpec().getPorts()).extracting(s -> s.getPort()).containsExactly(8081, 19001);

    RateLimitInfra plain =
        infra(
            """
            rateLimit:
              backend: {type: Redis, redis: {url: 'redis.redis.svc:6379'}}
              telemetry: {metrics: {prometheus: {disable: true}}}
            """);
    try (var p = new KubernetesRateLimitProvisioner(client, ns, plain, leader::get, FAST)) {
      p.configFiles(Map.of("a.yaml", "domain: a\n"));
    }
    assertThat(
            client
                .autoscaling()
                .v2()
                .horizontalPodAutoscalers()
                .inNamespace(ns)
                .withName("envoy-ratelimit")
                .get())
        .isNull();
    assertThat(
            client
                .policy()
                .v1()
                .podDisruptionBudget()
                .inNamespace(ns)
                .withName("envoy-ratelimit")
                .get())
        .isNull();
    assertThat(metricsConfigMap()).isNull();
    svc = client.services().inNamespace(ns).withName("envoy-ratelimit").get();
    assertThat(svc.getSpec().getPorts()).extracting(s -> s.getPort()).containsExactly(8081);
  }

  @Test
  void leavesAnObjectThatIsNotTheRateLimitServicesAlone() throws Exception {
    client
        .configMaps()
        .inNamespace(ns)
        .resource(
            new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata()
                .withName(RateLimitResourceRenderer.CONFIG_MAP)
                .endMetadata()
                .addToData("mine", "yes")
                .build())
        .create();
    try (var off = new KubernetesRateLimitProvisioner(client, ns, null, leader::get, FAST)) {
      off.applyAll();
    }
    assertThat(configMap().getData()).containsEntry("mine", "yes");
  }

  /** Patches of the rate limit service's objects of {@code resource} in the test's namespace. */
  private long patches(String resource) throws java.io.IOException {
    long n = 0;
    for (String line : kube.auditLines()) {
      var e = Json.MAPPER.readTree(line);
      var ref = e.path("objectRef");
      if (e.path("verb").asText().equals("patch")
          && e.path("stage").asText("ResponseComplete").equals("ResponseComplete")
          && ref.path("namespace").asText().equals(ns)
          && ref.path("resource").asText().equals(resource)
          && ref.path("name").asText().startsWith("envoy-ratelimit")) {
        n++;
      }
    }
    return n;
  }

  /** The patch count of {@code resource} once it reaches {@code atLeast} (bounded wait). */
  private long awaitPatches(String resource, long atLeast) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    long n = patches(resource);
    while (n < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(200);
      n = patches(resource);
    }
    Thread.sleep(500);
    return patches(resource);
  }

  private ConfigMap metricsConfigMap() {
    return client
        .configMaps()
        .inNamespace(ns)
        .withName(RateLimitResourceRenderer.METRICS_CONFIG_MAP)
        .get();
  }

  private ConfigMap configMap() {
    return client.configMaps().inNamespace(ns).withName(RateLimitResourceRenderer.CONFIG_MAP).get();
  }
}
