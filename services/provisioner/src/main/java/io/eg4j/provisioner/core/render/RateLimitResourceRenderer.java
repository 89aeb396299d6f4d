package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
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
 * <p>Pure: the same infrastructure and files give the same objects. With no infrastructure (rate
 * limiting off) every object is a deletion.
 */
public final class RateLimitResourceRenderer {
  /** The name of the ServiceAccount, Deployment and Service (Envoy Gateway's). */
  public static final String NAME = "envoy-ratelimit";

  /** The ConfigMap that carries the service's configuration files. */
  public static final String CONFIG_MAP = "envoy-ratelimit-config";

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
  private static final int HEALTH_PORT = 8080;
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
      out.add(new DesiredObject("v1", "Service", namespace, NAME, null));
      out.add(new DesiredObject("apps/v1", "Deployment", namespace, NAME, null));
      out.add(new DesiredObject("v1", "ConfigMap", namespace, CONFIG_MAP, null));
      out.add(new DesiredObject("v1", "ServiceAccount", namespace, NAME, null));
      return out;
    }
    out.add(new DesiredObject("v1", "ServiceAccount", namespace, NAME, serviceAccount()));
    out.add(new DesiredObject("v1", "ConfigMap", namespace, CONFIG_MAP, configMap(configFiles)));
    out.add(new DesiredObject("apps/v1", "Deployment", namespace, NAME, deployment(infra)));
    out.add(new DesiredObject("v1", "Service", namespace, NAME, service()));
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

  private ObjectNode service() {
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
    return svc;
  }

  private ObjectNode deployment(RateLimitInfra infra) {
    ObjectNode d = object("apps/v1", "Deployment", NAME);
    ObjectNode spec = d.putObject("spec");
    spec.put("replicas", infra.replicas());
    spec.putObject("selector").set("matchLabels", labels());
    spec.putObject("strategy").put("type", "RollingUpdate");
    ObjectNode template = spec.putObject("template");
    template.putObject("metadata").set("labels", labels());
    ObjectNode pod = template.putObject("spec");
    pod.put("serviceAccountName", NAME);
    pod.put("automountServiceAccountToken", false);
    pod.put("terminationGracePeriodSeconds", 300);
    ObjectNode c = pod.putArray("containers").addObject();
    c.put("name", NAME);
    c.put("image", infra.image());
    c.put("imagePullPolicy", "IfNotPresent");
    c.putArray("command").add("/bin/ratelimit");
    c.set("env", env(infra));
    ObjectNode grpc = c.putArray("ports").addObject();
    grpc.put("name", "grpc");
    grpc.put("containerPort", GRPC_PORT);
    grpc.put("protocol", "TCP");
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
    if (infra.redisTlsSecret() != null) {
      mount(mounts, "redis-certs", REDIS_CERTS);
      secretVolume(volumes, "redis-certs", infra.redisTlsSecret());
    }
    return d;
  }

  private static ArrayNode env(RateLimitInfra infra) {
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
