package io.eg4j.xds.core;

import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One xDS snapshot per IR key (node cluster = IR key), with make-before-break updates (DESIGN.md
 * invariant 4).
 *
 * <p>Every version is a hash of content, so replicas fed the same IR serve the same versions, and
 * an IR whose resources did not change causes no push (invariant 3). An update walks from what is
 * served to what is desired in steps, each waiting until every connected Envoy of the key has
 * acknowledged the previous one (or a timeout passes; a change that comes meanwhile waits too):
 *
 * <ol>
 *   <li>new clusters and their endpoints are added while listeners and routes stay as they were;
 *   <li>listeners, routes and secrets switch, old clusters still present;
 *   <li>clusters nothing uses any more are removed.
 * </ol>
 *
 * Steps that change nothing are skipped, so a pure endpoint or route change is one push.
 */
public final class XdsSnapshots implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XdsSnapshots.class);

  private final SimpleCache<String> cache = new SimpleCache<>(node -> node.getCluster());
  private final XdsTranslator translator = new XdsTranslator();
  private final XdsEvents events;
  private final Duration stepTimeout;
  private final Map<String, KeyState> keys = new ConcurrentHashMap<>();
  private final Map<Long, StreamState> streams = new ConcurrentHashMap<>();
  // "irKey|typeUrl" -> when Envoy last rejected it and the last version reported accepted since:
  // for RECOVERY_WINDOW after a NACK, each newly accepted version of that type is reported
  // (XdsEvents.recovered), so the translator learns when a withheld listener it retries binds.
  private final Map<String, RecentNack> recentNacks = new ConcurrentHashMap<>();
  private static final long RECOVERY_WINDOW_NANOS = Duration.ofMinutes(30).toNanos();
  private static final int MAX_RECENT_NACKS = 10_000;
  private final ScheduledExecutorService stepper;
  private final boolean exclusivePorts;

  /**
   * @param events where pushes, NACKs and connection counts are reported
   * @param stepTimeout how long a make-before-break step waits for Envoy's ACKs at most
   */
  public XdsSnapshots(XdsEvents events, Duration stepTimeout) {
    this(events, stepTimeout, false);
  }

  /**
   * @param events where pushes, NACKs and connection counts are reported
   * @param stepTimeout how long a make-before-break step waits for Envoy's ACKs at most
   * @param exclusivePorts TCP listeners bind without {@code SO_REUSEPORT}: where proxies share one
   *     host (standalone mode), a port another process already serves is then refused to the second
   *     proxy (a NACK, reported on the Gateway) instead of the kernel silently splitting
   *     connections between the two
   */
  public XdsSnapshots(XdsEvents events, Duration stepTimeout, boolean exclusivePorts) {
    this.events = Objects.requireNonNull(events);
    this.stepTimeout = stepTimeout;
    this.exclusivePorts = exclusivePorts;
    this.stepper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "eg4j-xds-snapshots");
              t.setDaemon(true);
              return t;
            });
  }

  private volatile java.util.function.UnaryOperator<XdsIr> irRewrite = ir -> ir;

  /** Rewrites every IR before it is translated (the Wasm module cache points modules at itself). */
  public void rewriteIrWith(java.util.function.UnaryOperator<XdsIr> rewrite) {
    this.irRewrite = Objects.requireNonNull(rewrite);
  }

  /** The cache the discovery server reads. */
  public SimpleCache<String> cache() {
    return cache;
  }

  /**
   * Sets the desired state of an IR key. Returns false, and pushes nothing, when the resulting
   * resources are the ones already desired.
   */
  public boolean update(XdsIr ir) {
    return update(ir, null);
  }

  /**
   * As {@link #update(XdsIr)}, and reports the EnvoyPatchPolicy outcomes of the IR ({@link
   * XdsEvents#patchOutcomes}) tied to {@code irHash}: the {@code contentHash} of the IR's envelope,
   * or, when null, the content hash of the IR as the translator publishes it.
   */
  public boolean update(XdsIr ir, String irHash) {
    java.util.List<io.eg4j.model.status.EnvoyPatchOutcomes.Policy> outcomes =
        new java.util.ArrayList<>();
    XdsResources r = translator.translate(irRewrite.apply(ir), outcomes);
    if (ir.jsonPatches().isEmpty()) {
      events.patchOutcomes(ir.key(), null);
    } else {
      String hash =
          irHash != null
              ? irHash
              : io.eg4j.model.bus.ContentHash.of(io.eg4j.model.bus.Json.MAPPER.valueToTree(ir));
      events.patchOutcomes(
          ir.key(), new io.eg4j.model.status.EnvoyPatchOutcomes(ir.key(), hash, outcomes));
    }
    return update(ir.key(), exclusivePorts ? exclusivePorts(r) : r);
  }

  /** The resources with every TCP listener bound without {@code SO_REUSEPORT}. */
  static XdsResources exclusivePorts(XdsResources r) {
    return new XdsResources(
        r.listeners().stream()
            .map(
                l ->
                    l.getAddress().getSocketAddress().getProtocol()
                            == io.envoyproxy.envoy.config.core.v3.SocketAddress.Protocol.UDP
                        ? l
                        : l.toBuilder()
                            .setEnableReusePort(com.google.protobuf.BoolValue.of(false))
                            .build())
            .toList(),
        r.routes(),
        r.clusters(),
        r.endpoints(),
        r.secrets());
  }

  /** Sets the desired resources of an IR key; see {@link #update(XdsIr)}. */
  public boolean update(String key, XdsResources desired) {
    KeyState state = keys.computeIfAbsent(key, k -> new KeyState());
    XdsResources before;
    synchronized (state) {
      before = state.desired;
    }
    desired = reuseUnchanged(desired, before);
    Versions v = Versions.of(desired);
    long c;
    synchronized (state) {
      if (state.desired != null && state.desiredVersions.equals(v)) {
        return false;
      }
      state.desired = desired;
      state.desiredVersions = v;
      if (state.rejected) {
        // Envoy refused the step that was waited on and keeps what it had: start afresh.
        state.waitUntilNanos = 0;
        state.waitFor = Map.of();
        state.rejected = false;
      }
      // Otherwise a step still waiting for Envoy's ACKs goes on waiting (until they come or the
      // step timeout): the clusters it added may still be warming, and the next step may point
      // routes at them, which Envoy would answer with 503 until they are warm.
      c = ++state.chain;
    }
    stepper.execute(() -> advance(key, c));
    return true;
  }

  /**
   * The fresh resources, each one equal to a resource of {@code before} (same name, same content)
   * replaced by that earlier instance. Hashes and the serialized form sent to Envoy are remembered
   * per instance ({@link Protos#hash}, java-control-plane's cached serializer), so a change to one
   * route of thousands hashes and serializes the resources that changed, not all of them again:
   * comparing two messages costs far less than encoding and hashing one.
   */
  static XdsResources reuseUnchanged(XdsResources fresh, XdsResources before) {
    if (before == null) {
      return fresh;
    }
    return new XdsResources(
        reuse(fresh.listeners(), before.listeners(), Listener::getName),
        reuse(fresh.routes(), before.routes(), RouteConfiguration::getName),
        reuse(fresh.clusters(), before.clusters(), Cluster::getName),
        reuse(fresh.endpoints(), before.endpoints(), ClusterLoadAssignment::getClusterName),
        reuse(fresh.secrets(), before.secrets(), Secret::getName));
  }

  private static <T> List<T> reuse(List<T> fresh, List<T> before, Function<T, String> name) {
    if (before.isEmpty()) {
      return fresh;
    }
    Map<String, T> old = new java.util.HashMap<>(before.size() * 2);
    before.forEach(x -> old.put(name.apply(x), x));
    List<T> out = new java.util.ArrayList<>(fresh.size());
    for (T x : fresh) {
      T o = old.get(name.apply(x));
      out.add(o != null && o.equals(x) ? o : x);
    }
    return out;
  }

  /**
   * Forgets an IR key (its Gateway is gone). Envoys still connected keep their last configuration:
   * an empty push would only break traffic that is about to stop anyway.
   */
  public void remove(String key) {
    keys.remove(key);
    translator.forget(key);
    events.patchOutcomes(key, null);
    if (!cache.clearSnapshot(key)) {
      log.debug("snapshot of {} kept: Envoys are still watching it", key);
    }
  }

  /** The content version of what is desired for a key, or null. */
  public String desiredVersion(String key) {
    KeyState s = keys.get(key);
    return s == null || s.desiredVersions == null ? null : s.desiredVersions.combined();
  }

  /** True when what is served for a key is what is desired (no step pending). */
  public boolean settled(String key) {
    KeyState s = keys.get(key);
    if (s == null) {
      return true;
    }
    synchronized (s) {
      return s.desiredVersions != null && s.desiredVersions.equals(s.servedVersions);
    }
  }

  /** The IR keys with a desired state. */
  public Set<String> keys() {
    return Set.copyOf(keys.keySet());
  }

  /** The number of open xDS streams. */
  public int connectedStreams() {
    return streams.size();
  }

  /**
   * The ADS discovery server over this component's cache and callbacks. Resources are serialized
   * once, for their content hash, and the same bytes are sent to every stream ({@link
   * Protos#packed}): one route change fans out to hundreds of Envoys without hundreds of
   * serializations, and without a second one for the version. A delta stream that declares {@code
   * initial_resource_versions} is sent only what differs ({@link DeltaResumption}), and a delta
   * stream whose cluster is updated is sent that cluster's endpoints again ({@link
   * DeltaClusterWarming}).
   */
  public static io.envoyproxy.controlplane.server.V3DiscoveryServer discoveryServer(
      XdsSnapshots snapshots) {
    // Delta streams resume from the versions Envoy declares (initial_resource_versions), and an
    // updated cluster is sent its endpoints so that it does not stay warming.
    DeltaClusterWarming warming = new DeltaClusterWarming(snapshots.cache());
    DeltaResumption resumption = new DeltaResumption(warming);
    return new io.envoyproxy.controlplane.server.V3DiscoveryServer(
        java.util.List.of(resumption, warming, snapshots.callbacks()),
        resumption,
        new io.envoyproxy.controlplane.server.DefaultExecutorGroup(),
        new Protos.PackedSerializer());
  }

  /** Callbacks for the discovery server: stream counting, ACK tracking and NACK reporting. */
  public DiscoveryServerCallbacks callbacks() {
    return new Callbacks();
  }

  @Override
  public void close() {
    stepper.shutdownNow();
  }

  // ---------------------------------------------------------------------------------------------
  // make-before-break steps

  /**
   * One make-before-break step. The scheduled advance of a step keeps polling for the ACKs it waits
   * for (every 10 ms, until the step timeout), as long as no newer chain started ({@code chain} is
   * the key's chain when it was scheduled); an ACK also advances at once ({@code chain} -1), so a
   * step does not wait for the next poll, and starts no polling chain of its own.
   */
  private void advance(String key, long chain) {
    try {
      step(key, chain);
    } catch (RuntimeException e) {
      // A failed step must not kill the stepper thread; the next update tries again.
      log.error("xDS {}: cannot set snapshot", key, e);
    }
  }

  /** An ACK arrived from a stream of {@code group}: advance its key if a step waits for ACKs. */
  private void ackArrived(String group) {
    KeyState state = group == null ? null : keys.get(group);
    if (state != null && !state.waitFor.isEmpty()) {
      stepper.execute(() -> advance(group, -1));
    }
  }

  private void step(String key, long chain) {
    KeyState state = keys.get(key);
    if (state == null) {
      return;
    }
    synchronized (state) {
      if (state.desired == null || (chain >= 0 && chain != state.chain)) {
        return;
      }
      if (!state.waitFor.isEmpty() && !acked(key, state.waitFor)) {
        if (chain < 0) {
          // Not every ACK is in yet: the polling chain goes on.
          return;
        }
        if (state.rejected) {
          // Envoy refused this step and still uses the previous one: removing what that one
          // needs would break live traffic. Hold until the next update.
          log.warn(
              "xDS {}: Envoy rejected step {}; holding until the next update", key, state.waitFor);
          return;
        }
        if (System.nanoTime() < state.waitUntilNanos) {
          long c = state.chain;
          stepper.schedule(() -> advance(key, c), 10, TimeUnit.MILLISECONDS);
          return;
        }
        log.warn("xDS {}: Envoy did not acknowledge {} in time; continuing", key, state.waitFor);
      }
      state.waitFor = Map.of();
      if (state.desiredVersions.equals(state.servedVersions)) {
        return;
      }
      Step step =
          nextStep(state.served, state.servedVersions, state.desired, state.desiredVersions);
      serve(key, state, step.resources(), step.versions());
      if (!state.desiredVersions.equals(state.servedVersions)) {
        state.waitFor = step.waitFor(state.servedVersions);
        state.waitUntilNanos = System.nanoTime() + stepTimeout.toNanos();
        long c = ++state.chain;
        stepper.execute(() -> advance(key, c));
      }
    }
  }

  /**
   * One step from what is served towards what is desired, the types Envoy must ACK, and the content
   * versions of the step's resources.
   */
  record Step(XdsResources resources, List<String> ackTypes, Versions versions) {
    Map<String, String> waitFor(Versions v) {
      Map<String, String> out = new LinkedHashMap<>();
      for (String t : ackTypes) {
        out.put(t, v.of(t));
      }
      return out;
    }
  }

  /** The next make-before-break step; pure, so it is tested on its own. */
  static Step nextStep(XdsResources served, XdsResources desired) {
    return nextStep(
        served, served == null ? null : Versions.of(served), desired, Versions.of(desired));
  }

  /**
   * The next make-before-break step, given the versions of what is served and desired: a step's
   * versions are taken from those where its lists are theirs, so only a list made for the step (a
   * union of served and desired clusters) is hashed again (issue #16: at a thousand routes, hashing
   * every list again was a quarter of the stepper's time, on the path from Envoy's CDS ACK to the
   * route switch).
   */
  static Step nextStep(
      XdsResources served,
      Versions servedVersions,
      XdsResources desired,
      Versions desiredVersions) {
    if (served == null) {
      // Nothing served yet: nothing can break.
      return new Step(desired, List.of(), desiredVersions);
    }
    Map<String, Cluster> servedClusters = byName(served.clusters(), Cluster::getName);
    boolean adds =
        desired.clusters().stream().anyMatch(c -> !servedClusters.containsKey(c.getName()));
    List<Cluster> clusters = union(desired.clusters(), served.clusters(), Cluster::getName);
    List<ClusterLoadAssignment> endpoints =
        union(desired.endpoints(), served.endpoints(), ClusterLoadAssignment::getClusterName);
    List<Secret> secrets = union(desired.secrets(), served.secrets(), Secret::getName);
    if (adds) {
      // 1. New clusters (and their endpoints, and new certificates) before anything uses them.
      // The CDS ACK is the signal that they are warm: over ADS, Envoy keeps CDS paused, its ACK
      // unsent, while any cluster warms (waits for its endpoints, its first DNS answer), and sends
      // it once the last one is warm. Waiting for the EDS ACK as well only adds the time the
      // server takes to read one more request of the stream (issue #16).
      XdsResources step =
          new XdsResources(served.listeners(), served.routes(), clusters, endpoints, secrets);
      return new Step(
          step,
          List.of(Resources.V3.CLUSTER_TYPE_URL),
          stepVersions(
              step, servedVersions, clusters, endpoints, secrets, desired, desiredVersions));
    }
    boolean frontChanges = !servedVersions.front().equals(desiredVersions.front());
    if (frontChanges && clusters.size() != desired.clusters().size()) {
      // 2. Switch listeners and routes while the old clusters are still there.
      XdsResources step =
          new XdsResources(desired.listeners(), desired.routes(), clusters, endpoints, secrets);
      return new Step(
          step,
          List.of(Resources.V3.LISTENER_TYPE_URL, Resources.V3.ROUTE_TYPE_URL),
          stepVersions(
              step, desiredVersions, clusters, endpoints, secrets, desired, desiredVersions));
    }
    // 3. Exactly the desired state: unused clusters and secrets go last.
    return new Step(desired, List.of(), desiredVersions);
  }

  /**
   * A step's versions: listeners and routes as in {@code front}; a back list (clusters, endpoints,
   * secrets) whose union added nothing is the desired list ({@link #union}) and keeps its known
   * version, and only one the step merged is hashed, from the step's own (sorted) list.
   */
  private static Versions stepVersions(
      XdsResources step,
      Versions front,
      List<Cluster> clusters,
      List<ClusterLoadAssignment> endpoints,
      List<Secret> secrets,
      XdsResources desired,
      Versions desiredVersions) {
    return new Versions(
        front.listeners(),
        front.routes(),
        clusters == desired.clusters()
            ? desiredVersions.clusters()
            : XdsResources.versionOf(step.clusters()),
        endpoints == desired.endpoints()
            ? desiredVersions.endpoints()
            : XdsResources.versionOf(step.endpoints()),
        secrets == desired.secrets()
            ? desiredVersions.secrets()
            : XdsResources.versionOf(step.secrets()));
  }

  private void serve(String key, KeyState state, XdsResources res, Versions v) {
    Snapshot snapshot = snapshot(res, v);
    cache.setSnapshot(key, snapshot);
    state.served = res;
    state.servedVersions = v;
    events.pushed(key, v.combined());
  }

  private static Snapshot snapshot(XdsResources res, Versions v) {
    return ContentSnapshot.of(res, v);
  }

  private static <T> Map<String, T> byName(List<T> list, Function<T, String> name) {
    Map<String, T> m = new LinkedHashMap<>();
    list.forEach(x -> m.put(name.apply(x), x));
    return m;
  }

  /**
   * The desired items plus served items whose names the desired list lacks: the desired list itself
   * when the served one adds nothing.
   */
  private static <T> List<T> union(List<T> desired, List<T> served, Function<T, String> name) {
    Map<String, T> m = byName(desired, name);
    int size = m.size();
    for (T s : served) {
      m.putIfAbsent(name.apply(s), s);
    }
    return m.size() == size && size == desired.size() ? desired : List.copyOf(m.values());
  }

  private boolean acked(String key, Map<String, String> waitFor) {
    for (StreamState s : streams.values()) {
      if (!key.equals(s.group)) {
        continue;
      }
      for (Map.Entry<String, String> e : waitFor.entrySet()) {
        // A stream that never asked for a type is not waiting for it.
        if (s.subscribed.contains(e.getKey()) && !e.getValue().equals(s.acked.get(e.getKey()))) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The content versions of one set of resources.
   *
   * @param listeners LDS version
   * @param routes RDS version
   * @param clusters CDS version
   * @param endpoints EDS version
   * @param secrets SDS version
   */
  record Versions(
      String listeners, String routes, String clusters, String endpoints, String secrets) {
    static Versions of(XdsResources r) {
      return new Versions(
          XdsResources.versionOf(r.listeners()),
          XdsResources.versionOf(r.routes()),
          XdsResources.versionOf(r.clusters()),
          XdsResources.versionOf(r.endpoints()),
          XdsResources.versionOf(r.secrets()));
    }

    String of(String typeUrl) {
      return switch (typeUrl) {
        case Resources.V3.LISTENER_TYPE_URL -> listeners;
        case Resources.V3.ROUTE_TYPE_URL -> routes;
        case Resources.V3.CLUSTER_TYPE_URL -> clusters;
        case Resources.V3.ENDPOINT_TYPE_URL -> endpoints;
        default -> secrets;
      };
    }

    String front() {
      return listeners + routes;
    }

    String combined() {
      return ContentVersions.combine(listeners, routes, clusters, endpoints, secrets);
    }
  }

  /** Hash helpers for combined versions. */
  static final class ContentVersions {
    private ContentVersions() {}

    static String combine(String... parts) {
      return io.eg4j.model.bus.ContentHash.sha256(String.join("/", parts)).substring(0, 32);
    }
  }

  private static final class KeyState {
    XdsResources desired;
    Versions desiredVersions;
    XdsResources served;
    Versions servedVersions;
    // Read without the lock by ackArrived: volatile.
    volatile Map<String, String> waitFor = Map.of();
    long waitUntilNanos;
    // The current polling chain: a scheduled advance of an older one stops.
    long chain;
    boolean rejected;
  }

  private static final class StreamState {
    volatile String group;
    volatile String nodeId = "";
    final Set<String> subscribed = ConcurrentHashMap.newKeySet();
    final Map<String, String> acked = new ConcurrentHashMap<>();
    final Map<String, String> deltaNonces = new ConcurrentHashMap<>();
  }

  private void rejected(String key) {
    KeyState state = key == null ? null : keys.get(key);
    if (state != null) {
      synchronized (state) {
        state.rejected = true;
      }
    }
  }

  private void nacked(String key, String typeUrl) {
    if (key == null) {
      return;
    }
    if (recentNacks.size() >= MAX_RECENT_NACKS) {
      long now = System.nanoTime();
      recentNacks.values().removeIf(t -> now - t.atNanos > RECOVERY_WINDOW_NANOS);
      if (recentNacks.size() >= MAX_RECENT_NACKS) {
        recentNacks.clear();
      }
    }
    recentNacks.put(key + "|" + typeUrl, new RecentNack(System.nanoTime()));
  }

  private static final class RecentNack {
    final long atNanos;
    volatile String reported;

    RecentNack(long atNanos) {
      this.atNanos = atNanos;
    }
  }

  /** An ACK: reported as a recovery when the type was rejected recently. */
  private void acked(StreamState s, String typeUrl, String version) {
    if (s.group == null) {
      return;
    }
    String k = s.group + "|" + typeUrl;
    RecentNack n = recentNacks.get(k);
    if (n == null) {
      return;
    }
    if (System.nanoTime() - n.atNanos > RECOVERY_WINDOW_NANOS) {
      recentNacks.remove(k, n);
      return;
    }
    if (!version.equals(n.reported)) {
      n.reported = version;
      events.recovered(s.group, typeUrl, version, s.nodeId);
    }
  }

  private final class Callbacks implements DiscoveryServerCallbacks {
    @Override
    public void onStreamOpen(long streamId, String typeUrl) {
      streams.put(streamId, new StreamState());
      events.connected(streams.size());
    }

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
      closed(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
      log.debug("xDS stream {} closed with error: {}", streamId, error.toString());
      closed(streamId);
    }

    private void closed(long streamId) {
      if (streams.remove(streamId) != null) {
        events.connected(streams.size());
      }
    }

    private StreamState stream(long streamId, io.envoyproxy.envoy.config.core.v3.Node node) {
      StreamState s = streams.computeIfAbsent(streamId, id -> new StreamState());
      // Envoy may send the node on the first request only (set_node_on_first_message_only).
      if (node != null && !node.getCluster().isEmpty()) {
        s.group = node.getCluster();
        s.nodeId = node.getId();
      }
      return s;
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
      StreamState s = stream(streamId, request.hasNode() ? request.getNode() : null);
      s.subscribed.add(request.getTypeUrl());
      if (request.hasErrorDetail()) {
        rejected(s.group);
        nacked(s.group, request.getTypeUrl());
        events.nack(
            s.group,
            request.getTypeUrl(),
            request.getVersionInfo(),
            request.getErrorDetail().getMessage(),
            s.nodeId);
      } else if (!request.getResponseNonce().isEmpty()) {
        s.acked.put(request.getTypeUrl(), request.getVersionInfo());
        acked(s, request.getTypeUrl(), request.getVersionInfo());
        ackArrived(s.group);
      }
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
      StreamState s = stream(streamId, request.hasNode() ? request.getNode() : null);
      s.subscribed.add(request.getTypeUrl());
      String version = s.deltaNonces.remove(request.getResponseNonce());
      if (request.hasErrorDetail()) {
        rejected(s.group);
        nacked(s.group, request.getTypeUrl());
        // As a state-of-the-world NACK does, name the last version this stream accepted, not the
        // rejected one: the translator counts a later acceptance of any other version as the
        // retried listener in place, and a retry re-sends the rejected version itself.
        events.nack(
            s.group,
            request.getTypeUrl(),
            s.acked.getOrDefault(request.getTypeUrl(), ""),
            request.getErrorDetail().getMessage(),
            s.nodeId);
      } else if (version != null) {
        s.acked.put(request.getTypeUrl(), version);
        acked(s, request.getTypeUrl(), version);
        ackArrived(s.group);
      }
    }

    @Override
    public void onV3StreamResponse(
        long streamId, DiscoveryRequest request, DiscoveryResponse response) {}

    @Override
    public void onV3StreamDeltaResponse(
        long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
      StreamState s = streams.get(streamId);
      if (s != null) {
        s.deltaNonces.put(response.getNonce(), response.getSystemVersionInfo());
      }
    }
  }
}
