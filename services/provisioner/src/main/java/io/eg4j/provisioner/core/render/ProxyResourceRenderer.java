package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bootstrap.EnvoyBootstrapSpec;
import io.eg4j.model.bootstrap.ProxyMetrics;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.ir.ProxyNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Computes the Kubernetes objects of one Envoy fleet from its infra IR, without I/O: a
 * ServiceAccount, a ConfigMap with the Envoy bootstrap, a Deployment (or a DaemonSet when the
 * EnvoyProxy asks for one), a Service, and an HPA and a PDB when the EnvoyProxy configures them.
 * Objects the fleet must not have (the DaemonSet of a Deployment fleet, an HPA that was removed)
 * come back with a null body, so the applier deletes them.
 *
 * <p>Names, labels and defaults follow Envoy Gateway's proxy infrastructure (its {@code
 * internal/infrastructure/kubernetes/proxy} package), so tooling that selects Envoy Gateway's
 * proxies by label finds ours; the EnvoyProxy's {@code provider.kubernetes} settings and {@code
 * patch} overrides are applied last.
 */
public final class ProxyResourceRenderer {
  /**
   * Port of the readiness listener, which the xds-server serves with the configuration: a pod is
   * ready only once its Envoy has received its listeners. The readiness probe asks it.
   */
  public static final int READY_PORT = ProxyNames.READY_PORT;

  /** Envoy's admin port, bound to localhost only. */
  public static final int ADMIN_PORT = 19000;

  /**
   * The port of the stats listener that serves {@code /stats/prometheus} (Envoy Gateway's), unless
   * the EnvoyProxy's {@code telemetry.metrics.prometheus.disable} is set.
   */
  public static final int METRICS_PORT = ProxyMetrics.DEFAULT_STATS_PORT;

  /** File name of the bootstrap in the ConfigMap and in the container. */
  public static final String BOOTSTRAP_KEY = "bootstrap.yaml";

  /** Where the bootstrap ConfigMap is mounted. */
  public static final String BOOTSTRAP_DIR = "/etc/envoy";

  /** Label that ties every object to its fleet, for deleting a fleet whose IR is gone. */
  public static final String FLEET_LABEL = "eg4j.io/fleet";

  /** Pod annotation that changes with the bootstrap, so a new bootstrap rolls the pods. */
  public static final String BOOTSTRAP_HASH_ANNOTATION = "eg4j.io/bootstrap-hash";

  /** Envoy Gateway's owning-gateway labels. */
  public static final String OWNING_GATEWAY_NAME = "gateway.envoyproxy.io/owning-gateway-name";

  /** Envoy Gateway's owning-gateway namespace label. */
  public static final String OWNING_GATEWAY_NAMESPACE =
      "gateway.envoyproxy.io/owning-gateway-namespace";

  /** The Gateway API's label naming a Gateway, on a fleet in its Gateway's namespace. */
  public static final String GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

  /** Envoy Gateway's owning-class label, for merged gateways. */
  public static final String OWNING_GATEWAYCLASS = "gateway.envoyproxy.io/owning-gatewayclass";

  /** The labels Envoy Gateway puts on every proxy object. */
  public static final Map<String, String> APP_LABELS =
      Map.of(
          "app.kubernetes.io/name", "envoy",
          "app.kubernetes.io/component", "proxy",
          "app.kubernetes.io/managed-by", "envoy-gateway");

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final RenderSettings settings;

