package io.eg4j.provisioner.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.ApplyBackoff;
import io.eg4j.provisioner.core.FleetSink;
import io.eg4j.provisioner.core.FleetStatusListener;
import io.eg4j.provisioner.core.render.DesiredObject;
import io.eg4j.provisioner.core.render.OwnerRef;
import io.eg4j.provisioner.core.render.ProxyResourceRenderer;
import io.eg4j.provisioner.core.render.RenderSettings;
import io.eg4j.provisioner.core.render.RenderedFleet;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Kubernetes mode of the provisioner: makes each fleet's objects in the cluster match what {@link
 * ProxyResourceRenderer} computed from its infra IR, with server-side apply under one field
 * manager, and deletes what a fleet no longer has.
 *
 * <p>Only the leader writes (DESIGN.md invariant 8). A replica that is not the leader remembers the
 * latest IR of every fleet and applies them all when it becomes the leader, so a takeover converges
 * without waiting for new records.
 *
 * <p>A fleet is applied whole or not at all: one the API server must reject (a Service without a
 * port, because the Gateway has no valid listener) is never sent, and every object is first sent as
 * a server-side dry run, so a rejection (schema, admission, RBAC, quota) leaves the cluster as it
 * was. Should the real apply still fail halfway, the objects it created are deleted again. A failed
 * apply is retried with {@link ApplyBackoff} (exponential, jittered, bounded) until it succeeds or
 * the fleet changes, and every outcome goes to the {@link FleetStatusListener}.
 *
 * <p>At start, {@link #reconcile} gets the latest desired state of every fleet (never the history),
 * applies it and deletes orphans: objects of fleets that are no longer desired.
 *
 * <p>Where the API server does not speak server-side apply (fabric8's mock server answers 415), the
 * applier falls back to get-then-create-or-update and remembers that for the rest of its life.
 */
public final class KubernetesFleetProvisioner implements FleetSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesFleetProvisioner.class);

  /** The field manager of every apply, so {@code kubectl} shows who owns which field. */
  public static final String FIELD_MANAGER = "eg4j-provisioner";

  /** The kinds a fleet can have, for pruning and for removing a fleet whose IR is gone. */
  static final List<String[]> FLEET_KINDS =
      List.of(
          new String[] {"autoscaling/v2", "HorizontalPodAutoscaler"},
          new String[] {"policy/v1", "PodDisruptionBudget"},
          new String[] {"v1", "Service"},
          new String[] {"apps/v1", "Deployment"},
          new String[] {"apps/v1", "DaemonSet"},
          new String[] {"v1", "ConfigMap"},
          new String[] {"v1", "ServiceAccount"},
          new String[] {"v1", "Secret"});

  private static final ResourceDefinitionContext GATEWAY =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withKind("Gateway")
          .withPlural("gateways")
          .withNamespaced(true)
          .build();
  private static final ResourceDefinitionContext GATEWAY_CLASS =
      new ResourceDefinitionContext.Builder()
          .withGroup("gateway.networking.k8s.io")
          .withVersion("v1")
          .withKind("GatewayClass")
          .withPlural("gatewayclasses")
          .withNamespaced(false)
          .build();

  private final KubernetesClient client;
  private final ProxyResourceRenderer renderer;
  private final boolean gatewayNamespaceMode;
  private final BooleanSupplier leader;
  private final MeterRegistry meters;
  private final ApplyBackoff backoff;
  private final FleetStatusListener status;
  private final Map<String, InfraIr> desired = new ConcurrentHashMap<>();
  private final Map<String, Retry> retries = new ConcurrentHashMap<>();
  private final ScheduledExecutorService retryTimer;
  private volatile boolean serverSideApply = true;
  private volatile boolean complete;

  /** A pending retry of one fleet. */
  private record Retry(int attempts, ScheduledFuture<?> future) {}

  /**
   * A provisioner with the default back-off and no status listener.
   *
   * @param client the Kubernetes client
   * @param renderer renders the objects of a fleet
   * @param gatewayNamespaceMode true when fleets run in their Gateway's namespace (owner: the
   *     Gateway), false when they run in the control plane's (owner: the GatewayClass)
   * @param leader true while this replica may write
   * @param meters where {@code eg4j.provisioner.applies} is counted, or null
   */
  public KubernetesFleetProvisioner(
      KubernetesClient client,
      ProxyResourceRenderer renderer,
      boolean gatewayNamespaceMode,
      BooleanSupplier leader,
      MeterRegistry meters) {
    this(
        client,
        renderer,
        gatewayNamespaceMode,
        leader,
        meters,
        ApplyBackoff.DEFAULT,
        FleetStatusListener.NONE);
  }

  /**
   * A provisioner.
   *
   * @param client the Kubernetes client
   * @param renderer renders the objects of a fleet
   * @param gatewayNamespaceMode true when fleets run in their Gateway's namespace (owner: the
   *     Gateway), false when they run in the control plane's (owner: the GatewayClass)
   * @param leader true while this replica may write
   * @param meters where {@code eg4j.provisioner.applies} is counted, or null
   * @param backoff when failed applies are retried
   * @param status hears the outcome of every apply
   */
  public KubernetesFleetProvisioner(
      KubernetesClient client,
      ProxyResourceRenderer renderer,
      boolean gatewayNamespaceMode,
      BooleanSupplier leader,
      MeterRegistry meters,
      ApplyBackoff backoff,
      FleetStatusListener status) {
    this.client = Objects.requireNonNull(client, "client");
    this.renderer = Objects.requireNonNull(renderer, "renderer");
    this.gatewayNamespaceMode = gatewayNamespaceMode;
    this.leader = leader == null ? () -> true : leader;
    this.meters = meters == null ? new SimpleMeterRegistry() : meters;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.status = status == null ? FleetStatusListener.NONE : status;
    this.retryTimer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "provisioner-retry");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Makes the fleet match {@code ir}; a non-leader only remembers it. Never throws for what the
   * cluster answers: a failure is reported and retried later.
   */
  @Override
  public synchronized void apply(InfraIr ir) {
    desired.put(ir.name(), ir);
    cancelRetry(ir.name());
    if (!leader.getAsBoolean()) {
      LOG.debug("not the leader, fleet {} remembered for later", ir.name());
      return;
    }
    attempt(ir, 0);
  }

  /** Removes every object of the fleet, wherever it runs; a non-leader only forgets the fleet. */
  @Override
  public synchronized void remove(String fleet) {
    desired.remove(fleet);
    cancelRetry(fleet);
    status.removed(fleet);
    if (!leader.getAsBoolean()) {
      return;
    }
    removeNow(fleet, 0);
  }

  /**
   * The whole desired state at start: remembers exactly these fleets and, when leading, applies
   * them and deletes the objects of every other fleet.
   */
  @Override
  public synchronized void reconcile(Map<String, InfraIr> fleets) {
    for (String gone : Set.copyOf(desired.keySet())) {
      if (!fleets.containsKey(gone)) {
        cancelRetry(gone);
      }
    }
    desired.clear();
    desired.putAll(fleets);
    complete = true;
    reconcileAll();
  }

  /**
   * Applies every remembered fleet and, once the desired state is complete ({@link #reconcile}),
   * deletes orphans; call it when this replica becomes the leader.
   */
  public synchronized void reconcileAll() {
    if (!leader.getAsBoolean()) {
      return;
    }
    for (InfraIr ir : List.copyOf(desired.values())) {
      cancelRetry(ir.name());
      attempt(ir, 0);
    }
    if (complete) {
      try {
        pruneOrphans();
      } catch (RuntimeException e) {
        LOG.warn("orphaned fleet objects not pruned: {}", e.toString());
      }
    }
  }

  /** The fleets this replica knows about, for tests and diagnostics. */
  public Set<String> fleets() {
    return Set.copyOf(desired.keySet());
  }

  /** The fleets with a retry pending, for tests and diagnostics. */
  public Set<String> retrying() {
    return Set.copyOf(retries.keySet());
  }

  @Override
  public void close() {
    retryTimer.shutdownNow();
  }

  /** One attempt; on failure reports it and, unless the fleet itself is invalid, retries later. */
  private void attempt(InfraIr ir, int failedBefore) {
    MDC.put("fleet", ir.name());
    try {
      applyNow(ir);
      if (failedBefore > 0) {
        LOG.info("fleet {} applied after {} failed attempts", ir.name(), failedBefore);
      }
      status.applied(ir);
    } catch (InvalidFleetException e) {
      LOG.warn("fleet {} not applied: {}", ir.name(), e.getMessage());
      status.failed(ir, e.getMessage(), null);
    } catch (RuntimeException e) {
      int attempts = failedBefore + 1;
      Duration delay = backoff.delay(attempts, ThreadLocalRandom.current()::nextDouble);
      LOG.warn(
          "fleet {} not applied (attempt {}), retrying in {} ms: {}",
          ir.name(),
          attempts,
          delay.toMillis(),
          e.getMessage());
      status.failed(ir, e.getMessage(), delay);
      schedule(ir.name(), attempts, delay, () -> retryApply(ir, attempts));
    } finally {
      MDC.remove("fleet");
    }
  }

  private synchronized void retryApply(InfraIr ir, int failedBefore) {
    retries.remove(ir.name());
    // A newer IR, a removal or a lost lease each replaced this retry.
    if (desired.get(ir.name()) != ir || !leader.getAsBoolean()) {
      return;
    }
    attempt(ir, failedBefore);
  }

  private void removeNow(String fleet, int failedBefore) {
    MDC.put("fleet", fleet);
    try {
      prune(fleet, Set.of());
      LOG.info("fleet {} removed", fleet);
    } catch (RuntimeException e) {
      int attempts = failedBefore + 1;
      Duration delay = backoff.delay(attempts, ThreadLocalRandom.current()::nextDouble);
      LOG.warn(
          "fleet {} not removed, retrying in {} ms: {}", fleet, delay.toMillis(), e.toString());
      schedule(fleet, attempts, delay, () -> retryRemove(fleet, attempts));
    } finally {
      MDC.remove("fleet");
    }
  }

  private synchronized void retryRemove(String fleet, int failedBefore) {
    retries.remove(fleet);
    if (desired.containsKey(fleet) || !leader.getAsBoolean()) {
      return;
    }
    removeNow(fleet, failedBefore);
  }

  private void schedule(String fleet, int attempts, Duration delay, Runnable task) {
    try {
      ScheduledFuture<?> f = retryTimer.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
      retries.put(fleet, new Retry(attempts, f));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("closed; fleet {} not retried", fleet);
    }
  }

  private void cancelRetry(String fleet) {
    Retry r = retries.remove(fleet);
    if (r != null) {
      r.future().cancel(false);
    }
  }

  /** A fleet the API server would reject as rendered: applying it is pointless until it changes. */
  static final class InvalidFleetException extends RuntimeException {
    InvalidFleetException(String message) {
      super(message);
    }
  }

  /**
   * Why the API server would reject a rendered fleet, or null when it would not (as far as can be
   * told without asking it): a Service that needs ports but has none, because the Gateway has no
   * valid listener.
   */
  static String invalid(List<DesiredObject> objects) {
    for (DesiredObject o : objects) {
      if (o.isDelete() || !o.kind().equals("Service")) {
        continue;
      }
      var spec = o.body().path("spec");
      boolean needsPorts =
          !"ExternalName".equals(spec.path("type").asText())
              && !"None".equals(spec.path("clusterIP").asText());
      if (needsPorts && spec.path("ports").isEmpty()) {
        return "the Gateway has no valid listener, so its Service "
            + o.namespace()
            + "/"
            + o.name()
            + " would have no port, which the API server rejects; the fleet is not applied";
      }
    }
    return null;
  }

  /** Applies the fleet whole: validated, dry-run, applied, pruned; rolled back when it fails. */
  private void applyNow(InfraIr ir) {
    OwnerRef owner = ownerOf(ir);
    RenderedFleet fleet = renderer.render(ir, owner);
    fleet.warnings().forEach(w -> LOG.warn("fleet {}: {}", ir.name(), w));
    List<DesiredObject> toApply = new ArrayList<>();
    List<DesiredObject> toDelete = new ArrayList<>();
    // The client certificate first: the pods mount it, and would not start without it.
    DesiredObject certs = xdsCertificateCopy(ir, owner);
    if (certs != null) {
      toApply.add(certs);
    }
    for (DesiredObject o : fleet.objects()) {
      (o.isDelete() ? toDelete : toApply).add(o);
    }
    String problem = invalid(toApply);
    if (problem != null) {
      throw new InvalidFleetException(problem);
    }
    // What the fleet has now: what this attempt did not create, and what pruning considers.
    Set<String> before = existing(ir.name());
    if (serverSideApply) {
      for (DesiredObject o : toApply) {
        dryRun(o);
      }
    }
    Set<String> kept = new LinkedHashSet<>();
    try {
      for (DesiredObject o : toApply) {
        applyOne(o);
        kept.add(key(o.kind(), o.namespace(), o.name()));
      }
    } catch (RuntimeException e) {
      rollBack(toApply, kept, before);
      throw e;
    }
    for (DesiredObject o : toDelete) {
      // Only what is there: a restart that reconciles an unchanged fleet sends no delete at all.
      if (before.contains(key(o.kind(), o.namespace(), o.name()))) {
        delete(o.apiVersion(), o.kind(), o.namespace(), o.name());
      }
    }
    prune(ir.name(), kept);
  }

  /** Deletes the objects this attempt created (they were not there before), newest first. */
  private void rollBack(List<DesiredObject> applied, Set<String> kept, Set<String> before) {
    List<DesiredObject> created = new ArrayList<>();
    for (DesiredObject o : applied) {
      String k = key(o.kind(), o.namespace(), o.name());
      if (kept.contains(k) && !before.contains(k)) {
        created.add(0, o);
      }
    }
    for (DesiredObject o : created) {
      try {
        delete(o.apiVersion(), o.kind(), o.namespace(), o.name());
      } catch (RuntimeException e) {
        LOG.warn("could not roll back {}: {}", o.describe(), e.getMessage());
      }
    }
  }

  private static String key(String kind, String ns, String name) {
    return kind + "/" + ns + "/" + name;
  }

  /**
   * Sends the object as a server-side dry run: what the API server would reject, it rejects now.
   */
  private void dryRun(DesiredObject o) {
    GenericKubernetesResource resource =
        Json.MAPPER.convertValue(o.body(), GenericKubernetesResource.class);
    try {
      client
          .resource(resource)
          .dryRun()
          .fieldManager(FIELD_MANAGER)
          .forceConflicts()
          .serverSideApply();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 415) {
        LOG.info("the API server does not support server-side apply; using create or update");
        serverSideApply = false;
        return;
      }
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        // A missing namespace (or a server that cannot apply a new object): the apply itself
        // finds out, before anything is written, since a fleet's objects share their namespace.
        return;
      }
      count(o.kind(), "failed");
      throw new IllegalStateException(
          "the API server rejects " + o.describe() + ": " + e.getMessage(), e);
    }
  }

  private void applyOne(DesiredObject o) {
    GenericKubernetesResource resource =
        Json.MAPPER.convertValue(o.body(), GenericKubernetesResource.class);
    try {
      if (serverSideApply) {
        try {
          client.resource(resource).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
          count(o.kind(), "applied");
          return;
        } catch (KubernetesClientException e) {
          if (e.getCode() == 415) {
            LOG.info("the API server does not support server-side apply; using create or update");
            serverSideApply = false;
          } else if (e.getCode() != HttpURLConnection.HTTP_NOT_FOUND) {
            // A real API server creates on apply; only a server without apply support (or a
            // missing namespace, which create reports better) answers 404.
            throw e;
          }
        }
      }
      createOrUpdate(resource);
      count(o.kind(), "applied");
    } catch (KubernetesClientException e) {
      count(o.kind(), "failed");
      throw new IllegalStateException("cannot apply " + o.describe() + ": " + e.getMessage(), e);
    }
  }

  private void createOrUpdate(GenericKubernetesResource resource) {
    var op =
        client
            .genericKubernetesResources(resource.getApiVersion(), resource.getKind())
            .inNamespace(resource.getMetadata().getNamespace())
            .withName(resource.getMetadata().getName());
    GenericKubernetesResource existing = op.get();
    if (existing == null) {
      try {
        op.create(resource);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        existing = op.get();
      }
    }
    resource.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
    client.resource(resource).update();
  }

  private void delete(String apiVersion, String kind, String ns, String name) {
    try {
      var deleted =
          client
              .genericKubernetesResources(apiVersion, kind)
              .inNamespace(ns)
              .withName(name)
              .delete();
      if (deleted != null && !deleted.isEmpty()) {
        count(kind, "deleted");
        LOG.info("deleted {} {}/{}", kind, ns, name);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        return;
      }
      count(kind, "failed");
      throw new IllegalStateException(
          "cannot delete " + kind + " " + ns + "/" + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * In gateway-namespace mode the proxies run beside their Gateway, away from the control plane's
   * namespace where the xDS client certificate Secret lives: the fleet gets its own copy (same
   * name, data and type), owned like the rest of the fleet and pruned with it. Null when no copy is
   * needed, or when the source Secret does not exist (then the pods wait for it, and a later apply
   * copies it).
   */
  DesiredObject xdsCertificateCopy(InfraIr ir, OwnerRef owner) {
    RenderSettings settings = renderer.settings();
    if (!gatewayNamespaceMode || settings.xdsTls() == null) {
      return null;
    }
    String ns = renderer.namespaceOf(ir);
    String name = settings.xdsTls().secretName();
    if (ns.equals(settings.controllerNamespace())) {
      return null;
    }
    Secret source =
        client.secrets().inNamespace(settings.controllerNamespace()).withName(name).get();
    if (source == null) {
      LOG.warn(
          "fleet {}: xDS client certificate Secret {}/{} not found; not copied to {}",
          ir.name(),
          settings.controllerNamespace(),
          name,
          ns);
      return null;
    }
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("apiVersion", "v1");
    body.put("kind", "Secret");
    ObjectNode meta = body.putObject("metadata");
    meta.put("name", name);
    meta.put("namespace", ns);
    ObjectNode labels = meta.putObject("labels");
    ir.labels().forEach(labels::put);
    labels.put(ProxyResourceRenderer.FLEET_LABEL, ProxyResourceRenderer.fleetLabelValue(ir.name()));
    if (owner != null) {
      owner.writeTo(meta);
    }
    if (source.getType() != null) {
      body.put("type", source.getType());
    }
    ObjectNode data = body.putObject("data");
    if (source.getData() != null) {
      source.getData().forEach(data::put);
    }
    return new DesiredObject("v1", "Secret", ns, name, body);
  }

  /** One object of some fleet, as listed. */
  private record Listed(
      String apiVersion, String kind, String namespace, String name, String fleet) {
    String key() {
      return KubernetesFleetProvisioner.key(kind, namespace, name);
    }
  }

  /**
   * The objects of one fleet ({@code fleet} non-null: by its label, in every namespace), or of
   * every fleet of this provisioner ({@code fleet} null: every object with the fleet label and
   * Envoy Gateway's managed-by label, in the control plane's namespace, or in every namespace in
   * gateway-namespace mode).
   */
  private List<Listed> list(String fleet) {
    List<Listed> out = new ArrayList<>();
    for (String[] kind : FLEET_KINDS) {
      if (kind[1].equals("Secret")
          && (!gatewayNamespaceMode || renderer.settings().xdsTls() == null)) {
        // Only certificate copies are Secrets of a fleet; without them, no Secret is listed.
        continue;
      }
      List<GenericKubernetesResource> items;
      try {
        var op = client.genericKubernetesResources(kind[0], kind[1]);
        if (fleet != null) {
          String value = ProxyResourceRenderer.fleetLabelValue(fleet);
          items =
              op.inAnyNamespace()
                  .withLabel(ProxyResourceRenderer.FLEET_LABEL, value)
                  .list()
                  .getItems();
        } else {
          var scope =
              gatewayNamespaceMode
                  ? op.inAnyNamespace()
                  : op.inNamespace(renderer.settings().controllerNamespace());
          items =
              scope
                  .withLabel(ProxyResourceRenderer.FLEET_LABEL)
                  .withLabel(MANAGED_BY, ProxyResourceRenderer.APP_LABELS.get(MANAGED_BY))
                  .list()
                  .getItems();
        }
      } catch (KubernetesClientException e) {
        // A kind the cluster does not serve (an old cluster without autoscaling/v2) has nothing.
        if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
          continue;
        }
        throw e;
      }
      for (GenericKubernetesResource item : items) {
        Map<String, String> labels = item.getMetadata().getLabels();
        out.add(
            new Listed(
                kind[0],
                kind[1],
                item.getMetadata().getNamespace(),
                item.getMetadata().getName(),
                labels == null ? null : labels.get(ProxyResourceRenderer.FLEET_LABEL)));
      }
    }
    return out;
  }

  private static final String MANAGED_BY = "app.kubernetes.io/managed-by";

  /** The keys of the objects the fleet has now. */
  private Set<String> existing(String fleet) {
    Set<String> keys = new HashSet<>();
    list(fleet).forEach(l -> keys.add(l.key()));
    return keys;
  }

  /** Deletes every object labelled with the fleet that is not in {@code kept}. */
  private void prune(String fleet, Set<String> kept) {
    for (Listed l : list(fleet)) {
      if (!kept.contains(l.key())) {
        delete(l.apiVersion(), l.kind(), l.namespace(), l.name());
      }
    }
  }

  /**
   * Deletes the objects of fleets that are not desired: a Gateway deleted while no provisioner ran,
   * or whose tombstone was compacted away. Only called once the desired state is complete.
   */
  private void pruneOrphans() {
    Set<String> live = new HashSet<>();
    desired.keySet().forEach(f -> live.add(ProxyResourceRenderer.fleetLabelValue(f)));
    int deleted = 0;
    for (Listed l : list(null)) {
      if (l.fleet() != null && !live.contains(l.fleet())) {
        LOG.info("orphan of fleet label {}: deleting {}", l.fleet(), l.key());
        delete(l.apiVersion(), l.kind(), l.namespace(), l.name());
        deleted++;
      }
    }
    LOG.info("reconciled {} fleets, {} orphaned objects deleted", desired.size(), deleted);
  }

  /**
   * The owner of the fleet's objects: the Gateway in gateway-namespace mode, else the GatewayClass
   * (a namespaced object cannot be owned across namespaces). Null when the owner cannot be found,
   * which only costs garbage collection.
   */
  OwnerRef ownerOf(InfraIr ir) {
    try {
      String gwApi = "gateway.networking.k8s.io/v1";
      if (ir.ownerGatewayNamespace() == null) {
        return classRef(ir.ownerGatewayName());
      }
      GenericKubernetesResource gw =
          client
              .genericKubernetesResources(GATEWAY)
              .inNamespace(ir.ownerGatewayNamespace())
              .withName(ir.ownerGatewayName())
              .get();
      if (gw == null) {
        return null;
      }
      if (gatewayNamespaceMode) {
        return new OwnerRef(gwApi, "Gateway", ir.ownerGatewayName(), gw.getMetadata().getUid());
      }
      Object spec = gw.getAdditionalProperties().get("spec");
      Object className = spec instanceof Map<?, ?> m ? m.get("gatewayClassName") : null;
      return className == null ? null : classRef(className.toString());
    } catch (KubernetesClientException e) {
      LOG.debug("owner of fleet {} not found: {}", ir.name(), e.getMessage());
      return null;
    }
  }

  private OwnerRef classRef(String name) {
    if (name == null) {
      return null;
    }
    GenericKubernetesResource o =
        client.genericKubernetesResources(GATEWAY_CLASS).withName(name).get();
    return o == null || o.getMetadata().getUid() == null
        ? null
        : new OwnerRef(
            "gateway.networking.k8s.io/v1", "GatewayClass", name, o.getMetadata().getUid());
  }

  private void count(String kind, String result) {
    meters.counter("eg4j.provisioner.applies", "kind", kind, "result", result).increment();
  }
}
