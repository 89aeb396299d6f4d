package io.eg4j.xds.core;

import com.google.common.collect.ImmutableMap;
import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.VersionedResource;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Sends a cluster that Envoy warms its endpoints again on delta ADS, even when they did not change.
 *
 * <p>Envoy keeps an updated EDS cluster warming until it is sent the cluster's
 * ClusterLoadAssignment. On state-of-the-world Envoy asks for the assignments again after every
 * cluster update and java-control-plane answers; on delta Envoy asks nothing (the assignment's name
 * stays subscribed), and a server that only sends what changed sends nothing, so the cluster warms
 * until Envoy's EDS fetch times out (15 s) and the old cluster serves until then.
 *
 * <p>This wraps the cache's {@link ConfigWatcher} on delta streams. When a cluster response carries
 * an EDS cluster that Envoy held before (an update), or whose assignment Envoy already holds, the
 * assignment's name is <em>owed</em> to the stream. Right after the cluster response is sent, an
 * open endpoint watch of the stream is replaced by one that lists the owed names as pending, which
 * java-control-plane's cache answers with those assignments whatever their version; when no
 * endpoint watch is open (a response awaits its ACK), the next one lists them. Only names the
 * stream holds are listed (a watch is made only when no response of its type awaits an ACK, so what
 * the stream holds is what its watch tracks). A name stops being owed once an endpoint response
 * carries it or Envoy unsubscribes from it. The server's watch is a handle whose cancellation
 * cancels whichever cache watch answers it at the time.
 *
 * <p>It must also be registered as a {@link DiscoveryServerCallbacks}: java-control-plane runs the
 * request callbacks on the thread that then creates the watch, which is how a watch learns its
 * stream.
 */
public final class DeltaClusterWarming implements ConfigWatcher, DiscoveryServerCallbacks {
  private final ConfigWatcher delegate;
  private final Map<Long, StreamState> streams = new ConcurrentHashMap<>();
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();

  /**
   * @param delegate the snapshot cache that answers the watches
   */
  public DeltaClusterWarming(ConfigWatcher delegate) {
    this.delegate = delegate;
  }