  /** A renderer for one control plane's settings. */
  public ProxyResourceRenderer(RenderSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** The settings this renderer was made with. */
  public RenderSettings settings() {
    return settings;
  }

  /**
   * Renders a fleet.
   *
   * @param ir the fleet's infra IR
   * @param owner the owner written into every object, or null for none
   * @return the objects to apply and to delete, in order
   */
  public RenderedFleet render(InfraIr ir, OwnerRef owner) {
    List<String> warnings = new ArrayList<>();
    JsonNode proxy = envoyProxySpec(ir, warnings);
    warnings.addAll(ProxyMetrics.unsupportedSinks(metricsSpec(proxy)));
    JsonNode k8s = proxy.path("provider").path("kubernetes");
    String ns = namespaceOf(ir);
    String name = resourceName(ir);
    Map<String, String> selector = selectorLabels(ir);
    Map<String, String> labels = new TreeMap<>(ir.labels());
    labels.putAll(selector);
    labels.put(FLEET_LABEL, fleetLabelValue(ir.name()));
    if (settings.gatewayNamespaceMode()
        && ir.ownerGatewayNamespace() != null
        && ir.ownerGatewayName() != null) {
      // Beside its Gateway, the fleet carries the Gateway API's own label naming it, as Envoy
      // Gateway's objects do in this mode.
      labels.put(GATEWAY_NAME_LABEL, ir.ownerGatewayName());
    }
    // The Gateway's infrastructure annotations go on every object of the fleet (and its pods), as
    // Envoy Gateway puts its proxy metadata; the Service adds its own from the EnvoyProxy.
    Map<String, String> annotations = new TreeMap<>(ir.annotations());

    boolean daemonSet = k8s.has("envoyDaemonSet") && !k8s.has("envoyDeployment");
    JsonNode workloadSpec = daemonSet ? k8s.path("envoyDaemonSet") : k8s.path("envoyDeployment");
    boolean hpa = !daemonSet && k8s.path("envoyHpa").isObject();
    boolean pdb = k8s.path("envoyPDB").isObject();

    List<DesiredObject> out = new ArrayList<>();
    String saName = textOr(k8s.path("envoyServiceAccount").path("name"), name);
    out.add(
        new DesiredObject(
            "v1",
            "ServiceAccount",
            ns,
            saName,
            object("v1", "ServiceAccount", ns, saName, labels, annotations, owner)));

    String bootstrap = bootstrapYaml(ir, proxy);
    ObjectNode cm = object("v1", "ConfigMap", ns, name, labels, annotations, owner);
    cm.putObject("data").put(BOOTSTRAP_KEY, bootstrap);
    out.add(new DesiredObject("v1", "ConfigMap", ns, name, cm));

    String workloadName = textOr(workloadSpec.path("name"), name);
    ObjectNode pod = podTemplate(ir, proxy, workloadSpec, labels, saName, name, bootstrap);
    String deploymentName = textOr(k8s.path("envoyDeployment").path("name"), name);
    String daemonSetName = textOr(k8s.path("envoyDaemonSet").path("name"), name);
    if (daemonSet) {
      ObjectNode ds = object("apps/v1", "DaemonSet", ns, workloadName, labels, annotations, owner);
      ObjectNode spec = ds.putObject("spec");
      spec.putObject("selector").set("matchLabels", strings(selector));
      spec.set("template", pod);
      copyIfPresent(workloadSpec, "strategy", spec, "updateStrategy");
      out.add(
          new DesiredObject(
              "apps/v1", "DaemonSet", ns, workloadName, patched(ds, workloadSpec, warnings)));
    } else {
      ObjectNode dep =
          object("apps/v1", "Deployment", ns, workloadName, labels, annotations, owner);
      ObjectNode spec = dep.putObject("spec");
      // With an HPA the autoscaler owns the replica count; writing it here would fight it.
      if (!hpa) {
        spec.put("replicas", intOr(workloadSpec.path("replicas"), 1));
      }
      spec.put("revisionHistoryLimit", 10);
      spec.put("progressDeadlineSeconds", 600);
      spec.putObject("selector").set("matchLabels", strings(selector));
      if (workloadSpec.path("strategy").isObject()) {
        spec.set("strategy", workloadSpec.path("strategy").deepCopy());
      } else {
        ObjectNode strategy = spec.putObject("strategy");
        strategy.put("type", "RollingUpdate");
        ObjectNode rolling = strategy.putObject("rollingUpdate");
        rolling.put("maxSurge", "25%");
        rolling.put("maxUnavailable", "25%");
      }
      spec.set("template", pod);
      out.add(
          new DesiredObject(
              "apps/v1", "Deployment", ns, workloadName, patched(dep, workloadSpec, warnings)));
    }

    JsonNode svcSpec = k8s.path("envoyService");
    String svcName = textOr(svcSpec.path("name"), name);
    out.add(
        new DesiredObject(
            "v1",
            "Service",
            ns,
            svcName,
            patched(
                service(ir, svcSpec, ns, svcName, labels, selector, owner), svcSpec, warnings)));

    JsonNode hpaSpec = k8s.path("envoyHpa");
    if (hpa) {
      out.add(
          new DesiredObject(
              "autoscaling/v2",
              "HorizontalPodAutoscaler",
              ns,
              name,
              patched(hpa(hpaSpec, ns, name, workloadName, labels, owner), hpaSpec, warnings)));
    }
    JsonNode pdbSpec = k8s.path("envoyPDB");
    if (pdb) {
      out.add(
          new DesiredObject(
              "policy/v1",
              "PodDisruptionBudget",
              ns,
              name,
              patched(pdb(pdbSpec, ns, name, labels, selector, owner), pdbSpec, warnings)));
    }

    // Deletions last: a switch from Deployment to DaemonSet brings the new pods up before the old
    // ones go, and the HPA goes after the Deployment no longer needs it.
    if (daemonSet) {
      out.add(new DesiredObject("apps/v1", "Deployment", ns, deploymentName, null));
    } else {
      out.add(new DesiredObject("apps/v1", "DaemonSet", ns, daemonSetName, null));
    }
    if (!hpa) {
      out.add(new DesiredObject("autoscaling/v2", "HorizontalPodAutoscaler", ns, name, null));
    }
    if (!pdb) {
      out.add(new DesiredObject("policy/v1", "PodDisruptionBudget", ns, name, null));
    }
    return new RenderedFleet(out, warnings);
  }

  /**
   * The namespace the fleet runs in: its Gateway's in gateway-namespace mode, else the control
   * plane's own namespace ({@link RenderSettings#controllerNamespace()}, this service's
   * configuration). The IR's {@code namespace} is the translator's idea of the control plane's
   * namespace and is not trusted for it: a translator configured differently (or an old record)
   * would send every apply where this provisioner has no rights and mount a Secret that does not
   * exist there. Only merged gateways in gateway-namespace mode, which have no owning Gateway, take
   * the IR's namespace.
   */
  public String namespaceOf(InfraIr ir) {
    if (settings.gatewayNamespaceMode()) {
      if (ir.ownerGatewayNamespace() != null) {
        return ir.ownerGatewayNamespace();
      }
      if (ir.namespace() != null && !ir.namespace().isBlank()) {
        return ir.namespace();
      }
    }
    return settings.controllerNamespace();
  }

  /**
   * The name of the fleet's objects: the Gateway's name in gateway-namespace mode, else {@code
   * envoy-<fleet, at most 48 characters>-<8 hex digits of its SHA-256>} as Envoy Gateway names
   * them, so one name never collides with another fleet's and never exceeds 63 characters.
   */
  public String resourceName(InfraIr ir) {
    if (settings.gatewayNamespaceMode()
        && ir.ownerGatewayNamespace() != null
        && ir.ownerGatewayName() != null) {
      return ir.ownerGatewayName();
    }
    return ProxyNames.fleetResourceName(ir.name());
  }

  /** The value of {@link #FLEET_LABEL} for a fleet name (a label value cannot hold a slash). */
  public static String fleetLabelValue(String fleet) {
    return hashedName(fleet, 48);
  }

  /** The labels that select the fleet's pods: Envoy Gateway's app and owner labels. */
  public static Map<String, String> selectorLabels(InfraIr ir) {
    Map<String, String> m = new TreeMap<>(APP_LABELS);
    if (ir.ownerGatewayNamespace() == null) {
      m.put(OWNING_GATEWAYCLASS, ir.ownerGatewayName() == null ? ir.name() : ir.ownerGatewayName());
    } else {
      m.put(OWNING_GATEWAY_NAME, ir.ownerGatewayName());
      m.put(OWNING_GATEWAY_NAMESPACE, ir.ownerGatewayNamespace());
    }
    return m;
  }

  static String hashedName(String name, int maxPrefix) {
    return ProxyNames.hashedName(name, maxPrefix);
  }

  private JsonNode envoyProxySpec(InfraIr ir, List<String> warnings) {
    if (ir.envoyProxy() == null || ir.envoyProxy().isBlank()) {
      return MissingNode.getInstance();
    }
    try {
      JsonNode node = Json.MAPPER.readTree(ir.envoyProxy());
      // Accept the whole EnvoyProxy object as well as its spec.
      if (node.has("spec") && "EnvoyProxy".equals(node.path("kind").asText())) {
        node = node.get("spec");
      }
      return node == null || !node.isObject() ? MissingNode.getInstance() : node;
    } catch (JsonProcessingException e) {
      warnings.add("EnvoyProxy spec is not valid JSON, defaults used: " + e.getOriginalMessage());
      return MissingNode.getInstance();
    }
  }

  /** The EnvoyProxy's {@code telemetry.metrics}, or a missing node. */
  private static JsonNode metricsSpec(JsonNode proxy) {
    return proxy.path("telemetry").path("metrics");
  }

  /** True unless the EnvoyProxy disables the Prometheus endpoint. */
  static boolean prometheusEnabled(JsonNode proxy) {
    return !metricsSpec(proxy).path("prometheus").path("disable").asBoolean(false);
  }

  private String bootstrapYaml(InfraIr ir, JsonNode proxy) {
    // The node id here is a placeholder: the container's --service-node names each pod.
    EnvoyBootstrapSpec spec =
        EnvoyBootstrapSpec.of(
                ir.name() + "/bootstrap",
                ir.name(),
                settings.xdsHost(),
                settings.xdsPort(),
                ADMIN_PORT)
            // Delta ADS, as Envoy Gateway's proxies: a change sends only what changed.
            .withDelta(true);
    RenderSettings.XdsTlsMount tls = settings.xdsTls();
    if (tls != null) {
      String dir = tls.mountPath();
      spec =
          spec.withTls(
              new EnvoyBootstrapSpec.XdsTls(
                  dir + "/tls.crt", dir + "/tls.key", dir + "/ca.crt", tls.serverName()));
    }
    spec =
        spec.withMetrics(
            ProxyMetrics.fromSpec(metricsSpec(proxy), ir.namespace(), "0.0.0.0", METRICS_PORT));
    ObjectNode tree = EnvoyBootstrap.tree(spec);
    try {
      return Json.YAML.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write bootstrap", e);
    }
  }

  private ObjectNode podTemplate(
      InfraIr ir,
      JsonNode proxy,
      JsonNode workloadSpec,
      Map<String, String> labels,
      String serviceAccount,
      String configMapName,
      String bootstrap) {
    JsonNode podSpec = workloadSpec.path("pod");
    JsonNode containerSpec = workloadSpec.path("container");
    ObjectNode template = F.objectNode();
    ObjectNode meta = template.putObject("metadata");
    Map<String, String> podLabels = new TreeMap<>(labels);
    putStrings(podLabels, podSpec.path("labels"));
    // The selector labels win: a pod a user relabels away from its selector would be orphaned.
    podLabels.putAll(selectorLabels(ir));
    meta.set("labels", strings(podLabels));
    Map<String, String> podAnnotations = new TreeMap<>();
    if (prometheusEnabled(proxy)) {
      // Envoy Gateway's scrape annotations; the fleet's and the pod's own annotations win.
      podAnnotations.put("prometheus.io/path", ProxyMetrics.PROMETHEUS_PATH);
      podAnnotations.put("prometheus.io/port", Integer.toString(METRICS_PORT));
      podAnnotations.put("prometheus.io/scrape", "true");
    }
    podAnnotations.putAll(ir.annotations());
    putStrings(podAnnotations, podSpec.path("annotations"));
    podAnnotations.put(BOOTSTRAP_HASH_ANNOTATION, ContentHash.sha256(bootstrap).substring(0, 16));
    meta.set("annotations", strings(podAnnotations));

    ObjectNode spec = template.putObject("spec");
    spec.put("serviceAccountName", serviceAccount);
    // Envoy never talks to the API server.
    spec.put("automountServiceAccountToken", false);
    spec.put("terminationGracePeriodSeconds", 360);
    for (String field :
        new String[] {
          "securityContext",
          "affinity",
          "tolerations",
          "nodeSelector",
          "topologySpreadConstraints",
          "imagePullSecrets",
          "priorityClassName"
        }) {
      copyIfPresent(podSpec, field, spec, field);
    }
    if (workloadSpec.path("initContainers").isArray()) {
      spec.set("initContainers", workloadSpec.path("initContainers").deepCopy());
    }
    spec.putArray("containers").add(envoyContainer(ir, proxy, containerSpec));

    ArrayNode volumes = spec.putArray("volumes");
    ObjectNode config = volumes.addObject();
    config.put("name", "bootstrap");
    ObjectNode cmRef = config.putObject("configMap");
    cmRef.put("name", configMapName);
    cmRef.put("defaultMode", 420);
    if (settings.xdsTls() != null) {
      ObjectNode certs = volumes.addObject();
      certs.put("name", "certs");
      ObjectNode secret = certs.putObject("secret");
      secret.put("secretName", settings.xdsTls().secretName());
      secret.put("defaultMode", 420);
    }
    if (podSpec.path("volumes").isArray()) {
      podSpec.path("volumes").forEach(v -> volumes.add(v.deepCopy()));
    }
    return template;
  }

  private ObjectNode envoyContainer(InfraIr ir, JsonNode proxy, JsonNode containerSpec) {
    ObjectNode c = F.objectNode();
    c.put("name", "envoy");
    c.put("image", image(containerSpec));
    c.put("imagePullPolicy", "IfNotPresent");
    c.putArray("command").add("envoy");
    ArrayNode args = c.putArray("args");
    args.add("--service-cluster").add(ir.name());
    // Kubernetes expands $(ENVOY_POD_NAME): each pod gets its own node id, <ir key>/<pod>.
    args.add("--service-node").add(ir.name() + "/$(ENVOY_POD_NAME)");
    args.add("--config-path").add(BOOTSTRAP_DIR + "/" + BOOTSTRAP_KEY);
    args.add("--log-level")
        .add(textOr(proxy.path("logging").path("level").path("default"), settings.logLevel()));
    args.add("--cpuset-threads");
    args.add("--drain-strategy").add("immediate");
    args.add("--drain-time-s").add("60");
    if (proxy.path("concurrency").canConvertToInt() && proxy.path("concurrency").asInt() > 0) {
      args.add("--concurrency").add(String.valueOf(proxy.path("concurrency").asInt()));
    }
    ArrayNode env = c.putArray("env");
    env.add(fieldEnv("ENVOY_POD_NAME", "metadata.name"));
    env.add(fieldEnv("ENVOY_POD_NAMESPACE", "metadata.namespace"));
    if (containerSpec.path("env").isArray()) {
      containerSpec.path("env").forEach(e -> env.add(e.deepCopy()));
    }
    ArrayNode ports = c.putArray("ports");
    Map<String, InfraIr.ProxyListenerIr> byPort = new TreeMap<>();
    for (InfraIr.ProxyListenerIr l : ir.listeners()) {
      byPort.putIfAbsent(String.format("%05d/%s", l.containerPort(), transport(l.protocol())), l);
    }
    for (InfraIr.ProxyListenerIr l : byPort.values()) {
      ObjectNode p = ports.addObject();
      p.put("name", portName(l.protocol(), l.containerPort()));
      p.put("containerPort", l.containerPort());
      p.put("protocol", transport(l.protocol()));
    }
    if (prometheusEnabled(proxy)) {
      ObjectNode metrics = ports.addObject();
      metrics.put("name", "metrics");
      metrics.put("containerPort", METRICS_PORT);
      metrics.put("protocol", "TCP");
    }
    ObjectNode ready = ports.addObject();
    ready.put("name", "ready");
    ready.put("containerPort", READY_PORT);
    ready.put("protocol", "TCP");

    ObjectNode probe = c.putObject("readinessProbe");
    ObjectNode get = probe.putObject("httpGet");
    get.put("path", ProxyNames.READY_PATH);
    get.put("port", READY_PORT);
    get.put("scheme", "HTTP");
    probe.put("periodSeconds", 5);
    probe.put("timeoutSeconds", 1);
    probe.put("successThreshold", 1);
    probe.put("failureThreshold", 1);

    if (containerSpec.path("resources").isObject()) {
      c.set("resources", containerSpec.path("resources").deepCopy());
    } else {
      ObjectNode requests = c.putObject("resources").putObject("requests");
      requests.put("cpu", "100m");
      requests.put("memory", "512Mi");
    }
    copyIfPresent(containerSpec, "securityContext", c, "securityContext");
    ArrayNode mounts = c.putArray("volumeMounts");
    ObjectNode boot = mounts.addObject();
    boot.put("name", "bootstrap");
    boot.put("mountPath", BOOTSTRAP_DIR);
    boot.put("readOnly", true);
    if (settings.xdsTls() != null) {
      ObjectNode certs = mounts.addObject();
      certs.put("name", "certs");
      certs.put("mountPath", settings.xdsTls().mountPath());
      certs.put("readOnly", true);
    }
    if (containerSpec.path("volumeMounts").isArray()) {
      containerSpec.path("volumeMounts").forEach(m -> mounts.add(m.deepCopy()));
    }
    return c;
  }

  private String image(JsonNode containerSpec) {
    if (containerSpec.path("image").isTextual()) {
      return containerSpec.path("image").asText();
    }
    if (containerSpec.path("imageRepository").isTextual()) {
      // imageRepository swaps the registry and repository but keeps our tag.
      String def = settings.envoyImage();
      int colon = def.lastIndexOf(':');
      String tag = colon > def.lastIndexOf('/') ? def.substring(colon) : "";
      return containerSpec.path("imageRepository").asText() + tag;
    }
    return settings.envoyImage();
  }

  private ObjectNode service(
      InfraIr ir,
      JsonNode svcSpec,
      String ns,
      String name,
      Map<String, String> labels,
      Map<String, String> selector,
      OwnerRef owner) {
    Map<String, String> svcLabels = new TreeMap<>(labels);
    putStrings(svcLabels, svcSpec.path("labels"));
    Map<String, String> svcAnnotations = new TreeMap<>(ir.annotations());
    putStrings(svcAnnotations, svcSpec.path("annotations"));
    ObjectNode svc = object("v1", "Service", ns, name, svcLabels, svcAnnotations, owner);
    ObjectNode spec = svc.putObject("spec");
    String type = textOr(svcSpec.path("type"), "LoadBalancer");
    spec.put("type", type);
    spec.set("selector", strings(selector));
    spec.put("sessionAffinity", "None");
    if (!ir.addresses().isEmpty()) {
      // The Gateway's spec.addresses, as Envoy Gateway places them: a ClusterIP Service takes the
      // first one as its cluster IP (one per IP family is all Kubernetes allows), any other type
      // carries them all as external IPs.
      if (type.equals("ClusterIP")) {
        spec.put("clusterIP", ir.addresses().get(0));
        spec.putArray("clusterIPs").add(ir.addresses().get(0));
      } else {
        ArrayNode external = spec.putArray("externalIPs");
        ir.addresses().forEach(external::add);
      }
    }
    if (!type.equals("ClusterIP")) {
      // Local keeps the client's source address; Envoy Gateway's default.
      spec.put("externalTrafficPolicy", textOr(svcSpec.path("externalTrafficPolicy"), "Local"));
    }
    if (type.equals("LoadBalancer")) {
      copyIfPresent(svcSpec, "loadBalancerClass", spec, "loadBalancerClass");
      copyIfPresent(
          svcSpec, "allocateLoadBalancerNodePorts", spec, "allocateLoadBalancerNodePorts");
      copyIfPresent(svcSpec, "loadBalancerSourceRanges", spec, "loadBalancerSourceRanges");
      copyIfPresent(svcSpec, "loadBalancerIP", spec, "loadBalancerIP");
    }
    ArrayNode ports = spec.putArray("ports");
    Map<String, InfraIr.ProxyListenerIr> byPort = new TreeMap<>();
    for (InfraIr.ProxyListenerIr l : ir.listeners()) {
      byPort.putIfAbsent(String.format("%05d/%s", l.servicePort(), transport(l.protocol())), l);
    }
    for (InfraIr.ProxyListenerIr l : byPort.values()) {
      ObjectNode p = ports.addObject();
      p.put("name", portName(l.protocol(), l.servicePort()));
      p.put("protocol", transport(l.protocol()));
      p.put("port", l.servicePort());
      p.put("targetPort", l.containerPort());
    }
    return svc;
  }

  private static ObjectNode hpa(
      JsonNode hpaSpec,
      String ns,
      String name,
      String deployment,
      Map<String, String> labels,
      OwnerRef owner) {
    ObjectNode hpa =
        object("autoscaling/v2", "HorizontalPodAutoscaler", ns, name, labels, Map.of(), owner);
    ObjectNode spec = hpa.putObject("spec");
    ObjectNode target = spec.putObject("scaleTargetRef");
    target.put("apiVersion", "apps/v1");
    target.put("kind", "Deployment");
    target.put("name", deployment);
    spec.put("minReplicas", intOr(hpaSpec.path("minReplicas"), 1));
    spec.put("maxReplicas", intOr(hpaSpec.path("maxReplicas"), 1));
    if (hpaSpec.path("metrics").isArray() && !hpaSpec.path("metrics").isEmpty()) {
      spec.set("metrics", hpaSpec.path("metrics").deepCopy());
    } else {
      // Envoy Gateway's default: scale on 80% CPU.
      ObjectNode m = spec.putArray("metrics").addObject();
      m.put("type", "Resource");
      ObjectNode res = m.putObject("resource");
      res.put("name", "cpu");
      ObjectNode t = res.putObject("target");
      t.put("type", "Utilization");
      t.put("averageUtilization", 80);
    }
    copyIfPresent(hpaSpec, "behavior", spec, "behavior");
    return hpa;
  }

  private static ObjectNode pdb(
      JsonNode pdbSpec,
      String ns,
      String name,
      Map<String, String> labels,
      Map<String, String> selector,
      OwnerRef owner) {
    ObjectNode pdb = object("policy/v1", "PodDisruptionBudget", ns, name, labels, Map.of(), owner);
    ObjectNode spec = pdb.putObject("spec");
    spec.putObject("selector").set("matchLabels", strings(selector));
    copyIfPresent(pdbSpec, "minAvailable", spec, "minAvailable");
    copyIfPresent(pdbSpec, "maxUnavailable", spec, "maxUnavailable");
    if (!spec.has("minAvailable") && !spec.has("maxUnavailable")) {
      spec.put("minAvailable", 0);
    }
    return pdb;
  }

  private static ObjectNode patched(ObjectNode rendered, JsonNode kindSpec, List<String> warnings) {
    JsonNode patch = kindSpec.path("patch");
    if (!patch.isObject() || !patch.path("value").isObject()) {
      return rendered;
    }
    String type = textOr(patch.path("type"), "StrategicMerge");
    JsonNode value = patch.path("value");
    JsonNode result;
    switch (type) {
      case "JSONMerge" -> result = JsonPatches.mergePatch(rendered, value);
      case "StrategicMerge" -> result = JsonPatches.strategicMergePatch(rendered, value);
      default -> {
        warnings.add("unknown patch type " + type + " on " + rendered.path("kind").asText());
        return rendered;
      }
    }
    ObjectNode out = (ObjectNode) result;
    // A patch may not move the object: the applier and the deleter find it by these.
    ObjectNode meta = (ObjectNode) out.path("metadata");
    meta.set("name", rendered.path("metadata").path("name"));
    meta.set("namespace", rendered.path("metadata").path("namespace"));
    out.set("apiVersion", rendered.path("apiVersion"));
    out.set("kind", rendered.path("kind"));
    return out;
  }

  private static ObjectNode object(
      String apiVersion,
      String kind,
      String ns,
      String name,
      Map<String, String> labels,
      Map<String, String> annotations,
      OwnerRef owner) {
    ObjectNode o = F.objectNode();
    o.put("apiVersion", apiVersion);
    o.put("kind", kind);
    ObjectNode meta = o.putObject("metadata");
    meta.put("name", name);
    meta.put("namespace", ns);
    meta.set("labels", strings(labels));
    if (!annotations.isEmpty()) {
      meta.set("annotations", strings(annotations));
    }
    if (owner != null) {
      owner.writeTo(meta);
    }
    return o;
  }

  private static ObjectNode fieldEnv(String name, String path) {
    ObjectNode e = F.objectNode();
    e.put("name", name);
    ObjectNode ref = e.putObject("valueFrom").putObject("fieldRef");
    ref.put("apiVersion", "v1");
    ref.put("fieldPath", path);
    return e;
  }

  private static String transport(String protocol) {
    return "UDP".equalsIgnoreCase(protocol) ? "UDP" : "TCP";
  }

  /** A port name of at most 15 characters, unique per port and protocol. */
  private static String portName(String protocol, int port) {
    String p = protocol == null ? "tcp" : protocol.toLowerCase(Locale.ROOT);
    if (!p.matches("[a-z]{1,5}")) {
      p = "tcp";
    }
    return p + "-" + port;
  }

  private static void copyIfPresent(JsonNode from, String field, ObjectNode to, String as) {
    JsonNode v = from.path(field);
    if (!v.isMissingNode() && !v.isNull()) {
      to.set(as, v.deepCopy());
    }
  }

  private static void putStrings(Map<String, String> into, JsonNode obj) {
    if (obj.isObject()) {
      obj.fields().forEachRemaining(e -> into.put(e.getKey(), e.getValue().asText()));
    }
  }

  private static ObjectNode strings(Map<String, String> m) {
    ObjectNode o = F.objectNode();
    new TreeMap<>(m).forEach(o::put);
    return o;
  }

  private static String textOr(JsonNode n, String def) {
    return n.isTextual() && !n.asText().isBlank() ? n.asText() : def;
  }

  private static int intOr(JsonNode n, int def) {
    return n.canConvertToInt() ? n.asInt() : def;
  }
}
