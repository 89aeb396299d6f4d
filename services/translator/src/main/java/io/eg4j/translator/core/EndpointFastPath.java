package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.UdpListenerIr;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The EndpointSlice fast path: when only EndpointSlices changed since the last translation, only
 * the destination settings fed by the Services (or ServiceImports) those slices belong to get new
 * endpoints, and every other IR object is shared with the previous result. The result equals what a
 * full translation gives; the fast path declines (empty result) whenever the change could alter a
 * status or a route's action: a backend gaining its first or losing its last ready endpoint, or its
 * address type changing.
 */
public final class EndpointFastPath {
  private EndpointFastPath() {}

  /** True when the snapshots hold the same objects apart from EndpointSlices. */
  public static boolean onlyEndpointSlicesChanged(ResourceSnapshot before, ResourceSnapshot after) {
    Set<ResourceKey> keys = new HashSet<>(before.objects().keySet());
    keys.addAll(after.objects().keySet());
    for (ResourceKey k : keys) {
      if (k.kind().equals("EndpointSlice")) {
        continue;
      }
      ObjectNode a = before.objects().get(k);
      ObjectNode b = after.objects().get(k);
      if (a == null || !a.equals(b)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The fast path when the caller does not know which slices changed: every EndpointSlice counts as
   * changed. The caller guarantees that nothing but EndpointSlices changed.
   *
   * @param config unused; kept for callers of the first version of this method
   */
  public static Optional<TranslateResult> apply(
      TranslateResult previous, ResourceSnapshot after, EnvoyGatewayConfig config) {
    Set<ResourceKey> changed = new HashSet<>();
    if (previous.endpointIndex() != null) {
      changed.addAll(previous.endpointIndex().sliceOwners.keySet());
    }
    Map<String, List<ObjectNode>> fleetSlices = new HashMap<>();
    for (Map.Entry<ResourceKey, ObjectNode> e : after.objects().entrySet()) {
      if (e.getKey().kind().equals("EndpointSlice")) {
        changed.add(e.getKey());
        for (String owner : EndpointSource.owners(e.getValue())) {
          fleetSlices.computeIfAbsent(owner, o -> new ArrayList<>()).add(e.getValue());
        }
      }
    }
    // Slices deleted since are in neither set: compare each fleet's own endpoints instead.
    for (XdsIr ir : previous.xdsIr().values()) {
      XdsIr.LocalClusterIr lc = ir.localCluster();
      if (lc != null
          && !new XdsIr.LocalClusterIr(
                  lc.serviceNamespace(),
                  lc.serviceName(),
                  GatewayProcessor.localEndpoints(
                      fleetSlices.get("S:" + lc.serviceNamespace() + "/" + lc.serviceName())))
              .equals(lc)) {
        return Optional.empty();
      }
    }
    return apply(previous, after.objects(), changed);
  }

  /**
   * True when a policy in effect calls an upstream of its own (an external authorization service, a
   * JWKS or OIDC backend). The index does not track those endpoints, so a change to them needs a
   * full translation.
   */
  private static boolean policiesCallUpstreams(TranslateResult previous) {
    for (XdsIr ir : previous.xdsIr().values()) {
      for (var l : ir.http()) {
        for (HttpRouteIr r : l.routes()) {
          if (r.security() != null && !r.security().destinations().isEmpty()) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * Refreshes the endpoints of {@code previous} after the objects under {@code changed} changed.
   * Returns empty when a full translation is needed: a changed key that is not an EndpointSlice, no
   * index in {@code previous}, or a change that alters more than endpoints.
   *
   * @param previous the result of the last translation (full or fast)
   * @param objects every object now, by key; only read (the slices of affected Services)
   * @param changed the keys added, modified or deleted since {@code previous}
   */
  public static Optional<TranslateResult> apply(
      TranslateResult previous, Map<ResourceKey, ObjectNode> objects, Set<ResourceKey> changed) {
    EndpointIndex index = previous.endpointIndex();
    if (index == null || policiesCallUpstreams(previous)) {
      return Optional.empty();
    }
    Set<String> fleets = new HashSet<>();
    for (XdsIr ir : previous.xdsIr().values()) {
      if (ir.localCluster() != null) {
        fleets.add(
            "S:" + ir.localCluster().serviceNamespace() + "/" + ir.localCluster().serviceName());
      }
    }
    Set<String> owners = new LinkedHashSet<>();
    for (ResourceKey k : changed) {
      if (!k.kind().equals("EndpointSlice")) {
        return Optional.empty();
      }
      if (!fleets.isEmpty() && touchesFleet(k, objects.get(k), fleets)) {
        // A proxy fleet's own endpoints (its local cluster) changed: translate in full.
        return Optional.empty();
      }
      owners.addAll(index.affectedOwners(k, objects.get(k)));
    }
    if (owners.isEmpty()) {
      // Slices of Services no route uses: nothing the translation produces depends on them.
      return Optional.of(previous);
    }
    EndpointIndex next = index.withSlices(changed, objects);
    Map<String, List<EndpointIr>> fresh = new HashMap<>();
    for (String owner : owners) {
      List<ObjectNode> slices = new ArrayList<>();
      for (ResourceKey k : next.ownerSlices.getOrDefault(owner, Set.of())) {
        ObjectNode slice = objects.get(k);
        if (slice != null) {
          slices.add(slice);
        }
      }
      Map<EndpointSource, List<EndpointIr>> bySource = new HashMap<>();
      for (String setting : index.settingsByOwner.get(owner)) {
        EndpointSource source = previous.endpointSources().get(setting);
        List<EndpointIr> eps = bySource.get(source);
        String state;
        if (eps == null) {
          eps = new ArrayList<>();
          Set<String> types = source.collect(slices, eps);
          state = EndpointSource.state(eps, types);
          if (!state.equals(index.states.get(setting))) {
            return Optional.empty();
          }
          bySource.put(source, eps);
        }
        if (index.locations.containsKey(setting)) {
          fresh.put(setting, eps);
        }
      }
    }
    Map<String, XdsIr> xds = new TreeMap<>(previous.xdsIr());
    rewrite(xds, index, fresh);
    return Optional.of(
        new TranslateResult(
            previous.statuses(), xds, previous.infraIr(), previous.endpointSources(), next));
  }

  /** Rebuilds the routes holding a refreshed setting, and the listeners and IRs above them. */
  private static void rewrite(
      Map<String, XdsIr> xds, EndpointIndex index, Map<String, List<EndpointIr>> fresh) {
    // IR key -> listener (kind + position) -> route positions.
    Map<String, Map<String, Set<Integer>>> touched = new TreeMap<>();
    for (String setting : fresh.keySet()) {
      for (EndpointIndex.Location loc : index.locations.get(setting)) {
        touched
            .computeIfAbsent(loc.xdsKey(), k -> new HashMap<>())
            .computeIfAbsent(loc.listenerKind() + ":" + loc.listener(), k -> new HashSet<>())
            .add(loc.route());
      }
    }
    for (Map.Entry<String, Map<String, Set<Integer>>> e : touched.entrySet()) {
      XdsIr ir = xds.get(e.getKey());
      List<HttpListenerIr> http = ir.http();
      List<TcpListenerIr> tcp = ir.tcp();
      List<UdpListenerIr> udp = ir.udp();
      for (Map.Entry<String, Set<Integer>> l : e.getValue().entrySet()) {
        char kind = l.getKey().charAt(0);
        int li = Integer.parseInt(l.getKey().substring(2));
        switch (kind) {
          case 'h' -> {
            http = http == ir.http() ? new ArrayList<>(http) : http;
            http.set(li, httpListener(http.get(li), l.getValue(), fresh));
          }
          case 't' -> {
            tcp = tcp == ir.tcp() ? new ArrayList<>(tcp) : tcp;
            tcp.set(li, tcpListener(tcp.get(li), l.getValue(), fresh));
          }
          default -> {
            udp = udp == ir.udp() ? new ArrayList<>(udp) : udp;
            UdpListenerIr u = udp.get(li);
            udp.set(
                li,
                new UdpListenerIr(
                    u.name(),
                    u.address(),
                    u.port(),
                    u.externalPort(),
                    u.routeName(),
                    destination(u.destination(), fresh)));
          }
        }
      }
      xds.put(e.getKey(), ir.withListeners(http, tcp, udp));
    }
  }

  private static HttpListenerIr httpListener(
      HttpListenerIr l, Set<Integer> positions, Map<String, List<EndpointIr>> fresh) {
    List<HttpRouteIr> routes = new ArrayList<>(l.routes());
    for (int ri : positions) {
      routes.set(ri, route(routes.get(ri), fresh));
    }
    return l.withRoutes(routes);
  }

  private static HttpRouteIr route(HttpRouteIr r, Map<String, List<EndpointIr>> fresh) {
    RouteDestinationIr dest = destination(r.destination(), fresh);
    List<HttpRouteIr.MirrorIr> mirrors = r.mirrors();
    for (int i = 0; i < mirrors.size(); i++) {
      HttpRouteIr.MirrorIr m = mirrors.get(i);
      RouteDestinationIr md = destination(m.destination(), fresh);
      if (md != m.destination()) {
        mirrors = mirrors == r.mirrors() ? new ArrayList<>(mirrors) : mirrors;
        mirrors.set(i, new HttpRouteIr.MirrorIr(md, m.percent()));
      }
    }
    if (mirrors == r.mirrors()) {
      return dest == r.destination() ? r : r.withDestination(dest);
    }
    return new HttpRouteIr(
        r.name(),
        r.hostname(),
        r.pathMatch(),
        r.headerMatches(),
        r.queryMatches(),
        r.method(),
        dest,
        r.redirect(),
        r.directResponse(),
        r.rewrite(),
        r.requestHeaders(),
        r.responseHeaders(),
        mirrors,
        r.timeout(),
        r.retry(),
        r.cors(),
        r.grpc(),
        r.metadata(),
        r.sessionPersistence(),
        r.security(),
        r.traffic(),
        r.extensions(),
        r.credentialInjection());
  }

  private static TcpListenerIr tcpListener(
      TcpListenerIr l, Set<Integer> positions, Map<String, List<EndpointIr>> fresh) {
    List<TcpListenerIr.TcpRouteIr> routes = new ArrayList<>(l.routes());
    for (int ri : positions) {
      TcpListenerIr.TcpRouteIr r = routes.get(ri);
      routes.set(
          ri,
          new TcpListenerIr.TcpRouteIr(
              r.name(), r.sniHostnames(), r.tls(), destination(r.destination(), fresh)));
    }
    return new TcpListenerIr(l.name(), l.address(), l.port(), l.externalPort(), routes, l.client());
  }

  /** The destination with refreshed settings; the same object when none of its settings changed. */
  private static RouteDestinationIr destination(
      RouteDestinationIr d, Map<String, List<EndpointIr>> fresh) {
    if (d == null) {
      return null;
    }
    List<DestinationSettingIr> settings = null;
    for (int i = 0; i < d.settings().size(); i++) {
      DestinationSettingIr s = d.settings().get(i);
      List<EndpointIr> eps = fresh.get(s.name());
      if (eps != null) {
        settings = settings == null ? new ArrayList<>(d.settings()) : settings;
        settings.set(i, s.withEndpoints(eps));
      }
    }
    return settings == null ? d : d.withSettings(settings);
  }

  /** True when a changed slice, before or after the change, belongs to a proxy fleet's Service. */
  private static boolean touchesFleet(ResourceKey k, ObjectNode now, Set<String> fleets) {
    if (now != null) {
      return EndpointSource.owners(now).stream().anyMatch(fleets::contains);
    }
    // A deleted slice: its labels are gone, so any deletion in a fleet's namespace counts.
    return fleets.stream().anyMatch(f -> f.startsWith("S:" + k.namespace() + "/"));
  }
}
