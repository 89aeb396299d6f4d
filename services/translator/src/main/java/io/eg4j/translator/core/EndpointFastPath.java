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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The EndpointSlice fast path: when only EndpointSlices changed since the last translation, the
 * endpoints of the affected destination settings are refreshed in the previous IR instead of
 * translating everything again. Falls back (empty result) whenever the change could alter a status
 * or a route's action: a backend gaining its first or losing its last endpoint, or mixed address
 * types.
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
   * Refreshes the endpoints of {@code previous} from {@code after}'s EndpointSlices. Returns empty
   * when a full translation is needed.
   */
  public static Optional<TranslateResult> apply(
      TranslateResult previous, ResourceSnapshot after, EnvoyGatewayConfig config) {
    if (previous.endpointSources().isEmpty() && !previous.xdsIr().isEmpty()) {
      return Optional.empty();
    }
    TranslationContext ctx =
        new TranslationContext(after, config, new StatusCollector(), Instant.EPOCH);
    Map<String, List<EndpointIr>> fresh = new TreeMap<>();
    for (Map.Entry<String, EndpointSource> e : previous.endpointSources().entrySet()) {
      List<EndpointIr> eps = new ArrayList<>();
      Set<String> types = e.getValue().collect(ctx, eps);
      if (types.size() > 1) {
        return Optional.empty();
      }
      fresh.put(e.getKey(), eps);
    }
    try {
      Map<String, XdsIr> out = new TreeMap<>();
      for (Map.Entry<String, XdsIr> e : previous.xdsIr().entrySet()) {
        out.put(e.getKey(), rewrite(e.getValue(), fresh));
      }
      return Optional.of(
          new TranslateResult(
              previous.statuses(), out, previous.infraIr(), previous.endpointSources()));
    } catch (NeedsFullTranslation e) {
      return Optional.empty();
    }
  }

  private static final class NeedsFullTranslation extends RuntimeException {
    NeedsFullTranslation() {
      super(null, null, false, false);
    }
  }

  private static XdsIr rewrite(XdsIr ir, Map<String, List<EndpointIr>> fresh) {
    List<HttpListenerIr> http = new ArrayList<>();
    for (HttpListenerIr l : ir.http()) {
      List<HttpRouteIr> routes = new ArrayList<>();
      for (HttpRouteIr r : l.routes()) {
        List<HttpRouteIr.MirrorIr> mirrors = new ArrayList<>();
        for (HttpRouteIr.MirrorIr m : r.mirrors()) {
          mirrors.add(new HttpRouteIr.MirrorIr(destination(m.destination(), fresh), m.percent()));
        }
        HttpRouteIr nr = r.withDestination(destination(r.destination(), fresh));
        routes.add(
            mirrors.isEmpty()
                ? nr
                : new HttpRouteIr(
                    nr.name(),
                    nr.hostname(),
                    nr.pathMatch(),
                    nr.headerMatches(),
                    nr.queryMatches(),
                    nr.method(),
                    nr.destination(),
                    nr.redirect(),
                    nr.directResponse(),
                    nr.rewrite(),
                    nr.requestHeaders(),
                    nr.responseHeaders(),
                    mirrors,
                    nr.timeout(),
                    nr.retry(),
                    nr.cors(),
                    nr.grpc(),
                    nr.metadata(),
                    nr.sessionPersistence()));
      }
      http.add(
          new HttpListenerIr(
              l.name(), l.address(), l.port(), l.externalPort(), l.hostnames(), l.tls(), routes));
    }
    List<TcpListenerIr> tcp = new ArrayList<>();
    for (TcpListenerIr l : ir.tcp()) {
      List<TcpListenerIr.TcpRouteIr> routes = new ArrayList<>();
      for (TcpListenerIr.TcpRouteIr r : l.routes()) {
        routes.add(
            new TcpListenerIr.TcpRouteIr(
                r.name(), r.sniHostnames(), r.tls(), destination(r.destination(), fresh)));
      }
      tcp.add(new TcpListenerIr(l.name(), l.address(), l.port(), l.externalPort(), routes));
    }
    List<UdpListenerIr> udp = new ArrayList<>();
    for (UdpListenerIr l : ir.udp()) {
      udp.add(
          new UdpListenerIr(
              l.name(),
              l.address(),
              l.port(),
              l.externalPort(),
              l.routeName(),
              destination(l.destination(), fresh)));
    }
    return new XdsIr(ir.key(), http, tcp, udp);
  }

  private static RouteDestinationIr destination(
      RouteDestinationIr d, Map<String, List<EndpointIr>> fresh) {
    if (d == null) {
      return null;
    }
    List<DestinationSettingIr> settings = new ArrayList<>();
    for (DestinationSettingIr s : d.settings()) {
      List<EndpointIr> eps = fresh.get(s.name());
      if (eps == null) {
        settings.add(s);
        continue;
      }
      // Empty and non-empty endpoint lists give different route actions and statuses.
      if (eps.isEmpty() != s.endpoints().isEmpty()) {
        throw new NeedsFullTranslation();
      }
      settings.add(s.withEndpoints(eps));
    }
    return new RouteDestinationIr(d.name(), settings, d.invalidWeight());
  }
}
