package io.eg4j.watcher.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.k8s.ControllerSecrets;
import io.eg4j.model.k8s.WatchedKind;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.watcher.core.ResourceSink;
import io.eg4j.watcher.core.ResourceSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The Kubernetes source of the watcher ({@code eg4j.watcher.source=kubernetes}): one fabric8
 * informer per kind of {@link WatchedKind#ALL} (per namespace when a namespace list is set), on
 * {@link GenericKubernetesResource}, so no field of any object can break the stream.
 *
 * <ul>
 *   <li>Each object is checked against the API model; one the model cannot read is left out,
 *       logged, counted in {@code eg4j.watcher.invalid.objects}, and gets an {@code Accepted=False}
 *       status on {@code eg4j.status} where its kind has one. The watcher goes on.
 *   <li>Namespaces are selected by list or label selector; objects elsewhere are ignored, and a
 *       namespace whose labels stop matching takes its objects off the bus.
 *   <li>Secrets and ConfigMaps are delivered only while a delivered object refers to them.
 *   <li>The first delivery is the complete state after every informer's initial list, so the sink
 *       tombstones keys deleted while the watcher was down (DESIGN.md invariant 2). A kind that
 *       cannot be listed at start-up (forbidden until a RoleBinding lands, a server error) is
 *       retried, as a kind whose CRD is missing is; the state is delivered as incomplete until
 *       every kind is listed, and whole once it is.
 *   <li>Status and bookkeeping fields ({@code managedFields}, {@code resourceVersion}, the Gateway
 *       API kinds' {@code status}) are dropped before delivery, so eg4j's own status writes do not
 *       come back as changes.
 * </ul>
 *
 * <p>Events are processed on one thread, in order. Metrics: {@code eg4j.watcher.informer.events}
 * (kind, type), {@code eg4j.watcher.invalid.objects} (kind), {@code eg4j.watcher.event.lag} (from
 * the informer's event to the sink's return), {@code eg4j.watcher.queue} (events not yet done).
 */
public final class KubernetesResourceSource implements ResourceSource {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesResourceSource.class);

  /**
   * Settings of the source.
   *
   * @param namespaces the namespaces to watch; empty for all
   * @param namespaceSelector a label selector the namespaces must match, or null
   * @param resync how often informers redeliver their whole cache (unchanged objects are not
   *     republished: the sink compares content hashes)
   * @param initialSyncTimeout how long start-up waits for the informers' initial lists
   * @param controllerName our controller name, for the statuses of unreadable objects
   * @param kinds the kinds to watch ({@link WatchedKind#ALL} unless a test narrows it)
   * @param crdRecheck how often kinds the cluster did not serve are looked for again, so a CRD
   *     installed after start-up (ListenerSet, TLSRoute) is watched without a restart
   * @param controllerNamespace the control plane's namespace, whose {@link ControllerSecrets} are
   *     published although nothing references them (the translator reads them by name), whichever
   *     namespaces are watched; null for none
   */
  public record Settings(
      List<String> namespaces,
      String namespaceSelector,
      Duration resync,
      Duration initialSyncTimeout,
      String controllerName,
      List<WatchedKind> kinds,
      Duration crdRecheck,
      String controllerNamespace) {
    /** Settings without a controller namespace. */
    public Settings(
        List<String> namespaces,
        String namespaceSelector,
        Duration resync,
        Duration initialSyncTimeout,
        String controllerName,
        List<WatchedKind> kinds,
        Duration crdRecheck) {
      this(
          namespaces,
          namespaceSelector,
          resync,
          initialSyncTimeout,
          controllerName,
          kinds,
          crdRecheck,
          null);
    }

    /** Settings with the default CRD recheck interval (30 s). */
    public Settings(
        List<String> namespaces,
        String namespaceSelector,
        Duration resync,
        Duration initialSyncTimeout,
        String controllerName,
        List<WatchedKind> kinds) {
      this(namespaces, namespaceSelector, resync, initialSyncTimeout, controllerName, kinds, null);
    }

    public Settings {
      crdRecheck = crdRecheck == null ? Duration.ofSeconds(30) : crdRecheck;
      namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
      namespaceSelector =
          namespaceSelector == null || namespaceSelector.isBlank() ? null : namespaceSelector;
      resync = resync == null ? Duration.ofMinutes(10) : resync;
      initialSyncTimeout = initialSyncTimeout == null ? Duration.ofMinutes(2) : initialSyncTimeout;
      controllerName =
          controllerName == null ? "gateway.envoyproxy.io/gatewayclass-controller" : controllerName;
      kinds = kinds == null ? WatchedKind.ALL : List.copyOf(kinds);
      controllerNamespace =
          controllerNamespace == null || controllerNamespace.isBlank() ? null : controllerNamespace;
    }

    /** Whether {@code key} is one of the controller's own Secrets. */
    boolean controllerSecret(ResourceKey key) {
      return controllerNamespace != null
          && key.group().isEmpty()
          && key.kind().equals("Secret")
          && key.namespace().equals(controllerNamespace)
          && ControllerSecrets.NAMES.contains(key.name());
    }

    /** Every kind, every namespace, default timings. */
    public static Settings defaults() {
      return new Settings(null, null, null, null, null, null);
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final MeterRegistry meters;
  private final Consumer<ResourceStatus> invalidStatuses;
  private final LabelSelectorMatcher selector;
  private final ExecutorService events;
  private final AtomicInteger queued = new AtomicInteger();
  private final Timer lag;
  private final List<SharedIndexInformer<GenericKubernetesResource>> informers =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<SharedIndexInformer<GenericKubernetesResource>, WatchedKind> kindOf =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final List<WatchedKind> unserved = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Kinds whose probe failed otherwise (forbidden, a server error): retried, state incomplete. */
  private final List<WatchedKind> unlisted = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Whether a complete state went to the sink (at start-up, or once every kind was listed). */
  private final java.util.concurrent.atomic.AtomicBoolean completeDelivered =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final java.util.concurrent.ScheduledExecutorService crdCheck =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "watcher-crd-check");
            t.setDaemon(true);
            return t;
          });

  // State below is touched only on the events thread.
  private final Map<ResourceKey, ObjectNode> objects = new HashMap<>();
  private final Map<ResourceKey, ObjectNode> delivered = new HashMap<>();
  private final Map<ResourceKey, Set<ResourceKey>> activeRefs = new HashMap<>();
  private final Map<ResourceKey, Integer> refCount = new HashMap<>();

  /** Unreadable objects, with the generation last reported, so each generation is reported once. */
  private final Map<ResourceKey, Long> invalid = new HashMap<>();

  private ResourceSink sink;
  private boolean started;
  private boolean eventSink = true;
  private boolean resyncPending;

  /**
   * A source.
   *
   * @param client the Kubernetes client
   * @param settings what to watch
   * @param meters where the watcher's metrics go
   * @param invalidStatuses where statuses of unreadable objects go ({@code eg4j.status}), or null
   */
  public KubernetesResourceSource(
      KubernetesClient client,
      Settings settings,
      MeterRegistry meters,
      Consumer<ResourceStatus> invalidStatuses) {
    this.client = Objects.requireNonNull(client, "client");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.meters = Objects.requireNonNull(meters, "meters");
    this.invalidStatuses = invalidStatuses == null ? s -> {} : invalidStatuses;
    this.selector =
        settings.namespaceSelector() == null
            ? null
            : LabelSelectorMatcher.parse(settings.namespaceSelector());
    this.events =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "watcher-k8s-events");
              t.setDaemon(true);
              return t;
            });
    this.lag =
        Timer.builder("eg4j.watcher.event.lag")
            .description("From an informer event to its delivery to the bus publisher")
            .register(meters);
    Gauge.builder("eg4j.watcher.queue", queued, AtomicInteger::get)
        .description("Informer events received and not yet delivered")
        .register(meters);
  }

  @Override
  public void start(ResourceSink sink) {
    this.sink = Objects.requireNonNull(sink, "sink");
    boolean complete = true;
    List<CompletableFuture<Void>> syncs = new ArrayList<>();
    for (WatchedKind kind : settings.kinds()) {
      Served served = served(kind);
      if (served == Served.NO) {
        LOG.info(
            "{} is not served by this cluster; watched once it is",
            kind.apiVersion() + "/" + kind.kind());
        unserved.add(kind);
        continue;
      }
      if (served == Served.UNKNOWN) {
        // Not a reason to never watch it: it is probed again until it can be listed.
        unlisted.add(kind);
        complete = false;
        continue;
      }
      syncs.addAll(inform(kind));
    }
    try {
      CompletableFuture.allOf(syncs.toArray(CompletableFuture[]::new))
          .get(settings.initialSyncTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      LOG.error("not every informer listed its kind in time: {}", e.toString());
      complete = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    boolean initialComplete = complete;
    try {
      events.submit(() -> initialDelivery(initialComplete)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("initial delivery failed", e.getCause());
    }
    if (!unserved.isEmpty() || !completeDelivered.get()) {
      long every = settings.crdRecheck().toMillis();
      crdCheck.scheduleWithFixedDelay(this::recheck, every, every, TimeUnit.MILLISECONDS);
    }
  }

  /** Starts the informers of one kind; returns their initial syncs. */
  private synchronized List<CompletableFuture<Void>> inform(WatchedKind kind) {
    List<CompletableFuture<Void>> syncs = new ArrayList<>();
    for (String ns : namespacesFor(kind)) {
      var op = client.genericKubernetesResources(kind.context());
      var scoped = ns == null ? (kind.namespaced() ? op.inAnyNamespace() : op) : op.inNamespace(ns);
      SharedIndexInformer<GenericKubernetesResource> informer =
          scoped.runnableInformer(settings.resync().toMillis());
      informer.addEventHandler(handler(kind));
      // Keep the stream going through any error, and keep retrying the initial list.
      informer.exceptionHandler(
          (isStarted, t) -> {
            LOG.warn("informer for {} failed ({}), retrying", kind.kind(), t.toString());
            return true;
          });
      informers.add(informer);
      kindOf.put(informer, kind);
      syncs.add(informer.start().toCompletableFuture());
    }
    if (kind.kind().equals("Secret")
        && kind.group().isEmpty()
        && settings.controllerNamespace() != null) {
      // One informer per controller Secret, by name: it needs only get/list/watch on those names
      // (the chart's Role in the release namespace), and in the all-namespaces mode its events
      // repeat what the other informer sees, which changes nothing (objects are compared).
      for (String name : ControllerSecrets.NAMES) {
        SharedIndexInformer<GenericKubernetesResource> informer =
            client
                .genericKubernetesResources(kind.context())
                .inNamespace(settings.controllerNamespace())
                .withName(name)
                .runnableInformer(settings.resync().toMillis());
        informer.addEventHandler(handler(kind));
        informer.exceptionHandler(
            (isStarted, t) -> {
              LOG.warn(
                  "informer for Secret {}/{} failed ({}), retrying",
                  settings.controllerNamespace(),
                  name,
                  t.toString());
              return true;
            });
        informers.add(informer);
        kindOf.put(informer, kind);
        syncs.add(informer.start().toCompletableFuture());
      }
    }
    return syncs;
  }

  /**
   * A CRD installed after start-up, or a kind that can be listed now and could not be at start-up:
   * its kind is watched from now on. The informer's initial list arrives as add events, so its
   * objects flow like any other change. Once every kind is listed, an incomplete start-up is made
   * whole.
   */
  private void recheck() {
    for (WatchedKind kind : List.copyOf(unserved)) {
      try {
        if (served(kind) == Served.YES) {
          LOG.info("{} is served now; watching it", kind.apiVersion() + "/" + kind.kind());
          unserved.remove(kind);
          inform(kind);
        }
      } catch (RuntimeException e) {
        LOG.warn("cannot check whether {} is served: {}", kind.kind(), e.toString());
      }
    }
    for (WatchedKind kind : List.copyOf(unlisted)) {
      try {
        Served served = served(kind);
        if (served == Served.UNKNOWN) {
          continue;
        }
        unlisted.remove(kind);
        if (served == Served.NO) {
          unserved.add(kind);
        } else {
          LOG.info("{} can be listed now; watching it", kind.apiVersion() + "/" + kind.kind());
          CompletableFuture.allOf(inform(kind).toArray(CompletableFuture[]::new))
              .thenRun(this::completeOnceListed);
        }
      } catch (RuntimeException e) {
        LOG.warn("cannot check whether {} can be listed: {}", kind.kind(), e.toString());
      }
    }
    completeOnceListed();
    if (unserved.isEmpty() && unlisted.isEmpty() && completeDelivered.get()) {
      crdCheck.shutdown();
    }
  }

  /** After an incomplete start-up: the whole state, once every kind is listed. */
  private void completeOnceListed() {
    if (completeDelivered.get()
        || !unlisted.isEmpty()
        || !informers.stream().allMatch(SharedIndexInformer::hasSynced)
        || !completeDelivered.compareAndSet(false, true)) {
      return;
    }
    try {
      events.execute(this::completeDelivery);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  /**
   * The informers' caches, delivered whole: objects a missed event would have left behind go, and
   * the sink may now tombstone what the cluster no longer holds.
   */
  private void completeDelivery() {
    Set<ResourceKey> listed = new java.util.HashSet<>();
    for (SharedIndexInformer<GenericKubernetesResource> informer : informers) {
      WatchedKind kind = kindOf.get(informer);
      for (GenericKubernetesResource obj : informer.getStore().list()) {
        listed.add(store(kind, obj, false));
      }
    }
    // Gone from every cache: deleted (its delete event is on its way).
    objects.keySet().retainAll(listed);
    Set<ResourceKey> keys = new java.util.LinkedHashSet<>(objects.keySet());
    keys.addAll(delivered.keySet());
    for (ResourceKey key : keys) {
      evaluate(key);
    }
    LOG.info("every kind is listed now: {} objects delivered, complete=true", delivered.size());
    sink.resync(new LinkedHashMap<>(delivered), true);
  }

  /** The kinds not served at start-up and not yet found since (tests, diagnostics). */
  public List<WatchedKind> unservedKinds() {
    return List.copyOf(unserved);
  }

  private enum Served {
    YES,
    NO,
    UNKNOWN
  }

  /** Whether the cluster serves a kind: a one-item list tells without discovery. */
  private Served served(WatchedKind kind) {
    try {
      var op = client.genericKubernetesResources(kind.context());
      // With a namespace list the service account may hold only Roles in those namespaces
      // (the chart's Role mode), so probe in the first of them, never cluster-wide.
      String ns = namespacesFor(kind).get(0);
      (ns != null ? op.inNamespace(ns) : kind.namespaced() ? op.inAnyNamespace() : op)
          .list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build());
      return Served.YES;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
        if (!kind.optional()) {
          LOG.error(
              "{} is not served: is its CRD installed? It is watched as soon as it is served",
              kind.kind());
        }
        return Served.NO;
      }
      LOG.error("cannot list {}: {}", kind.kind(), e.getMessage());
      return Served.UNKNOWN;
    }
  }

  private List<String> namespacesFor(WatchedKind kind) {
    if (!kind.namespaced() || settings.namespaces().isEmpty()) {
      return java.util.Collections.singletonList(null);
    }
    return settings.namespaces();
  }

  private ResourceEventHandler<GenericKubernetesResource> handler(WatchedKind kind) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource obj) {
        enqueue(kind, "add", obj, false);
      }

      @Override
      public void onUpdate(GenericKubernetesResource oldObj, GenericKubernetesResource newObj) {
        // The same resourceVersion is the informer's periodic resync, not a change.
        boolean resync =
            Objects.equals(
                oldObj.getMetadata().getResourceVersion(),
                newObj.getMetadata().getResourceVersion());
        enqueue(kind, resync ? "resync" : "update", newObj, false);
      }

      @Override
      public void onDelete(GenericKubernetesResource obj, boolean deletedFinalStateUnknown) {
        enqueue(kind, "delete", obj, true);
      }
    };
  }

  private void enqueue(WatchedKind kind, String type, GenericKubernetesResource obj, boolean gone) {
    Counter.builder("eg4j.watcher.informer.events")
        .description("Events the Kubernetes informers delivered")
        .tag("kind", kind.kind())
        .tag("type", type)
        .register(meters)
        .increment();
    long received = System.nanoTime();
    queued.incrementAndGet();
    events.execute(
        () -> {
          try {
            if (started) {
              handle(kind, obj, gone, type.equals("resync"));
              flush();
            }
          } catch (RuntimeException e) {
            // Whatever one object does, the stream goes on.
            LOG.error("event for {} {} not handled: {}", kind.kind(), name(obj), e.toString(), e);
          } finally {
            queued.decrementAndGet();
            lag.record(System.nanoTime() - received, TimeUnit.NANOSECONDS);
          }
        });
  }

  /** Builds the state from the informers' caches and delivers it whole. */
  private void initialDelivery(boolean complete) {
    for (SharedIndexInformer<GenericKubernetesResource> informer : informers) {
      WatchedKind kind = kindOf.get(informer);
      for (GenericKubernetesResource obj : informer.getStore().list()) {
        store(kind, obj, false);
      }
    }
    for (ResourceKey key : List.copyOf(objects.keySet())) {
      evaluate(key);
    }
    Map<ResourceKey, ObjectNode> all = new LinkedHashMap<>(delivered);
    LOG.info("initial state: {} objects delivered, complete={}", all.size(), complete);
    sink.resync(all, complete);
    completeDelivered.set(complete);
    started = true;
  }

  private void handle(
      WatchedKind kind, GenericKubernetesResource obj, boolean gone, boolean resync) {
    ResourceKey key = store(kind, obj, gone);
    if (key == null) {
      return;
    }
    evaluate(key);
    if (resync && delivered.containsKey(key)) {
      // Hand it over again: a publish that failed earlier is retried now, and the sink skips
      // what the topic already holds (content hash).
      deliverUpsert(key, delivered.get(key));
    }
    if (kind.group().isEmpty() && kind.kind().equals("Namespace")) {
      // The namespace's labels may have changed: everything in it is re-evaluated.
      for (ResourceKey k : List.copyOf(objects.keySet())) {
        if (k.namespace().equals(key.name())) {
          evaluate(k);
        }
      }
    }
  }

  /** Records the object (or its absence); returns its key. */
  private ResourceKey store(WatchedKind kind, GenericKubernetesResource obj, boolean gone) {
    String ns = obj.getMetadata().getNamespace();
    ResourceKey key =
        new ResourceKey(kind.group(), kind.kind(), kind.namespaced() ? ns : "", name(obj));
    if (gone) {
      objects.remove(key);
      if (invalid.remove(key) != null && invalidStatuses instanceof StatusPublisher p) {
        // The status published for the unreadable object goes with it; the translator never
        // knew the key, so it would not tombstone it.
        p.tombstone(key);
      }
      return key;
    }
    JsonNode raw = Json.MAPPER.valueToTree(obj);
    ObjectNode cleaned = clean(kind, raw);
    // The check reads what is published: the status eg4j writes itself is not the user's input.
    String error = modelError(kind, cleaned);
    if (error != null) {
      // Reported once per generation, and only where eg4j is asked to look.
      long generation = raw.path("metadata").path("generation").asLong(0);
      Long reported = invalid.put(key, generation);
      if ((reported == null || reported != generation) && namespaceSelected(key)) {
        reportInvalid(kind, key, raw, error);
      }
      // An unreadable object has no effect: the translator sees it as absent.
      objects.remove(key);
      return key;
    }
    invalid.remove(key);
    objects.put(key, cleaned);
    return key;
  }

  private void reportInvalid(WatchedKind kind, ResourceKey key, JsonNode raw, String error) {
    MDC.put("resource", key.toString());
    try {
      LOG.error("{} cannot be read by the model and is ignored: {}", key, error);
      Counter.builder("eg4j.watcher.invalid.objects")
          .description("Objects the API model cannot read (left out, with a status where possible)")
          .tag("kind", kind.kind())
          .register(meters)
          .increment();
      ResourceStatus status = InvalidObjectStatus.of(kind, raw, error, settings.controllerName());
      if (status != null) {
        invalidStatuses.accept(status);
      }
    } finally {
      MDC.remove("resource");
    }
  }

  /** Why the model cannot read the object, or null when it can. */
  static String modelError(WatchedKind kind, JsonNode raw) {
    if (kind.modelClass() == null) {
      return null;
    }
    try {
      Json.MAPPER.treeToValue(raw, Class.forName(kind.modelClass()));
      return null;
    } catch (ClassNotFoundException
        | com.fasterxml.jackson.databind.exc.InvalidDefinitionException e) {
      // A model this build lacks, or a type our mapper has no handler for (java.time): a limit of
      // ours, not an error in the object.
      return null;
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      // The field first, so the user knows where to look: "spec.rules[0].matches[0].path.type:
      // Cannot deserialize value ... not one of the values accepted for Enum class: [...]".
      String path = fieldPath(e.getPath());
      String m = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
      int nl = m.indexOf('\n');
      m = nl > 0 ? m.substring(0, nl) : m;
      return path.isEmpty() ? m : path + ": " + m;
    } catch (Exception e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage();
      int nl = m.indexOf('\n');
      return nl > 0 ? m.substring(0, nl) : m;
    }
  }

  /** {@code spec.rules[0].matches[1].path.type} from Jackson's reference chain. */
  static String fieldPath(
      List<com.fasterxml.jackson.databind.JsonMappingException.Reference> refs) {
    StringBuilder b = new StringBuilder();
    for (var r : refs) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  /** Drops what changes without the user changing anything, and what eg4j itself writes. */
  static ObjectNode clean(WatchedKind kind, JsonNode raw) {
    ObjectNode o = raw.deepCopy();
    ObjectNode meta = (ObjectNode) o.path("metadata");
    meta.remove("managedFields");
    meta.remove("resourceVersion");
    JsonNode annotations = meta.path("annotations");
    if (annotations.isObject()) {
      ((ObjectNode) annotations).remove("kubectl.kubernetes.io/last-applied-configuration");
      if (annotations.isEmpty()) {
        meta.remove("annotations");
      }
    }
    if (kind.group().equals(WatchedKind.GATEWAY_API)
        || kind.group().equals(WatchedKind.ENVOY_GATEWAY)) {
      o.remove("status");
    }
    if (!o.has("apiVersion")) {
      o.put("apiVersion", kind.apiVersion());
    }
    if (!o.has("kind")) {
      o.put("kind", kind.kind());
    }
    return o;
  }

  /** Decides whether the key belongs on the bus now, and delivers the difference. */
  private void evaluate(ResourceKey key) {
    ObjectNode obj = objects.get(key);
    boolean want =
        obj != null
            && (settings.controllerSecret(key)
                || (namespaceSelected(key)
                    && (!referencedOnly(key) || refCount.getOrDefault(key, 0) > 0)));
    if (!referencedOnly(key)) {
      updateRefs(key, want ? SecretReferences.of(obj) : Set.of());
    }
    ObjectNode before = delivered.get(key);
    if (want) {
      if (!obj.equals(before)) {
        delivered.put(key, obj);
        deliverUpsert(key, obj);
      }
    } else if (before != null) {
      delivered.remove(key);
      deliverDelete(key);
    }
  }

  private void updateRefs(ResourceKey referrer, Set<ResourceKey> now) {
    Set<ResourceKey> old = activeRefs.getOrDefault(referrer, Set.of());
    if (old.equals(now)) {
      return;
    }
    if (now.isEmpty()) {
      activeRefs.remove(referrer);
    } else {
      activeRefs.put(referrer, now);
    }
    for (ResourceKey r : old) {
      if (!now.contains(r)) {
        refCount.computeIfPresent(r, (k, n) -> n <= 1 ? null : n - 1);
        evaluate(r);
      }
    }
    for (ResourceKey r : now) {
      if (!old.contains(r)) {
        refCount.merge(r, 1, Integer::sum);
        evaluate(r);
      }
    }
  }

  private static boolean referencedOnly(ResourceKey key) {
    return key.group().isEmpty() && (key.kind().equals("Secret") || key.kind().equals("ConfigMap"));
  }

  private boolean namespaceSelected(ResourceKey key) {
    String ns = key.namespace();
    if (key.group().isEmpty() && key.kind().equals("Namespace")) {
      ns = key.name();
    } else if (ns.isEmpty()) {
      return true;
    }
    if (!settings.namespaces().isEmpty() && !settings.namespaces().contains(ns)) {
      return false;
    }
    if (selector == null) {
      return true;
    }
    ObjectNode nsObj = objects.get(new ResourceKey("", "Namespace", "", ns));
    if (nsObj == null) {
      return false;
    }
    Map<String, String> labels = new HashMap<>();
    nsObj
        .path("metadata")
        .path("labels")
        .fields()
        .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    return selector.test(labels);
  }

  private void deliverUpsert(ResourceKey key, ObjectNode obj) {
    if (!eventSink) {
      resyncPending = true;
      return;
    }
    try {
      sink.upsert(key, obj);
    } catch (UnsupportedOperationException e) {
      // A sink that takes only full states gets one after each batch of events.
      eventSink = false;
      resyncPending = true;
    }
  }

  private void deliverDelete(ResourceKey key) {
    if (!eventSink) {
      resyncPending = true;
      return;
    }
    try {
      sink.delete(key);
    } catch (UnsupportedOperationException e) {
      eventSink = false;
      resyncPending = true;
    }
  }

  /** For a full-state sink: deliver once the queue is drained, so a burst costs one resync. */
  private void flush() {
    if (resyncPending && queued.get() <= 1) {
      resyncPending = false;
      sink.resync(new LinkedHashMap<>(delivered), true);
    }
  }

  private static String name(GenericKubernetesResource obj) {
    return obj.getMetadata() == null ? "" : obj.getMetadata().getName();
  }

  /** The keys delivered now (tests, diagnostics); safe from any thread. */
  public Set<ResourceKey> deliveredKeys() {
    try {
      return events.submit(() -> Set.copyOf(delivered.keySet())).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Set.of();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  @Override
  public void close() {
    crdCheck.shutdownNow();
    informers.forEach(SharedIndexInformer::close);
    informers.clear();
    events.shutdownNow();
  }
}
