package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.translator.core.PolicyProcessor.Attachment;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyException;
import io.eg4j.translator.core.policy.traffic.BackendTrafficPolicyTranslator;
import io.eg4j.translator.core.policy.traffic.DynamicModuleLoadBalancerTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Puts the BackendTrafficPolicy in effect on every HTTP and gRPC route of the IR, with the same
 * precedence as every policy kind (route rule, route, listener, ListenerSet, Gateway). A
 * route-level policy with {@code mergeType} is merged over the broader one as JSON (its fields win,
 * objects merge field by field, lists are replaced) and the merge is translated. A policy that sets
 * a field eg4j does not enforce yet leaves the route as it is; an invalid one makes the route
 * answer 500, as Envoy Gateway does.
 */
final class BackendTrafficApplier {
  static final String KIND = "BackendTrafficPolicy";

  private final TranslationContext ctx;
  private final PolicyProcessor policies;
  private final Map<String, Attachment> winners;

  BackendTrafficApplier(TranslationContext ctx, PolicyProcessor policies) {
    this.ctx = ctx;
    this.policies = policies;
    this.winners = policies.winners.getOrDefault(KIND, Map.of());
  }

  void apply(Map<String, IrBuilders.XdsBuilder> xds) {
    PolicyChain.rewriteRoutes(ctx, xds, winners, (r, chain, lc) -> rewrite(r, chain, lc));
    rateLimitHeaders(xds);
    routeToServices(xds);
    if (!winners.isEmpty()) {
      applyToL4(xds);
    }
  }