  @Override
  public Watch createWatch(
      boolean ads,
      XdsRequest request,
      Set<String> knownResourceNames,
      Consumer<Response> responseConsumer,
      boolean hasClusterChanged,
      boolean allowDefaultEmptyEdsUpdate) {
    // State of the world: Envoy asks for the endpoints after each cluster update itself.
    currentStream.remove();
    return delegate.createWatch(
        ads,
        request,
        knownResourceNames,
        responseConsumer,
        hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(
      DeltaXdsRequest request,
      String requesterVersion,
      Map<String, String> resourceVersions,
      Set<String> pendingResources,
      boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer,
      boolean hasClusterChanged) {
    Long id = currentStream.get();
    currentStream.remove();
    StreamState stream = id == null ? null : streams.computeIfAbsent(id, k -> new StreamState());
    String type = request.getTypeUrl();
    if (stream == null
        || !(Resources.V3.CLUSTER_TYPE_URL.equals(type)
            || Resources.V3.ENDPOINT_TYPE_URL.equals(type))) {
      return delegate.createDeltaWatch(
          request,
          requesterVersion,
          resourceVersions,
          pendingResources,
          isWildcard,
          responseConsumer,
          hasClusterChanged);
    }
    // An immutable copy: read later on the thread that answers the watch, and the cache keeps it
    // as it is (ImmutableMap.copyOf of an ImmutableMap copies nothing).
    Map<String, String> tracked = ImmutableMap.copyOf(resourceVersions);
    if (Resources.V3.CLUSTER_TYPE_URL.equals(type)) {
      return delegate.createDeltaWatch(
          request,
          requesterVersion,
          tracked,
          pendingResources,
          isWildcard,
          r -> clustersSent(stream, tracked, r, responseConsumer),
          hasClusterChanged);
    }
    synchronized (stream) {
      EndpointWatch w =
          new EndpointWatch(
              request,
              requesterVersion,
              tracked,
              Set.copyOf(pendingResources),
              isWildcard,
              hasClusterChanged,
              responseConsumer);
      stream.endpoints = w;
      DeltaWatch handle =
          new DeltaWatch(
              request, tracked, w.pending, requesterVersion, isWildcard, responseConsumer);
      handle.setStop(() -> closeEndpointWatch(stream, w));
      w.current = watchEndpoints(stream, w);
      return handle;
    }
  }

  /** A cluster response: note what it makes owed, send it, then send what is owed. */
  private void clustersSent(
      StreamState stream,
      Map<String, String> trackedClusters,
      DeltaResponse r,
      Consumer<DeltaResponse> out) {
    synchronized (stream) {
      for (Map.Entry<String, VersionedResource<?>> e : r.resources().entrySet()) {
        if (!(e.getValue().resource() instanceof Cluster c)
            || c.getType() != Cluster.DiscoveryType.EDS) {
          continue;
        }
        String assignment =
            c.getEdsClusterConfig().getServiceName().isEmpty()
                ? c.getName()
                : c.getEdsClusterConfig().getServiceName();
        if (trackedClusters.containsKey(e.getKey()) || stream.holds(assignment)) {
          stream.owed.add(assignment);
        }
      }
      // The cluster first: Envoy must be warming it when its endpoints arrive.
      out.accept(r);
      EndpointWatch w = stream.endpoints;
      if (w != null
          && !w.closed
          && !w.answered
          && stream.owed.stream().anyMatch(w.tracked::containsKey)) {
        w.current.cancel();
        w.current = watchEndpoints(stream, w);
      }
    }
  }

  /** A watch of the cache for an endpoint watch, with what is owed listed as pending. */
  private DeltaWatch watchEndpoints(StreamState stream, EndpointWatch w) {
    Set<String> pending = w.pending;
    for (String name : stream.owed) {
      if (w.tracked.containsKey(name) && !pending.contains(name)) {
        if (pending == w.pending) {
          pending = new LinkedHashSet<>(w.pending);
        }
        pending.add(name);
      }
    }
    int generation = ++w.generation;
    return delegate.createDeltaWatch(
        w.request,
        w.requesterVersion,
        w.tracked,
        pending,
        w.wildcard,
        r -> endpointsSent(stream, w, generation, r),
        w.hasClusterChanged);
  }

  private void endpointsSent(StreamState stream, EndpointWatch w, int generation, DeltaResponse r) {
    synchronized (stream) {
      // A replaced watch answering late is dropped: its replacement, made against the same or a
      // newer snapshot, sends at least as much. So is one the server no longer waits on.
      if (w.closed || w.answered || generation != w.generation) {
        return;
      }
      w.answered = true;
      stream.owed.removeAll(r.resources().keySet());
      stream.sent.addAll(r.resources().keySet());
      r.removedResources().forEach(stream.sent::remove);
      w.out.accept(r);
    }
  }

  private static void closeEndpointWatch(StreamState stream, EndpointWatch w) {
    synchronized (stream) {
      w.closed = true;
      if (w.current != null) {
        w.current.cancel();
      }
    }
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    currentStream.set(streamId);
    if (Resources.V3.ENDPOINT_TYPE_URL.equals(request.getTypeUrl())
        && request.getResourceNamesUnsubscribeCount() > 0) {
      StreamState stream = streams.get(streamId);
      if (stream != null) {
        synchronized (stream) {
          request.getResourceNamesUnsubscribeList().forEach(stream.owed::remove);
          request.getResourceNamesUnsubscribeList().forEach(stream.sent::remove);
        }
      }
    }
  }

  @Override
  public void onV3StreamRequest(
      long streamId, io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest request) {
    currentStream.remove();
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    streams.remove(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    streams.remove(streamId);
  }

  /** What one delta stream was sent and is owed; guarded by its own monitor. */
  private static final class StreamState {
    /** Assignment names sent on this stream and neither removed nor unsubscribed since. */
    final Set<String> sent = new HashSet<>();

    /** Assignment names to send again, whatever their version. */
    final Set<String> owed = new LinkedHashSet<>();

    /** The endpoint watch the server last created for this stream. */
    EndpointWatch endpoints;

    boolean holds(String assignment) {
      return sent.contains(assignment)
          || (endpoints != null && endpoints.tracked.containsKey(assignment));
    }
  }

  /** One endpoint watch of the server, answered by one cache watch at a time. */
  private static final class EndpointWatch {
    final DeltaXdsRequest request;
    final String requesterVersion;
    final Map<String, String> tracked;
    final Set<String> pending;
    final boolean wildcard;
    final boolean hasClusterChanged;
    final Consumer<DeltaResponse> out;
    DeltaWatch current;
    int generation;
    boolean answered;
    boolean closed;

    EndpointWatch(
        DeltaXdsRequest request,
        String requesterVersion,
        Map<String, String> tracked,
        Set<String> pending,
        boolean wildcard,
        boolean hasClusterChanged,
        Consumer<DeltaResponse> out) {
      this.request = request;
      this.requesterVersion = requesterVersion;
      this.tracked = tracked;
      this.pending = pending;
      this.wildcard = wildcard;
      this.hasClusterChanged = hasClusterChanged;
      this.out = out;
    }
  }
}
