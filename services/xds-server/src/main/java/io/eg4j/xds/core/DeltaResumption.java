package io.eg4j.xds.core;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Makes delta xDS honour {@code initial_resource_versions}: an Envoy that reconnects (to this or
 * another replica) is sent only what differs from what it already holds.
 *
 * <p>java-control-plane 1.0.49 starts every delta stream with empty tracked state, so its cache
 * re-sends everything on a reconnect. This wraps the cache's {@link ConfigWatcher}: for each stream
 * and type it remembers the versions the client declared on its first request ("known"), and hands
 * the cache {@code known ∪ tracked} as the client's resource versions, with known names left out of
 * the pending set. The cache's own diff then sends exactly the resources whose version differs and
 * lists as removed the known ones that no longer exist. A known name is forgotten once a response
 * sends or removes it (from then on the stream's own tracking covers it) or the client
 * unsubscribes.
 *
 * <p>For state of the world it stops the NACK loop: a NACK is answered as if the client held the
 * version it rejected, so it is sent the next change rather than the same rejected config again.
 * For delta likewise, as if the client held the rejected resources, and by content rather than by
 * version, so that a later return to the rejected content (a retry) is sent again.
 *
 * <p>It must also be registered as a {@link DiscoveryServerCallbacks}: java-control-plane runs the
 * request callbacks on the thread that then creates the watch, which is how a watch learns its
 * stream.
 */
public final class DeltaResumption implements ConfigWatcher, DiscoveryServerCallbacks {
  private final ConfigWatcher delegate;
  private final Map<Long, Map<String, Map<String, String>>> known = new ConcurrentHashMap<>();
  private final Map<Long, Map<String, Sent>> lastSent = new ConcurrentHashMap<>();
  private final Map<Long, Map<String, DeltaSent>> lastDeltaSent = new ConcurrentHashMap<>();
  private final ThreadLocal<Long> currentStream = new ThreadLocal<>();

  /**
   * @param delegate the snapshot cache that answers the watches
   */
  public DeltaResumption(ConfigWatcher delegate) {
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
    // State of the world already resumes by version_info. A NACK, though, carries the last version
    // the client accepted, so the cache would answer it at once with the very version it just
    // rejected, and again after every NACK: a hot loop until the config changes. Answer a NACK as
    // if the client held the rejected version: the next response is the next change.
    Long stream = currentStream.get();
    currentStream.remove();
    XdsRequest watched = request;
    if (stream != null && request.v3Request().hasErrorDetail()) {
      Sent sent = lastSent.getOrDefault(stream, Map.of()).get(request.getTypeUrl());
      if (sent != null && sent.nonce().equals(request.getResponseNonce())) {
        watched =
            XdsRequest.create(
                request.v3Request().toBuilder().setVersionInfo(sent.version()).build());
      }
    }
    return delegate.createWatch(
        ads,
        watched,
        knownResourceNames,
        responseConsumer,
        hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  /** The nonce and version of the last state-of-the-world response of a type on a stream. */
  private record Sent(String nonce, String version) {}

  @Override
  public DeltaWatch createDeltaWatch(
      DeltaXdsRequest request,
      String requesterVersion,
      Map<String, String> resourceVersions,
      Set<String> pendingResources,
      boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer,
      boolean hasClusterChanged) {
    Long stream = currentStream.get();
    currentStream.remove();
    Map<String, String> typeKnown =
        stream == null ? null : known.getOrDefault(stream, Map.of()).get(request.getTypeUrl());
    DeltaSent rejected = stream == null ? null : rejectedBy(stream, request);
    if (typeKnown == null && rejected == null) {
      return delegate.createDeltaWatch(
          request,
          requesterVersion,
          resourceVersions,
          pendingResources,
          isWildcard,
          responseConsumer,
          hasClusterChanged);
    }
    Map<String, String> tracked = new HashMap<>();
    Set<String> pending = new LinkedHashSet<>(pendingResources);
    if (typeKnown != null) {
      synchronized (typeKnown) {
        tracked.putAll(typeKnown);
        pending.removeAll(typeKnown.keySet());
      }
    }
    // What the stream itself tracked (ACKed on this stream) is newer than the declared versions.
    tracked.putAll(resourceVersions);
    String version = requesterVersion;
    if (rejected != null) {
      // A NACK. The cache would open the watch under the version it last sent, the rejected one,
      // and answer it only when the snapshot's version differs from that: a config that goes back
      // to the rejected content (a retry after the cause is gone) would never be sent again, since
      // a change in between that the client already holds answers nothing and leaves the watch on
      // that version. Instead the watch is opened under no version, as if the client held the
      // rejected resources: it is answered by content, with the next change, and never with the
      // same rejected resources at once (no NACK loop).
      tracked.putAll(rejected.resources());
      rejected.removed().forEach(tracked::remove);
      pending.removeAll(rejected.resources().keySet());
      version = "";
    }
    Consumer<DeltaResponse> consumer =
        typeKnown == null
            ? responseConsumer
            : r -> {
              synchronized (typeKnown) {
                typeKnown.keySet().removeAll(r.resources().keySet());
                r.removedResources().forEach(typeKnown::remove);
              }
              responseConsumer.accept(r);
            };
    return delegate.createDeltaWatch(
        request, version, tracked, pending, isWildcard, consumer, hasClusterChanged);
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    currentStream.set(streamId);
    Map<String, Map<String, String>> byType =
        known.computeIfAbsent(streamId, id -> new ConcurrentHashMap<>());
    if (request.getResponseNonce().isEmpty()
        && !request.getInitialResourceVersionsMap().isEmpty()
        && !byType.containsKey(request.getTypeUrl())) {
      // The first request of a type on a new stream: what the client held before it reconnected.
      byType.put(request.getTypeUrl(), new HashMap<>(request.getInitialResourceVersionsMap()));
    }
    Map<String, String> typeKnown = byType.get(request.getTypeUrl());
    if (typeKnown != null && request.getResourceNamesUnsubscribeCount() > 0) {
      synchronized (typeKnown) {
        request.getResourceNamesUnsubscribeList().forEach(typeKnown::remove);
      }
    }
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    currentStream.set(streamId);
  }

  /** The resources and versions of the last delta response of a type on a stream. */
  private record DeltaSent(String nonce, Map<String, String> resources, List<String> removed) {}

  /** The delta response a request rejects, or null when it is not a NACK of the last one. */
  private DeltaSent rejectedBy(long stream, DeltaXdsRequest request) {
    if (!request.hasErrorDetail()) {
      return null;
    }
    DeltaSent sent = lastDeltaSent.getOrDefault(stream, Map.of()).get(request.getTypeUrl());
    return sent != null && sent.nonce().equals(request.getResponseNonce()) ? sent : null;
  }

  @Override
  public void onV3StreamDeltaResponse(
      long streamId, DeltaDiscoveryRequest request, DeltaDiscoveryResponse response) {
    Map<String, String> resources = new HashMap<>();
    response.getResourcesList().forEach(r -> resources.put(r.getName(), r.getVersion()));
    lastDeltaSent
        .computeIfAbsent(streamId, id -> new ConcurrentHashMap<>())
        .put(
            response.getTypeUrl(),
            new DeltaSent(
                response.getNonce(), resources, List.copyOf(response.getRemovedResourcesList())));
  }

  @Override
  public void onV3StreamResponse(
      long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    lastSent
        .computeIfAbsent(streamId, id -> new ConcurrentHashMap<>())
        .put(response.getTypeUrl(), new Sent(response.getNonce(), response.getVersionInfo()));
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    known.remove(streamId);
    lastSent.remove(streamId);
    lastDeltaSent.remove(streamId);
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    known.remove(streamId);
    lastSent.remove(streamId);
    lastDeltaSent.remove(streamId);
  }
}