  /**
   * The rate limits of the routes on a listener whose ClientTrafficPolicy sets {@code
   * headers.disableRateLimitHeaders} leave out the x-ratelimit-* headers, unless a rule asks for
   * them itself ({@code xRateLimitHeaders}). The ClientTrafficPolicies were applied first.
   */
  private static void rateLimitHeaders(Map<String, IrBuilders.XdsBuilder> xds) {
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.HttpListener l : b.http.values()) {
        if (l.client == null || !l.client.disableRateLimitHeaders()) {
          continue;
        }
        l.routes.replaceAll(
            r -> {
              TrafficIr t = r.traffic();
              if (t == null || (t.localRateLimit() == null && t.globalRateLimit() == null)) {
                return r;
              }
              if (t.localRateLimit() != null) {
                t = t.withLocalRateLimit(t.localRateLimit().withListenerHeadersOff());
              }
              if (t.globalRateLimit() != null) {
                t = t.withGlobalRateLimit(t.globalRateLimit().withListenerHeadersOff());
              }
              return r.withTraffic(t);
            });
      }
    }
  }

  /** The cluster settings of TCP, TLS and UDP routes' policies. */
  private void applyToL4(Map<String, IrBuilders.XdsBuilder> xds) {
    Map<String, ListenerContext> listeners = PolicyChain.listenersByIrName(ctx);
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.TcpListener l : b.tcp.values()) {
        ListenerContext lc = listeners.get(l.name);
        for (int i = 0; i < l.routes.size(); i++) {
          TcpListenerIr.TcpRouteIr r = l.routes.get(i);
          RouteDestinationIr d = l4(r.name(), r.destination(), lc);
          if (d != r.destination()) {
            l.routes.set(i, new TcpListenerIr.TcpRouteIr(r.name(), r.sniHostnames(), r.tls(), d));
          }
        }
      }
      for (IrBuilders.UdpListener u : b.udp.values()) {
        if (u.destination != null && u.routeName != null) {
          u.destination = l4(u.routeName, u.destination, listeners.get(u.name));
        }
      }
    }
  }

  private RouteDestinationIr l4(String routeName, RouteDestinationIr d, ListenerContext lc) {
    List<Attachment> chain = PolicyChain.forL4Route(winners, routeName, lc);
    int skip = 0;
    while (skip < chain.size() && unsupported(chain.get(skip))) {
      skip++;
    }
    if (skip == chain.size() || chain.get(skip).error() != null) {
      return d;
    }
    TrafficIr ir = effective(chain.subList(skip, chain.size()));
    if (ir == null || ir.cluster() == null) {
      return d;
    }
    // Admission control is an HTTP filter: TCP and UDP backends have none (as in Envoy Gateway).
    io.eg4j.model.ir.ClusterSettingsIr cluster = ir.cluster().withAdmissionControl(null);
    if (DynamicModuleLoadBalancerTranslator.present(cluster)) {
      cluster = gatewayModule(cluster, lc);
      if (cluster == null) {
        // No endpoint rather than a balancer the policy did not ask for.
        return d.withSettings(d.settings().stream().map(s -> s.withEndpoints(List.of())).toList());
      }
    }
    if (cluster.equals(io.eg4j.model.ir.ClusterSettingsIr.NONE)) {
      return d;
    }
    if (grpcCheckWithoutHttp2(cluster, d)) {
      // Envoy refuses a gRPC health check on a cluster that does not speak HTTP/2: no endpoint is
      // served rather than one that is not checked as the policy asks.
      return d.withSettings(d.settings().stream().map(s -> s.withEndpoints(List.of())).toList())
          .withCluster(cluster);
    }
    return d.withCluster(cluster);
  }

  /**
   * The settings with the dynamic module load balancer as the EnvoyProxy of the route's own Gateway
   * registers it (a policy that reaches several Gateways was checked against each registry; its IR
   * holds the first one's), or null when that registry cannot give it.
   */
  private static io.eg4j.model.ir.ClusterSettingsIr gatewayModule(
      io.eg4j.model.ir.ClusterSettingsIr cluster, ListenerContext lc) {
    if (lc == null) {
      var m = cluster.loadBalancer().dynamicModule();
      return m.path() != null ? cluster : null;
    }
    try {
      return DynamicModuleLoadBalancerTranslator.forGateway(cluster, lc.gateway.envoyProxy);
    } catch (PolicyException e) {
      return null;
    }
  }

  /**
   * True when the settings ask for a gRPC active health check but a backend of {@code d} is not
   * reached over HTTP/2 (Envoy's gRPC health checker needs an HTTP/2 cluster and refuses the
   * cluster otherwise).
   */
  static boolean grpcCheckWithoutHttp2(
      io.eg4j.model.ir.ClusterSettingsIr cluster, RouteDestinationIr d) {
    if (cluster.activeHealthCheck() == null
        || !"GRPC".equals(cluster.activeHealthCheck().type())
        || d == null) {
      return false;
    }
    return d.settings().stream()
        .anyMatch(
            s ->
                !List.of("HTTP2", "GRPC", "H2C")
                    .contains(s.protocol().toUpperCase(java.util.Locale.ROOT)));
  }

  /**
   * Service routing: the routes whose BackendTrafficPolicy (or, without one that decides, whose
   * Gateway's EnvoyProxy) says {@code routingType: Service} send requests to each Service's cluster
   * IP and port, and kube-proxy picks the pod, instead of to the pods' own addresses. Such a
   * backend's endpoints no longer follow its EndpointSlices.
   */
  private void routeToServices(Map<String, IrBuilders.XdsBuilder> xds) {
    Map<String, ListenerContext> listeners = PolicyChain.listenersByIrName(ctx);
    for (IrBuilders.XdsBuilder b : xds.values()) {
      for (IrBuilders.HttpListener l : b.http.values()) {
        ListenerContext lc = listeners.get(l.name);
        String proxyDefault = lc == null ? null : Nodes.text(lc.gateway.envoyProxy, "routingType");
        for (int i = 0; i < l.routes.size(); i++) {
          HttpRouteIr r = l.routes.get(i);
          String type =
              r.traffic() != null && r.traffic().routingType() != null
                  ? r.traffic().routingType()
                  : proxyDefault;
          if ("Service".equals(type) && r.destination() != null) {
            l.routes.set(i, r.withDestination(serviceRouted(r.destination())));
          }
        }
      }
    }
  }

  private RouteDestinationIr serviceRouted(RouteDestinationIr d) {
    List<DestinationSettingIr> settings = new ArrayList<>();
    boolean changed = false;
    for (DestinationSettingIr s : d.settings()) {
      EndpointSource src = ctx.endpointSources.get(s.name());
      EndpointIr vip = src == null || src.serviceImport() ? null : clusterIp(src);
      if (vip == null || s.endpoints().isEmpty()) {
        settings.add(s);
        continue;
      }
      settings.add(s.withEndpoints(List.of(vip)));
      ctx.endpointSources.remove(s.name());
      changed = true;
    }
    return changed ? d.withSettings(settings) : d;
  }

  /** The cluster IP and port of an endpoint source's Service, or null for a headless one. */
  private EndpointIr clusterIp(EndpointSource src) {
    JsonNode spec = Nodes.spec(ctx.service(src.namespace(), src.name()));
    String ip = Nodes.text(spec, "clusterIP");
    if (ip == null || ip.isEmpty() || ip.equals("None")) {
      return null;
    }
    for (JsonNode p : Nodes.list(spec, "ports")) {
      if (Nodes.text(p, "name", "").equals(src.portName())
          && Nodes.text(p, "protocol", "TCP").equals(src.protocol())) {
        Integer port = Nodes.integer(p, "port");
        return port == null ? null : new EndpointIr(ip, port);
      }
    }
    return null;
  }

  private HttpRouteIr rewrite(HttpRouteIr r, List<Attachment> chain, ListenerContext lc) {
    // A policy that is not applied because it sets a field eg4j does not enforce yet gives way to
    // the next one in precedence, as if it were absent.
    int skip = 0;
    while (skip < chain.size() && unsupported(chain.get(skip))) {
      skip++;
    }
    if (skip == chain.size()) {
      return r;
    }
    chain = chain.subList(skip, chain.size());
    if (invalid(chain.get(0))) {
      // As Envoy Gateway does, a route whose policy is invalid answers 500 rather than reach its
      // backends without the settings its owner asked for.
      return r.failClosed(500);
    }
    TrafficIr ir = effective(chain);
    if (ir == null) {
      return r;
    }
    if (DynamicModuleLoadBalancerTranslator.present(ir.cluster())) {
      io.eg4j.model.ir.ClusterSettingsIr cluster = gatewayModule(ir.cluster(), lc);
      if (cluster == null) {
        // The route's Gateway cannot give the module: its requests must not be balanced otherwise.
        return r.failClosed(500);
      }
      ir = ir.withCluster(cluster);
    }
    if (ir.globalRateLimit() != null) {
      // The route's own global limits count in its listener's domain (Envoy Gateway's).
      ir =
          ir.withGlobalRateLimit(
              ir.globalRateLimit().withDomain(lc == null ? r.name() : lc.irName()));
    }
    if (ir.cluster() != null && grpcCheckWithoutHttp2(ir.cluster(), r.destination())) {
      // A gRPC health check needs HTTP/2 backends; Envoy would refuse the cluster.
      return r.failClosed(500);
    }
    ir = healthCheckHost(ir, r.hostname());
    HttpRouteIr out = r.withTraffic(ir);
    if (ir.cluster() != null) {
      if (out.destination() != null) {
        out = out.withDestination(out.destination().withCluster(ir.cluster()));
      }
      if (ir.cluster().requestTimeout() != null && out.timeout() == null) {
        // The route rule's own timeouts.request wins over the policy's.
        out = out.withTimeout(ir.cluster().requestTimeout());
      }
    }
    return out;
  }

  /**
   * An HTTP active health check without {@code http.hostname} sends the route's host name as its
   * Host header, as Envoy Gateway does ({@code *} for a route that matches any host), rather than
   * Envoy's default, the cluster name. A backend shared by several routes gets the host name of the
   * first route that sets its cluster.
   */
  static TrafficIr healthCheckHost(TrafficIr ir, String routeHostname) {
    if (ir.cluster() == null
        || ir.cluster().activeHealthCheck() == null
        || !"HTTP".equals(ir.cluster().activeHealthCheck().type())
        || ir.cluster().activeHealthCheck().hostname() != null) {
      return ir;
    }
    var check = ir.cluster().activeHealthCheck().withHostname(routeHostname);
    return ir.withCluster(ir.cluster().withActiveHealthCheck(check));
  }

  /**
   * True when the policy's settings are invalid (its translation failed on a value). A policy that
   * is refused only because it sets a field eg4j does not enforce yet leaves its routes as they
   * are.
   */
  private static boolean invalid(Attachment a) {
    return a.error() != null && !FieldSupport.isUnsupported(a.error());
  }

  private static boolean unsupported(Attachment a) {
    return a.error() != null && FieldSupport.isUnsupported(a.error());
  }

  private TrafficIr effective(List<Attachment> chain) {
    Attachment top = chain.get(0);
    if (top.error() != null) {
      return null;
    }
    BackendTrafficPolicyTranslator.Result own =
        (BackendTrafficPolicyTranslator.Result) top.translation();
    boolean merges = Nodes.has(Nodes.spec(top.policy()), "mergeType");
    if (!merges || chain.size() < 2 || chain.get(1).error() != null) {
      return own == null ? null : own.ir();
    }
    ObjectNode merged = policies.trafficMergeBase(chain.get(1).policy());
    mergeInto(merged, Nodes.spec(top.policy()));
    merged.remove(List.of("targetRef", "targetRefs", "targetSelectors", "mergeType"));
    BackendTrafficPolicyTranslator.Result r = policies.translateTraffic(top.policy(), merged);
    return r.ir();
  }

  private static void mergeInto(ObjectNode base, JsonNode over) {
    over.fields()
        .forEachRemaining(
            e -> {
              JsonNode b = base.get(e.getKey());
              if (b instanceof ObjectNode bo && e.getValue().isObject()) {
                mergeInto(bo, e.getValue());
              } else {
                base.set(e.getKey(), e.getValue().deepCopy());
              }
            });
  }
}
