package io.eg4j.statuswriter.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.model.status.ResourceStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Writes one status to an object's status subresource: get, change, skip if equal (ignoring {@code
 * lastTransitionTime}), write, and on a 409 conflict get again and retry. Models: Envoy Gateway's
 * {@code provider/kubernetes/status_updater.go}, Strimzi's {@code StatusDiff}.
 *
 * <p>A Gateway also gets {@code addresses} and its {@code Programmed} condition from the proxy
 * fleet's Service and workload, as Envoy Gateway does.
 *
 * <p>Counts every outcome in {@code eg4j.status.writes} (tag {@code result}: written, skipped,
 * conflict, failed).
 */
public final class KubernetesStatusWriter {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesStatusWriter.class);

  /** Envoy Gateway's default controller name. */
  public static final String DEFAULT_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

  /** What a write did. */
  public enum Result {
    /** The status subresource was updated. */
    WRITTEN,
    /** The object already had this status. */
    SKIPPED,
    /** The object does not exist (any more), or its kind has no status eg4j writes. */
    GONE,
    /** The write failed, after retries for conflicts. */
    FAILED
  }

  /**
   * Permission to send one write, from the write rate limiter. Only writes that change something
   * ask for one: reads and skipped statuses cost no slot.
   */
  @FunctionalInterface
  public interface Permits {
    /** No limit. */
    Permits NONE = () -> {};

    /** Blocks until one write may go. */
    void acquire() throws InterruptedException;
  }

  private final KubernetesClient client;
  private final String controllerName;
  private final MeterRegistry meters;
  private final int maxAttempts;
  private final Clock clock;
  private final StatusObjectCache cache;
  private volatile FleetFailures fleetFailures;

  /**
   * A writer.
   *
   * @param client the Kubernetes client
   * @param controllerName our controller name (to keep other controllers' route parent entries)
   * @param meters where {@code eg4j.status.writes} is counted
   * @param maxAttempts how many times one status is tried when it conflicts
   * @param clock the clock for new condition transitions
   */
  public KubernetesStatusWriter(
      KubernetesClient client,
      String controllerName,
      MeterRegistry meters,
      int maxAttempts,
      Clock clock) {
    this(client, controllerName, meters, maxAttempts, clock, null);
  }

  /**
   * A writer that reads objects from {@code cache} first (the server only after a conflict, or when
   * the cache does not know the object).
   *
   * @param cache the informer cache of the objects with a status, or null to always read the server
   */
  public KubernetesStatusWriter(
      KubernetesClient client,
      String controllerName,
      MeterRegistry meters,
      int maxAttempts,
      Clock clock,
      StatusObjectCache cache) {
    this.cache = cache;
    this.client = Objects.requireNonNull(client, "client");
    this.controllerName = controllerName == null ? DEFAULT_CONTROLLER : controllerName;
    this.meters = Objects.requireNonNull(meters, "meters");
    this.maxAttempts = Math.max(1, maxAttempts);
    this.clock = clock == null ? Clock.systemUTC() : clock;
  }

  /**
   * Writes a status without a rate limit, retrying conflicts; see {@link #write(ResourceStatus,
   * Permits)}.
   */
  public Result write(ResourceStatus status) {
    try {
      return write(status, Permits.NONE);
    } catch (InterruptedException e) {
      // Permits.NONE never blocks.
      Thread.currentThread().interrupt();
      return Result.FAILED;
    }
  }

  /**
   * True when the cached object already carries {@code status}: a write would be skipped. It reads
   * nothing from the server, so it answers false when it cannot tell: without a cache, for an
   * object the cache does not hold, and for a Gateway, whose status also depends on its fleet.
   */
  public boolean upToDate(ResourceStatus status) {
    ResourceKey key = status.key();
    Optional<WatchedKind> kind = WatchedKind.find(key.group(), key.kind());
    if (kind.isEmpty() || !kind.get().hasStatus()) {
      // Nothing is ever written for it.
      return true;
    }
    if (cache == null || isGateway(key)) {
      return false;
    }
    GenericKubernetesResource current = cache.get(key);
    if (current == null) {
      return false;
    }
    return StatusDiff.equalIgnoringTransitionTimes(
        currentStatus(current), desired(status, current));
  }

  /**
   * Writes a status, retrying conflicts. Never throws for API errors: they are counted. Each write
   * request takes one of {@code permits}; a status already on the object takes none.
   */
  public Result write(ResourceStatus status, Permits permits) throws InterruptedException {
    ResourceKey key = status.key();
    Optional<WatchedKind> kind = WatchedKind.find(key.group(), key.kind());
    if (kind.isEmpty() || !kind.get().hasStatus()) {
      LOG.debug("no status subresource is written for kind {}", key);
      return Result.GONE;
    }
    MDC.put("resource", key.toString());
    try {
      ResourceDefinitionContext ctx = kind.get().context();
      for (int attempt = 1; attempt <= maxAttempts; attempt++) {
        // The first attempt reads the cache; after a conflict the cache was behind, so the
        // server.
        GenericKubernetesResource current = attempt == 1 && cache != null ? cache.get(key) : null;
        try {
          if (current == null) {
            current = resource(ctx, key).get();
          }
        } catch (KubernetesClientException e) {
          count("failed");
          LOG.warn("cannot read {}: {}", key, e.getMessage());
          return Result.FAILED;
        }
        if (current == null) {
          if (cache != null) {
            cache.forget(key);
          }
          return Result.GONE;
        }
        JsonNode currentStatus = currentStatus(current);
        ObjectNode desired = desired(status, current);
        if (StatusDiff.equalIgnoringTransitionTimes(currentStatus, desired)) {
          count("skipped");
          return Result.SKIPPED;
        }
        // A copy: the cache's object is shared with the informer.
        GenericKubernetesResource update =
            Json.MAPPER.convertValue(current, GenericKubernetesResource.class);
        update.setAdditionalProperty("status", Json.MAPPER.convertValue(desired, Map.class));
        permits.acquire();
        try {
          // updateStatus sends the resourceVersion we read: a concurrent change answers 409.
          var op = client.genericKubernetesResources(ctx);
          GenericKubernetesResource result =
              (ctx.isNamespaceScoped() ? op.inNamespace(key.namespace()) : op)
                  .resource(update)
                  .updateStatus();
          if (cache != null) {
            cache.wrote(key, current, result);
          }
          count("written");
          return Result.WRITTEN;
        } catch (KubernetesClientException e) {
          if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
            count("conflict");
            LOG.debug("conflict writing {} (attempt {}), reading it again", key, attempt);
            continue;
          }
          if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
            return Result.GONE;
          }
          count("failed");
          LOG.warn("cannot write status of {}: {}", key, e.getMessage());
          return Result.FAILED;
        }
      }
      count("failed");
      LOG.warn("status of {} still conflicts after {} attempts", key, maxAttempts);
      return Result.FAILED;
    } finally {
      MDC.remove("resource");
    }
  }

  private static JsonNode currentStatus(GenericKubernetesResource current) {
    return Json.MAPPER.valueToTree(current.getAdditionalProperties().get("status"));
  }

  /** The status to write on {@code current}: the published one merged with what is there. */
  private ObjectNode desired(ResourceStatus status, GenericKubernetesResource current) {
    ResourceKey key = status.key();
    ObjectNode published = status.status().deepCopy();
    long generation =
        current.getMetadata().getGeneration() == null
            ? status.observedGeneration()
            : current.getMetadata().getGeneration();
    if (isGateway(key)) {
      rejectUnresolvedParametersRef(published, current, generation);
      addInfrastructureStatus(published, current, generation);
    }
    StatusDiff.fillObservedGeneration(published, status.observedGeneration());
    return StatusDiff.merge(currentStatus(current), published, controllerName, clock.instant());
  }

  private io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> resource(
      ResourceDefinitionContext ctx, ResourceKey key) {
    var op = client.genericKubernetesResources(ctx);
    return ctx.isNamespaceScoped()
        ? op.inNamespace(key.namespace()).withName(key.name())
        : op.withName(key.name());
  }

  /** Where a Gateway's status learns why its fleet could not be applied (null: nowhere). */
  public void fleetFailures(FleetFailures failures) {
    this.fleetFailures = failures;
  }

  static boolean isGateway(ResourceKey key) {
    return WatchedKind.GATEWAY_API.equals(key.group()) && "Gateway".equals(key.kind());
  }

  private void addInfrastructureStatus(
      ObjectNode status, GenericKubernetesResource gateway, long generation) {
    JsonNode gw = Json.MAPPER.valueToTree(gateway);
    String ns = gateway.getMetadata().getNamespace();
    String name = gateway.getMetadata().getName();
    Map<String, String> byGateway =
        Map.of(ProxyLabels.OWNING_GATEWAY_NAME, name, ProxyLabels.OWNING_GATEWAY_NAMESPACE, ns);
    String className = gw.path("spec").path("gatewayClassName").asText("");
    Map<String, String> byClass = Map.of(ProxyLabels.OWNING_GATEWAYCLASS, className);
    try {
      JsonNode svc = first("v1", "Service", byGateway);
      if (svc == null && !className.isEmpty()) {
        svc = first("v1", "Service", byClass);
      }
      JsonNode workload = first("apps/v1", "Deployment", byGateway);
      if (workload == null) {
        workload = first("apps/v1", "DaemonSet", byGateway);
      }
      if (workload == null && !className.isEmpty()) {
        workload = first("apps/v1", "Deployment", byClass);
        if (workload == null) {
          workload = first("apps/v1", "DaemonSet", byClass);
        }
      }
      List<JsonNode> nodes = List.of();
      if (svc != null && "NodePort".equals(svc.path("spec").path("type").asText())) {
        nodes =
            client.nodes().list().getItems().stream()
                .map(n -> (JsonNode) Json.MAPPER.valueToTree(n))
                .toList();
      }
      GatewayProgrammed.apply(status, gw, svc, workload, nodes, generation);
      FleetFailures failures = fleetFailures;
      if (failures != null) {
        GatewayProgrammed.addFleetCause(status, failures.cause(ns, name, className));
      }
    } catch (KubernetesClientException e) {
      // Without the fleet's state the translator's status is still worth writing.
      LOG.warn("cannot read the proxy fleet of Gateway {}/{}: {}", ns, name, e.getMessage());
    }
  }

  /**
   * Envoy Gateway's provider rejects a Gateway whose {@code infrastructure.parametersRef} names
   * something other than an EnvoyProxy, or an EnvoyProxy that does not exist in its namespace
   * (Accepted=False, InvalidParameters, as the Gateway API asks), before translation; the
   * translator sees only the Gateways that pass. Here the translator's status gets that condition,
   * unless it already rejected the Gateway itself.
   */
  private void rejectUnresolvedParametersRef(
      ObjectNode status, GenericKubernetesResource gateway, long generation) {
    JsonNode ref =
        Json.MAPPER.valueToTree(gateway).path("spec").path("infrastructure").path("parametersRef");
    if (!ref.isObject()) {
      return;
    }
    for (JsonNode c : status.path("conditions")) {
      if ("Accepted".equals(c.path("type").asText()) && "False".equals(c.path("status").asText())) {
        return;
      }
    }
    String group = ref.path("group").asText("");
    String kind = ref.path("kind").asText("");
    String name = ref.path("name").asText("");
    String ns = gateway.getMetadata().getNamespace();
    String problem = null;
    if (!ENVOY_GATEWAY_GROUP.equals(group) || !"EnvoyProxy".equals(kind)) {
      problem =
          "unsupported kind " + kind + " in group " + group + "; only EnvoyProxy is supported";
    } else {
      try {
        if (client
                .genericKubernetesResources(ENVOY_GATEWAY_GROUP + "/v1alpha1", "EnvoyProxy")
                .inNamespace(ns)
                .withName(name)
                .get()
            == null) {
          problem = "EnvoyProxy " + ns + "/" + name + " not found";
        }
      } catch (KubernetesClientException e) {
        // Not allowed to read EnvoyProxies (or no CRD): the translator's judgement stands.
        LOG.debug("cannot read EnvoyProxy {}/{}: {}", ns, name, e.getMessage());
      }
    }
    if (problem == null) {
      return;
    }
    ArrayNode conditions =
        status.path("conditions").isArray()
            ? (ArrayNode) status.get("conditions")
            : status.putArray("conditions");
    for (int i = conditions.size() - 1; i >= 0; i--) {
      if ("Accepted".equals(conditions.get(i).path("type").asText())) {
        conditions.remove(i);
      }
    }
    ObjectNode rejected = conditions.insertObject(0);
    rejected.put("type", "Accepted");
    rejected.put("status", "False");
    rejected.put("reason", "InvalidParameters");
    rejected.put("message", "Invalid parametersRef: " + problem);
    if (generation > 0) {
      rejected.put("observedGeneration", generation);
    }
    rejected.put("lastTransitionTime", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
  }

  private static final String ENVOY_GATEWAY_GROUP = "gateway.envoyproxy.io";

  private JsonNode first(String apiVersion, String kind, Map<String, String> labels) {
    List<GenericKubernetesResource> items =
        client
            .genericKubernetesResources(apiVersion, kind)
            .inAnyNamespace()
            .withLabels(labels)
            .list()
            .getItems();
    if (items.isEmpty()) {
      return null;
    }
    return Json.MAPPER.valueToTree(items.get(0));
  }

  private void count(String result) {
    meters.counter("eg4j.status.writes", "result", result).increment();
  }
}
