package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.config.RateLimitTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The Kubernetes objects of the global rate limit service (envoyproxy/ratelimit) in the controller
 * namespace, named and labelled as Envoy Gateway names them: the ServiceAccount, Deployment and
 * Service {@code envoy-ratelimit} (gRPC on 8081), plus the ConfigMap {@value #CONFIG_MAP} with the
 * service's configuration files, one per rate limit domain.
 *
 * <p>Envoy Gateway serves those descriptors to the service over xDS ({@code CONFIG_TYPE=
 * GRPC_XDS_SOTW}); eg4j's protos do not have that API, so the service reads files instead ({@code
 * CONFIG_TYPE=FILE}): the ConfigMap is mounted at {@code /data/ratelimit/config}, and with {@code
 * RUNTIME_WATCH_ROOT=false} the service reloads when the kubelet swaps the mounted files after the
 * ConfigMap changes. The rest of the environment is Envoy Gateway's.
 *
 * <p>Telemetry as Envoy Gateway renders it: unless {@code rateLimit.telemetry.metrics.prometheus.
 * disable}, the service serves Prometheus metrics on {@value RateLimitTelemetry#PROMETHEUS_PORT} (a
 * {@code metrics} port on the container and the Service, the {@code prometheus.io/*} pod
 * annotations, and the ConfigMap {@value #METRICS_CONFIG_MAP} with the statsd-exporter mapping);
 * with {@code tracing.provider.url} it sends OpenTelemetry spans there ({@code TRACING_*}). With
 * {@code rateLimitHpa} a HorizontalPodAutoscaler scales the Deployment (which then carries no
 * replica count of its own), and {@code rateLimitPDB} gives it a PodDisruptionBudget; each takes
 * its {@code name} and {@code patch}.
 *
 * <p>Pure: the same infrastructure and files give the same objects. With no infrastructure (rate
 * limiting off) every object is a deletion.
 */
public final class RateLimitResourceRenderer {
  /** The name of the ServiceAccount, Deployment and Service (Envoy Gateway's). */
  public static final String NAME = "envoy-ratelimit";

  /** The ConfigMap that carries the service's configuration files. */
  public static final String CONFIG_MAP = "envoy-ratelimit-config";

  /**
   * The ConfigMap of the statsd-exporter mapping behind the Prometheus metrics (Envoy Gateway's).
   */
  public static final String METRICS_CONFIG_MAP = "statsd-exporter-config";

  /** The gRPC port the service listens on (Envoy Gateway's). */
  public static final int GRPC_PORT = EnvoyGatewayConfig.RATE_LIMIT_GRPC_PORT;

  /** Envoy Gateway's labels of every rate limit object, also the pods' selector. */
  public static final Map<String, String> LABELS =
      Map.of(
          "app.kubernetes.io/name", NAME,
          "app.kubernetes.io/component", "ratelimit",
          "app.kubernetes.io/managed-by", "envoy-gateway");

  private static final String CONFIG_DIR = "/data/ratelimit/config";
  private static final String CERTS = "/certs";
  private static final String REDIS_CERTS = "/redis-certs";
  private static final String METRICS_CONFIG_DIR = "/etc/statsd-exporter";
  private static final int HEALTH_PORT = 8080;
  private static final String HPA_API = "autoscaling/v2";
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final String namespace;

  /** Objects in {@code namespace}, the controller namespace. */
  public RateLimitResourceRenderer(String namespace) {
    this.namespace = Objects.requireNonNull(namespace, "namespace");
  }

  /**
   * The objects, in apply order (what the Deployment mounts comes first).
   *
   * @param infra the infrastructure the configuration asks for, or null to delete it all
   * @param configFiles file name to YAML document, one per domain (may be empty)
   */
  public List<DesiredObject> render(RateLimitInfra infra, Map<String, String> configFiles) {
    List<DesiredObject> out = new ArrayList<>();
    if (infra == null) {
      out.add(new DesiredObject("policy/v1", "PodDisruptionBudget", namespace, NAME, null));
      out.add(new DesiredObject(HPA_API, "HorizontalPodAutoscaler", namespace, NAME, null));
      out.add(new DesiredObject("v1", "Service", namespace, NAME, null));
      out.add(new DesiredObject("apps/v1", "Deployment", namespace, NAME, null));
      out.add(new DesiredObject("v1", "ConfigMap", namespace, CONFIG_MAP, null));
      out.add(new DesiredObject("v1", "ConfigMap", namespace, METRICS_CONFIG_MAP, null));
      out.add(new DesiredObject("v1", "ServiceAccount", namespace, NAME, null));
      return out;
    }
    RateLimitTelemetry telemetry = infra.telemetry();
    out.add(new DesiredObject("v1", "ServiceAccount", namespace, NAME, serviceAccount()));
    out.add(new DesiredObject("v1", "ConfigMap", namespace, CONFIG_MAP, configMap(configFiles)));
    if (telemetry.prometheus()) {
      out.add(
          new DesiredObject("v1", "ConfigMap", namespace, METRICS_CONFIG_MAP, metricsConfigMap()));
    }
    out.add(new DesiredObject("apps/v1", "Deployment", namespace, NAME, deployment(infra)));
    out.add(new DesiredObject("v1", "Service", namespace, NAME, service(telemetry)));
    if (infra.hpa() != null) {
      String name = nameOr(infra.hpa(), NAME);
      out.add(
          new DesiredObject(
              HPA_API,
              "HorizontalPodAutoscaler",
              namespace,
              name,
              patched(hpa(infra.hpa(), name), infra.hpa())));
    }
    if (infra.pdb() != null) {
      String name = nameOr(infra.pdb(), NAME);
      out.add(
          new DesiredObject(
              "policy/v1",
              "PodDisruptionBudget",
              namespace,
              name,
              patched(pdb(infra.pdb(), name), infra.pdb())));
    }
    // What the configuration no longer asks for goes last (only objects carrying the service's
    // labels are deleted), the HPA after the Deployment that stops needing it.
    if (infra.hpa() == null) {
      out.add(new DesiredObject(HPA_API, "HorizontalPodAutoscaler", namespace, NAME, null));
    }
    if (infra.pdb() == null) {
      out.add(new DesiredObject("policy/v1", "PodDisruptionBudget", namespace, NAME, null));
    }
    if (!telemetry.prometheus()) {
      out.add(new DesiredObject("v1", "ConfigMap", namespace, METRICS_CONFIG_MAP, null));
    }
    return out;
  }

  /** Only the ConfigMap, for a change of the files alone. */
  public DesiredObject configMapObject(Map<String, String> configFiles) {
    return new DesiredObject("v1", "ConfigMap", namespace, CONFIG_MAP, configMap(configFiles));
  }

  private ObjectNode object(String apiVersion, String kind, String name) {
    ObjectNode o = F.objectNode();
    o.put("apiVersion", apiVersion);
    o.put("kind", kind);
    ObjectNode meta = o.putObject("metadata");
    meta.put("name", name);
    meta.put("namespace", namespace);
    meta.set("labels", labels());
    return o;
  }

  private static ObjectNode labels() {
    ObjectNode l = F.objectNode();
    new TreeMap<>(LABELS).forEach(l::put);
    return l;
  }

  private ObjectNode serviceAccount() {
    ObjectNode sa = object("v1", "ServiceAccount", NAME);
    // The service never calls the API server.
    sa.put("automountServiceAccountToken", false);
    return sa;
  }

  private ObjectNode configMap(Map<String, String> files) {
    ObjectNode cm = object("v1", "ConfigMap", CONFIG_MAP);
    ObjectNode data = cm.putObject("data");
    new TreeMap<>(files).forEach(data::put);
    return cm;
  }

  private ObjectNode metricsConfigMap() {
    ObjectNode cm = object("v1", "ConfigMap", METRICS_CONFIG_MAP);
    cm.putObject("data").put("conf.yaml", RateLimitTelemetry.prometheusMapping());
    return cm;
  }

  private ObjectNode hpa(JsonNode spec, String name) {
    ObjectNode hpa = object(HPA_API, "HorizontalPodAutoscaler", name);
    ObjectNode s = hpa.putObject("spec");
    ObjectNode target = s.putObject("scaleTargetRef");
    target.put("apiVersion", "apps/v1");
    target.put("kind", "Deployment");
    target.put("name", NAME);
    if (spec.hasNonNull("minReplicas")) {
      s.put("minReplicas", spec.get("minReplicas").asInt());
    }
    s.put("maxReplicas", spec.get("maxReplicas").asInt());
    if (spec.path("metrics").isArray() && !spec.path("metrics").isEmpty()) {
      s.set("metrics", spec.get("metrics").deepCopy());
    } else {
      // Envoy Gateway's default: scale on 80% CPU.
      ObjectNode m = s.putArray("metrics").addObject();
      m.put("type", "Resource");
      ObjectNode res = m.putObject("resource");
      res.put("name", "cpu");
      ObjectNode t = res.putObject("target");
      t.put("type", "Utilization");
      t.put("averageUtilization", 80);
    }
    if (spec.path("behavior").isObject()) {
      s.set("behavior", spec.get("behavior").deepCopy());
    }
    return hpa;
  }

  private ObjectNode pdb(JsonNode spec, String name) {
    ObjectNode pdb = object("policy/v1", "PodDisruptionBudget", name);
    ObjectNode s = pdb.putObject("spec");
    if (spec.hasNonNull("maxUnavailable")) {
      s.set("maxUnavailable", spec.get("maxUnavailable").deepCopy());
    } else if (spec.hasNonNull("minAvailable")) {
      s.set("minAvailable", spec.get("minAvailable").deepCopy());
    } else {
      // Envoy Gateway's default: nothing has to stay up.
      s.put("minAvailable", 0);
    }
    s.putObject("selector").set("matchLabels", labels());
    return pdb;
  }

  /** {@code patch} of the HPA or PDB settings (StrategicMerge unless JSONMerge), applied last. */
  private static ObjectNode patched(ObjectNode rendered, JsonNode kindSpec) {
    JsonNode patch = kindSpec.path("patch");
    if (!patch.path("value").isObject()) {
      return rendered;
    }
    JsonNode value = patch.get("value");
    JsonNode merged =
        "JSONMerge".equals(patch.path("type").asText())
            ? JsonPatches.mergePatch(rendered, value)
            : JsonPatches.strategicMergePatch(rendered, value);
    ObjectNode out = (ObjectNode) merged;
    // A patch may not move the object: the applier and the deleter find it by these.
    ObjectNode meta = (ObjectNode) out.path("metadata");
    meta.set("name", rendered.path("metadata").path("name"));
    meta.set("namespace", rendered.path("metadata").path("namespace"));
    out.set("apiVersion", rendered.path("apiVersion"));
    out.set("kind", rendered.path("kind"));
    return out;
  }

  private static String nameOr(JsonNode spec, String fallback) {
    JsonNode n = spec.path("name");
    return n.isTextual() && !n.asText().isEmpty() ? n.asText() : fallback;
  }

  private ObjectNode service(RateLimitTelemetry telemetry) {
    ObjectNode svc = object("v1", "Service", NAME);
    ObjectNode spec = svc.putObject("spec");
    spec.put("type", "ClusterIP");
    spec.set("selector", labels());
    ObjectNode port = spec.putArray("ports").addObject();
    // Envoy Gateway's port name; the proxies reach it by number.
    port.put("name", "http");
    port.put("port", GRPC_PORT);
    port.put("protocol", "TCP");
    port.put("targetPort", GRPC_PORT);
    if (telemetry.prometheus()) {
      ObjectNode metrics = spec.withArray("ports").addObject();
      metrics.put("name", "metrics");
      metrics.put("port", RateLimitTelemetry.PROMETHEUS_PORT);
      metrics.put("protocol", "TCP");
      metrics.put("targetPort", RateLimitTelemetry.PROMETHEUS_PORT);
    }
    return svc;
  }

  private ObjectNode deployment(RateLimitInfra infra) {
    ObjectNode d = object("apps/v1", "Deployment", NAME);
    ObjectNode spec = d.putObject("spec");
    // With an HPA the autoscaler owns the replica count (Envoy Gateway ignores replicas then).
    if (infra.hpa() == null) {
      spec.put("replicas", infra.replicas());
    }
    spec.putObject("selector").set("matchLabels", labels());
    spec.putObject("strategy").put("type", "RollingUpdate");
    ObjectNode template = spec.putObject("template");
    ObjectNode podMeta = template.putObject("metadata");
    podMeta.set("labels", labels());
    boolean prometheus = infra.telemetry().prometheus();
    if (prometheus) {
      ObjectNode a = podMeta.putObject("annotations");
      a.put("prometheus.io/path", "/metrics");
      a.put("prometheus.io/port", String.valueOf(RateLimitTelemetry.PROMETHEUS_PORT));
      a.put("prometheus.io/scrape", "true");
    }
    ObjectNode pod = template.putObject("spec");
    pod.put("serviceAccountName", NAME);
    pod.put("automountServiceAccountToken", false);
    pod.put("terminationGracePeriodSeconds", 300);
    ObjectNode c = pod.putArray("containers").addObject();
    c.put("name", NAME);
    c.put("image", infra.image());
    c.put("imagePullPolicy", "IfNotPresent");
    c.putArray("command").add("/bin/ratelimit");
    c.set("env", env(infra, namespace));
    ArrayNode ports = c.putArray("ports");
    ObjectNode grpc = ports.addObject();
    grpc.put("name", "grpc");
    grpc.put("containerPort", GRPC_PORT);
    grpc.put("protocol", "TCP");
    if (prometheus) {
      ObjectNode metrics = ports.addObject();
      metrics.put("name", "metrics");
      metrics.put("containerPort", RateLimitTelemetry.PROMETHEUS_PORT);
      metrics.put("protocol", "TCP");
    }
    c.set("startupProbe", probe(10, 30));
    c.set("readinessProbe", probe(5, 1));
    c.set("livenessProbe", probe(10, 3));
    ObjectNode requests = c.putObject("resources").putObject("requests");
    requests.put("cpu", "100m");
    requests.put("memory", "512Mi");
    c.set("securityContext", securityContext());
    ArrayNode mounts = c.putArray("volumeMounts");
    ArrayNode volumes = pod.putArray("volumes");
    mount(mounts, "config", CONFIG_DIR);
    ObjectNode configVolume = volumes.addObject();
    configVolume.put("name", "config");
    configVolume.putObject("configMap").put("name", CONFIG_MAP);
    if (infra.serviceTls() != null) {
      mount(mounts, "certs", CERTS);
      secretVolume(volumes, "certs", infra.serviceTls().secretName());
    }
    if (prometheus) {
      mount(mounts, METRICS_CONFIG_MAP, METRICS_CONFIG_DIR);
      ObjectNode v = volumes.addObject();
      v.put("name", METRICS_CONFIG_MAP);
      ObjectNode cm = v.putObject("configMap");
      cm.put("name", METRICS_CONFIG_MAP);
      // As Envoy Gateway mounts it: the pod starts even before the mapping is written.
      cm.put("optional", true);
    }
    if (infra.redisTlsSecret() != null) {
      mount(mounts, "redis-certs", REDIS_CERTS);
      secretVolume(volumes, "redis-certs", infra.redisTlsSecret());
    }
    return d;
  }

  private static ArrayNode env(RateLimitInfra infra, String namespace) {
    ArrayNode env = F.arrayNode();
    env(env, "RUNTIME_ROOT", "/data");
    env(env, "RUNTIME_SUBDIRECTORY", "ratelimit");
    // The kubelet's ..data directories of the ConfigMap mount are dot files.
    env(env, "RUNTIME_IGNOREDOTFILES", "true");
    // Reload on changes inside the config directory (the ConfigMap mount), not a root symlink.
    env(env, "RUNTIME_WATCH_ROOT", "false");
    env(env, "LOG_LEVEL", "info");
    env(env, "USE_STATSD", "false");
    env(env, "CONFIG_TYPE", "FILE");
    if (infra.serviceTls() != null) {
      env(env, "GRPC_SERVER_USE_TLS", "true");
      env(env, "GRPC_SERVER_TLS_CERT", CERTS + "/tls.crt");
      env(env, "GRPC_SERVER_TLS_KEY", CERTS + "/tls.key");
      // With a CA the service asks each proxy for its certificate and checks it.
      env(env, "GRPC_SERVER_TLS_CA_CERT", CERTS + "/ca.crt");
    }
    env(env, "REDIS_SOCKET_TYPE", "tcp");
    if (infra.redisUrlSecret() != null) {
      ObjectNode e = env.addObject();
      e.put("name", "REDIS_URL");
      ObjectNode ref = e.putObject("valueFrom").putObject("secretKeyRef");
      ref.put("name", infra.redisUrlSecret());
      ref.put("key", infra.redisUrlKey() == null ? "url" : infra.redisUrlKey());
    } else {
      env(env, "REDIS_URL", infra.redisUrl() == null ? "" : infra.redisUrl());
    }
    if (infra.redisTls()) {
      env(env, "REDIS_TLS", "true");
      if (infra.redisTlsSecret() != null) {
        env(env, "REDIS_TLS_CLIENT_CERT", REDIS_CERTS + "/tls.crt");
        env(env, "REDIS_TLS_CLIENT_KEY", REDIS_CERTS + "/tls.key");
      }
    }
    RateLimitTelemetry telemetry = infra.telemetry();
    if (telemetry.prometheus()) {
      env(env, "USE_PROMETHEUS", "true");
      env(env, "PROMETHEUS_ADDR", ":" + RateLimitTelemetry.PROMETHEUS_PORT);
      env(env, "PROMETHEUS_MAPPER_YAML", METRICS_CONFIG_DIR + "/conf.yaml");
    }
    if (telemetry.tracing()) {
      env(env, "TRACING_ENABLED", "true");
      env(env, "TRACING_SERVICE_NAME", NAME);
      env(env, "TRACING_SERVICE_NAMESPACE", namespace);
      // Each pod's spans carry its own name as the service instance.
      ObjectNode id = env.addObject();
      id.put("name", "TRACING_SERVICE_INSTANCE_ID");
      ObjectNode field = id.putObject("valueFrom").putObject("fieldRef");
      field.put("apiVersion", "v1");
      field.put("fieldPath", "metadata.name");
      env(env, "TRACING_SAMPLING_RATE", telemetry.samplingFraction());
      env(env, "OTEL_EXPORTER_OTLP_ENDPOINT", telemetry.tracingEndpoint());
    }
    return env;
  }

  private static void env(ArrayNode env, String name, String value) {
    ObjectNode e = env.addObject();
    e.put("name", name);
    e.put("value", value);
  }

  private static ObjectNode probe(int period, int failures) {
    ObjectNode p = F.objectNode();
    ObjectNode get = p.putObject("httpGet");
    get.put("path", "/healthcheck");
    get.put("port", HEALTH_PORT);
    get.put("scheme", "HTTP");
    p.put("timeoutSeconds", 1);
    p.put("periodSeconds", period);
    p.put("successThreshold", 1);
    p.put("failureThreshold", failures);
    return p;
  }

  private static ObjectNode securityContext() {
    ObjectNode s = F.objectNode();
    s.put("allowPrivilegeEscalation", false);
    s.putObject("capabilities").putArray("drop").add("ALL");
    s.put("privileged", false);
    s.put("readOnlyRootFilesystem", true);
    s.put("runAsGroup", 65534);
    s.put("runAsNonRoot", true);
    s.put("runAsUser", 65534);
    s.putObject("seccompProfile").put("type", "RuntimeDefault");
    return s;
  }

  private static void mount(ArrayNode mounts, String name, String path) {
    ObjectNode m = mounts.addObject();
    m.put("name", name);
    m.put("mountPath", path);
    m.put("readOnly", true);
  }

  private static void secretVolume(ArrayNode volumes, String name, String secret) {
    ObjectNode v = volumes.addObject();
    v.put("name", name);
    v.putObject("secret").put("secretName", secret);
  }
}
