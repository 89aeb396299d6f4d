package io.eg4j.xds.core;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.HttpRouteIr.StringMatchIr;
import io.eg4j.model.ir.HttpRouteIr.UrlRewriteIr.PathRewriteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.filters.HttpFilters;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Builds route configurations: one per plain-HTTP port (its listeners merged) and one per HTTPS
 * listener. Each hostname becomes a virtual host; Envoy picks virtual hosts exact first, then the
 * longest wildcard suffix, then {@code *}, which is Gateway API's hostname precedence. Routes keep
 * the translator's precedence order inside a virtual host (Envoy takes the first match).
 */
public final class RouteXdsTranslator {
  /**
   * A cluster name that never exists: the invalid backendRefs' share of a weighted route goes
   * there, and the route's cluster_not_found_response_code turns it into the spec's 500 (Envoy
   * Gateway uses the same name).
   */
  static final String INVALID_BACKEND_CLUSTER = "invalid-backend-cluster";

  // Per IR key, the routes of its last translation by the route IR they were made from. A route is
  // a function of its route IR alone ({@link #route}), so a route IR equal to one of the last
  // translation gets that Route back instead of being translated again: one route change in
  // thousands translates one route (issue #16). Holds only the routes of each key's last
  // translation, so it never outgrows what is served. The key kept is the route IR first seen: a
  // route IR read again, equal to it, is garbage once its translation ends, so each change does not
  // leave a whole generation of route IR to die in the old generation of the heap (issue #16).
  private final Map<String, Map<Hashed<HttpRouteIr>, Kept>> lastRoutes =
      new java.util.concurrent.ConcurrentHashMap<>();

  // The same routes by the very route IR instances of the last translation. The xds-server's reader
  // gives an unchanged route the instance it gave last time (its JSON bytes unchanged), so most
  // routes are found here, without the deep hash and equals of the map above (issue #16).
  private final Map<String, Map<HttpRouteIr, Kept>> lastById =
      new java.util.concurrent.ConcurrentHashMap<>();

  // Per IR key, the virtual hosts of its last translation by name: an unchanged one is given back
  // as the same instance, so comparing a fresh route configuration with the last one
  // (XdsSnapshots.reuseUnchanged) is an identity check for it. The encoding of a configuration is
  // put together from its routes' remembered encodings ({@link Protos#routeConfigBytes}).
  private final Map<String, Map<String, VirtualHost>> lastVirtualHosts =
      new java.util.concurrent.ConcurrentHashMap<>();

  // Route IRs looked up by deep hash and equality, not by identity (for tests).
  private long deepLookups;

  /** A translated route and the key (route IR) it was made from. */
  private record Kept(Hashed<HttpRouteIr> key, Route route) {}

  /** Translates the route configurations of an IR. */
  public List<RouteConfiguration> translate(XdsIr ir) {
    Map<Hashed<HttpRouteIr>, Kept> before = lastRoutes.getOrDefault(ir.key(), Map.of());
    Map<HttpRouteIr, Kept> beforeById = lastById.getOrDefault(ir.key(), Map.of());
    Map<Hashed<HttpRouteIr>, Kept> now = new java.util.HashMap<>();
    Map<HttpRouteIr, Kept> nowById = new java.util.IdentityHashMap<>();
    Function<HttpRouteIr, Route> routes =
        r -> {
          Kept made = nowById.get(r);
          if (made != null) {
            return made.route();
          }
          made = beforeById.get(r);
          if (made == null) {
            deepLookups++;
            Hashed<HttpRouteIr> k = Hashed.of(r);
            made = now.get(k);
            if (made == null) {
              made = before.get(k);
              if (made == null) {
                made = new Kept(k, route(r));
              }
            }
          }
          // The kept key carries its hash: putting it back costs no walk of the route IR.
          now.put(made.key(), made);
          // By the kept instance, not by r: an equal route IR read anew is not held past this
          // change.
          nowById.put(made.key().value(), made);
          return made.route();
        };
    Map<String, VirtualHost> vhostsBefore = lastVirtualHosts.getOrDefault(ir.key(), Map.of());
    Map<String, VirtualHost> vhostsNow = new java.util.HashMap<>();
    java.util.function.UnaryOperator<VirtualHost> vhosts =
        vh -> {
          // Equal with the same Route instances is an identity check per route.
          VirtualHost old = vhostsBefore.get(vh.getName());
          VirtualHost kept = old != null && old.equals(vh) ? old : vh;
          vhostsNow.put(vh.getName(), kept);
          return kept;
        };
    List<RouteConfiguration> out = new ArrayList<>();
    for (PortGroup g : PortGroup.of(ir)) {
      if (!g.plainHttp().isEmpty()) {
        out.add(
            routeConfig(g.plainRouteConfigName(), g.plainHttp(), vhostStats(ir), routes, vhosts));
      }
      for (HttpListenerIr h : g.https()) {
        RouteConfiguration rc =
            misdirected(
                routeConfig(h.name(), List.of(h), vhostStats(ir), routes, vhosts), h, g.https());
        out.add(ListenerXdsTranslator.http3(h) ? advertiseHttp3(rc, h.externalPort()) : rc);
      }
    }
    lastRoutes.put(ir.key(), now);
    lastById.put(ir.key(), nowById);
    lastVirtualHosts.put(ir.key(), vhostsNow);
    return out;
  }

  /** The route IRs kept for an IR key from its last translation (for tests). */
  java.util.Set<HttpRouteIr> keptRouteIrs(String key) {
    java.util.Set<HttpRouteIr> out =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    lastRoutes.getOrDefault(key, Map.of()).keySet().forEach(k -> out.add(k.value()));
    return out;
  }

  /** How many route IRs were looked up by deep hash and equality, not by identity (for tests). */
  long deepLookups() {
    return deepLookups;
  }

  /** Forgets what was kept for an IR key (its Gateway is gone). */
  public void forget(String key) {
    lastRoutes.remove(key);
    lastById.remove(key);
    lastVirtualHosts.remove(key);
  }

  /**
   * Every route of an HTTPS listener that also serves HTTP/3 tells clients so: an {@code alt-svc}
   * response header naming the port clients use (the Gateway listener's), valid for a day.
   */
  static RouteConfiguration advertiseHttp3(RouteConfiguration rc, int port) {
    RouteConfiguration.Builder b = rc.toBuilder();
    for (VirtualHost.Builder vh : b.getVirtualHostsBuilderList()) {
      for (Route.Builder r : vh.getRoutesBuilderList()) {
        r.addResponseHeadersToAdd(
            io.envoyproxy.envoy.config.core.v3.HeaderValueOption.newBuilder()
                .setHeader(
                    io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder()
                        .setKey("alt-svc")
                        .setValue("h3=\":" + port + "\"; ma=86400"))
                .setAppendAction(
                    io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction
                        .APPEND_IF_EXISTS_OR_ADD));
      }
    }
    return b.build();
  }

  /** True when the EnvoyProxy's {@code telemetry.metrics.enableVirtualHostStats} is set. */
  private static boolean vhostStats(XdsIr ir) {
    return ir.telemetry() != null
        && ir.telemetry().metrics() != null
        && ir.telemetry().metrics().virtualHostStats();
  }

  /**
   * The virtual cluster that makes Envoy keep stats per virtual host ({@code
   * vhost.<name>.vcluster.<name>.*}): it matches the requests of the host by their authority, and
   * is named after the host with dots as underscores, since Envoy's tag extraction splits stat
   * names on dots.
   */
  static io.envoyproxy.envoy.config.route.v3.VirtualCluster virtualCluster(String hostname) {
    var authority = io.envoyproxy.envoy.config.route.v3.HeaderMatcher.newBuilder();
    authority.setName(":authority");
    if (hostname.startsWith("*")) {
      // A wildcard host's requests carry many authorities: every request of the host counts.
      authority.setPresentMatch(true);
    } else {
      // A prefix, so an authority with a port counts too.
      authority.setStringMatch(
          io.envoyproxy.envoy.type.matcher.v3.StringMatcher.newBuilder().setPrefix(hostname));
    }
    return io.envoyproxy.envoy.config.route.v3.VirtualCluster.newBuilder()
        .setName(hostname.replace('.', '_'))
        .addHeaders(authority)
        .build();
  }

  private static RouteConfiguration routeConfig(
      String name,
      List<HttpListenerIr> listeners,
      boolean vhostStats,
      Function<HttpRouteIr, Route> routes,
      java.util.function.UnaryOperator<VirtualHost> vhosts) {
    // Hostname -> routes, in listener order then the translator's route order.
    Map<String, List<HttpRouteIr>> byHost = new TreeMap<>();
    for (HttpListenerIr l : listeners) {
      for (HttpRouteIr r : l.routes()) {
        byHost.computeIfAbsent(r.hostname(), k -> new ArrayList<>()).add(r);
      }
    }
    RouteConfiguration.Builder rc =
        RouteConfiguration.newBuilder().setName(name).setIgnorePortInHostMatching(true);
    List<HttpRouteIr> all = new ArrayList<>();
    byHost.values().forEach(all::addAll);
    // Internal headers (the geolocation the geoip filter found) never reach a backend.
    rc.addAllRequestHeadersToRemove(HttpFilters.internalRequestHeaders(all));
    for (Map.Entry<String, List<HttpRouteIr>> e : byHost.entrySet()) {
      VirtualHost.Builder vh =
          VirtualHost.newBuilder().setName(name + "/" + e.getKey()).addDomains(e.getKey());
      for (HttpRouteIr r : e.getValue()) {
        vh.addRoutes(routes.apply(r));
      }
      if (vhostStats) {
        vh.addVirtualClusters(virtualCluster(e.getKey()));
      }
      rc.addVirtualHosts(vhosts.apply(vh.build()));
    }
    // Envoy refuses a route configuration with a direct response body above
    // max_direct_response_body_size_bytes (4096 by default): raise it to the largest body served.
    int largest = largestDirectResponseBody(all);
    if (largest > DEFAULT_MAX_DIRECT_RESPONSE_BODY) {
      rc.setMaxDirectResponseBodySizeBytes(com.google.protobuf.UInt32Value.of(largest));
    }
    return rc.build();
  }

  /** The status of a request whose Host belongs to another listener than its connection's. */
  static final int MISDIRECTED_REQUEST = 421;

  /**
   * Misdirected requests on HTTPS listeners that share a port (Gateway API: HTTPS listeners detect
   * misdirected requests): the connection's listener was chosen by its TLS server name, so a
   * request whose Host another listener of the port claims, or, on a listener with a hostname, one
   * it does not serve at all, is answered 421 and the client retries on a connection of its own. A
   * listener without a hostname keeps answering 404 for hosts no listener claims.
   */
  static RouteConfiguration misdirected(
      RouteConfiguration rc, HttpListenerIr listener, List<HttpListenerIr> samePort) {
    if (samePort.size() < 2) {
      return rc;
    }
    java.util.Set<String> taken = new java.util.HashSet<>();
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      for (String d : vh.getDomainsList()) {
        taken.add(d.toLowerCase(java.util.Locale.ROOT));
      }
    }
    java.util.Set<String> own = new java.util.HashSet<>();
    for (String h : listener.hostnames()) {
      own.add(h.toLowerCase(java.util.Locale.ROOT));
    }
    boolean catchAll = own.isEmpty() || own.contains("*");
    java.util.TreeSet<String> domains = new java.util.TreeSet<>();
    for (HttpListenerIr other : samePort) {
      if (other == listener) {
        continue;
      }
      for (String h : other.hostnames()) {
        String d = h.toLowerCase(java.util.Locale.ROOT);
        if (!d.equals("*") && !own.contains(d) && !taken.contains(d)) {
          domains.add(d);
        }
      }
    }
    if (!catchAll && !taken.contains("*")) {
      domains.add("*");
    }
    if (domains.isEmpty()) {
      return rc;
    }
    return rc.toBuilder()
        .addVirtualHosts(
            VirtualHost.newBuilder()
                .setName(rc.getName() + "/misdirected")
                .addAllDomains(domains)
                .addRoutes(
                    Route.newBuilder()
                        .setName(rc.getName() + "/misdirected")
                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setDirectResponse(
                            io.envoyproxy.envoy.config.route.v3.DirectResponseAction.newBuilder()
                                .setStatus(MISDIRECTED_REQUEST))))
        .build();
  }

  /** Envoy's default limit on a direct response body, in bytes. */
  static final int DEFAULT_MAX_DIRECT_RESPONSE_BODY = 4096;

  /** The size in bytes (UTF-8, as Envoy counts it) of the largest direct response body. */
  static int largestDirectResponseBody(List<HttpRouteIr> routes) {
    int largest = 0;
    for (HttpRouteIr r : routes) {
      if (r.directResponse() != null && r.directResponse().body() != null) {
        largest =
            Math.max(
                largest,
                r.directResponse().body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      }
    }
    return largest;
  }

  static Route route(HttpRouteIr r) {
    Route.Builder b = Route.newBuilder().setName(r.name()).setMatch(match(r));
    if (r.directResponse() != null) {
      DirectResponseAction.Builder d =
          DirectResponseAction.newBuilder().setStatus(r.directResponse().statusCode());
      if (r.directResponse().body() != null) {
        d.setBody(Protos.inline(r.directResponse().body()));
      }
      b.setDirectResponse(d);
      if (r.directResponse().contentType() != null) {
        b.addResponseHeadersToAdd(
            io.envoyproxy.envoy.config.core.v3.HeaderValueOption.newBuilder()
                .setHeader(
                    io.envoyproxy.envoy.config.core.v3.HeaderValue.newBuilder()
                        .setKey("Content-Type")
                        .setValue(r.directResponse().contentType()))
                .setAppendAction(
                    io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction
                        .OVERWRITE_IF_EXISTS_OR_ADD));
      }
    } else if (r.redirect() != null) {
      b.setRedirect(redirect(r));
    } else {
      b.setRoute(action(r));
    }
    if (r.requestHeaders() != null) {
      b.addAllRequestHeadersToAdd(headerOptions(r.requestHeaders()));
      b.addAllRequestHeadersToRemove(r.requestHeaders().remove());
    }
    if (r.responseHeaders() != null) {
      b.addAllResponseHeadersToAdd(headerOptions(r.responseHeaders()));
      b.addAllResponseHeadersToRemove(r.responseHeaders().remove());
    }
    if (r.security() != null
        && r.security().authorization() != null
        && r.security().authorization().usesGeoIp()) {
      // The geolocation headers are Envoy's own: never forwarded to the backend.
      for (String h : io.eg4j.model.ir.security.GeoIpIr.HEADERS) {
        if (!b.getRequestHeadersToRemoveList().contains(h)) {
          b.addRequestHeadersToRemove(h);
        }
      }
    }
    if (r.traffic() != null
        && !r.traffic().compression().isEmpty()
        && !b.getRequestHeadersToRemoveList().contains("accept-encoding")) {
      // Envoy compresses: the backend sends the body as is, so it is not compressed twice.
      b.addRequestHeadersToRemove("accept-encoding");
    }
    if (r.destination() != null
        && r.destination().cluster() != null
        && r.destination().cluster().loadBalancer() != null
        && r.destination().cluster().loadBalancer().backendUtilization() != null
        && !r.destination().cluster().loadBalancer().backendUtilization().keepResponseHeaders()) {
      // The backends' ORCA load reports are for Envoy's load balancer, not for the client.
      for (String h : List.of("endpoint-load-metrics", "endpoint-load-metrics-bin")) {
        if (!b.getResponseHeadersToRemoveList().contains(h)) {
          b.addResponseHeadersToRemove(h);
        }
      }
    }
    if (r.traffic() != null && r.traffic().telemetry() != null) {
      telemetry(b, r.traffic().telemetry(), r.metadata());
    }
    // Per-route configs of the HTTP filters (CORS, session persistence, authentication …).
    HttpFilters.patchRoute(b, r);
    if (!r.metadata().isEmpty()) {
      Struct.Builder s = Struct.newBuilder();
      new TreeMap<>(r.metadata())
          .forEach((k, v) -> s.putFields(k, Value.newBuilder().setStringValue(v).build()));
      b.getMetadataBuilder().putFilterMetadata("eg4j", s.build());
    }
    return b.build();
  }

  /**
   * A BackendTrafficPolicy's telemetry: the route's stats name ({@code stat_prefix}, its operators
   * filled from the route's metadata) and its tracing (sampling, span tags and span names).
   */
  private static void telemetry(
      Route.Builder b,
      io.eg4j.model.ir.traffic.TrafficIr.TelemetryIr t,
      java.util.Map<String, String> metadata) {
    String stat = t.statName(metadata);
    if (stat != null) {
      b.setStatPrefix(stat);
    }
    var tr = t.tracing();
    if (tr == null) {
      return;
    }
    io.envoyproxy.envoy.config.route.v3.Tracing.Builder out =
        io.envoyproxy.envoy.config.route.v3.Tracing.newBuilder();
    if (tr.samplingNumerator() != null) {
      out.setRandomSampling(Protos.fraction(tr.samplingNumerator(), tr.samplingDenominator()));
    }
    if (tr.clientSampling() != null) {
      out.setClientSampling(
          Protos.fraction(tr.clientSampling().numerator(), tr.clientSampling().denominator()));
    }
    if (tr.overallSampling() != null) {
      out.setOverallSampling(
          Protos.fraction(tr.overallSampling().numerator(), tr.overallSampling().denominator()));
    }
    for (var tag : tr.tags()) {
      io.envoyproxy.envoy.type.tracing.v3.CustomTag.Builder c =
          io.envoyproxy.envoy.type.tracing.v3.CustomTag.newBuilder().setTag(tag.name());
      switch (tag.type()) {
        case "Environment" ->
            c.setEnvironment(
                io.envoyproxy.envoy.type.tracing.v3.CustomTag.Environment.newBuilder()
                    .setName(tag.value())
                    .setDefaultValue(tag.defaultValue() == null ? "" : tag.defaultValue()));
        case "RequestHeader" ->
            c.setRequestHeader(
                io.envoyproxy.envoy.type.tracing.v3.CustomTag.Header.newBuilder()
                    .setName(tag.value())
                    .setDefaultValue(tag.defaultValue() == null ? "" : tag.defaultValue()));
        default ->
            c.setLiteral(
                io.envoyproxy.envoy.type.tracing.v3.CustomTag.Literal.newBuilder()
                    .setValue(tag.value()));
      }
      out.addCustomTags(c);
    }
    if (tr.spanName() != null) {
      NewerProtoFields.setString(
          out, NewerProtoFields.ROUTE_TRACING_OPERATION, tr.spanName().client());
      NewerProtoFields.setString(
          out, NewerProtoFields.ROUTE_TRACING_UPSTREAM_OPERATION, tr.spanName().server());
    }
    b.setTracing(out);
  }

  private static RouteMatch match(HttpRouteIr r) {
    RouteMatch.Builder m = RouteMatch.newBuilder();
    StringMatchIr p = r.pathMatch();
    if (r.traffic() != null && r.traffic().connect()) {
      // A route upgraded to CONNECT matches CONNECT requests, whose target is an authority.
      m.setConnectMatcher(RouteMatch.ConnectMatcher.getDefaultInstance());
    } else if (p == null) {
      m.setPrefix("/");
    } else {
      switch (p.type()) {
        case "Exact" -> m.setPath(p.value());
        case "RegularExpression" -> m.setSafeRegex(regex(p.value()));
        default -> {
          // Gateway API prefixes match whole path segments: /foo matches /foo and /foo/bar, not
          // /foobar. path_separated_prefix is exactly that (it wants no trailing slash).
          String prefix = trimSlash(p.value());
          if (prefix.equals("/")) {
            m.setPrefix("/");
          } else {
            m.setPathSeparatedPrefix(prefix);
          }
        }
      }
    }
    for (StringMatchIr h : r.headerMatches()) {
      m.addHeaders(
          HeaderMatcher.newBuilder()
              .setName(h.name())
              .setStringMatch(stringMatch(h))
              .setInvertMatch(h.invert()));
    }
    for (StringMatchIr q : r.queryMatches()) {
      m.addQueryParameters(
          QueryParameterMatcher.newBuilder().setName(q.name()).setStringMatch(stringMatch(q)));
    }
    if (r.method() != null) {
      m.addHeaders(
          HeaderMatcher.newBuilder()
              .setName(":method")
              .setStringMatch(StringMatcher.newBuilder().setExact(r.method())));
    }
    if (r.grpc()) {
      // GRPCRoute matches only gRPC requests (content-type application/grpc*).
      m.setGrpc(RouteMatch.GrpcRouteMatchOptions.getDefaultInstance());
    }
    return m.build();
  }

  private static StringMatcher stringMatch(StringMatchIr s) {
    return switch (s.type()) {
      case "RegularExpression" -> StringMatcher.newBuilder().setSafeRegex(regex(s.value())).build();
      case "Prefix" -> StringMatcher.newBuilder().setPrefix(s.value()).build();
      // GRPCRoute method-only Exact matches become a suffix on :path ("/Method").
      case "Suffix" -> StringMatcher.newBuilder().setSuffix(s.value()).build();
      default -> StringMatcher.newBuilder().setExact(s.value()).build();
    };
  }

  private static RegexMatcher regex(String re) {
    return RegexMatcher.newBuilder().setRegex(re).build();
  }

  private static RouteAction action(HttpRouteIr r) {
    RouteAction.Builder a = RouteAction.newBuilder();
    if (r.traffic() != null) {
      // The inputs of the backends' consistent-hash load balancer (BackendTrafficPolicy).
      for (io.eg4j.model.ir.traffic.TrafficIr.HashIr h : r.traffic().hash()) {
        RouteAction.HashPolicy.Builder hp = RouteAction.HashPolicy.newBuilder();
        switch (h.type()) {
          case "SourceIP" ->
              hp.setConnectionProperties(
                  RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true));
          case "Header" ->
              hp.setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(h.name()));
          case "Cookie" -> {
            RouteAction.HashPolicy.Cookie.Builder c =
                RouteAction.HashPolicy.Cookie.newBuilder().setName(h.name());
            if (h.ttl() != null) {
              c.setTtl(Protos.millis(h.ttl().millis()));
            }
            h.cookieAttributes()
                .forEach(
                    (name, value) ->
                        c.addAttributes(
                            RouteAction.HashPolicy.CookieAttribute.newBuilder()
                                .setName(name)
                                .setValue(value)));
            hp.setCookie(c);
          }
          default ->
              hp.setQueryParameter(
                  RouteAction.HashPolicy.QueryParameter.newBuilder().setName(h.name()));
        }
        a.addHashPolicy(hp);
      }
    }
    RouteDestinationIr dest = r.destination();
    List<ClusterXdsTranslator.ClusterRef> refs = ClusterXdsTranslator.refs(dest);
    // A backendRef's own filters live on its weighted-cluster entry (headers) or on its own
    // cluster (credential injection, an upstream filter), so the route names it explicitly.
    boolean perBackendHeaders =
        refs.stream()
            .anyMatch(
                ref ->
                    ref.setting().requestHeaders() != null
                        || ref.setting().responseHeaders() != null
                        || ref.setting().credentialInjection() != null);
    if (refs.size() == 1
        && dest.invalidWeight() == 0
        && !perBackendHeaders
        && !ClusterXdsTranslator.perBackendCluster(dest)) {
      a.setCluster(refs.get(0).name());
    } else if (refs.isEmpty() && dest.invalidWeight() == 0) {
      // Every backend has weight 0: nothing may receive traffic (Gateway API: 500).
      a.setCluster(dest.name());
    } else {
      // Weighted clusters also when there is one backend: its own header filters live on its
      // entry, and the invalid backendRefs' share needs an entry of its own.
      WeightedCluster.Builder wc = WeightedCluster.newBuilder();
      if (dest.invalidWeight() > 0) {
        wc.addClusters(
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(INVALID_BACKEND_CLUSTER)
                .setWeight(Protos.u32(dest.invalidWeight())));
      }
      for (ClusterXdsTranslator.ClusterRef ref : refs) {
        WeightedCluster.ClusterWeight.Builder cw =
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(ref.name())
                .setWeight(Protos.u32(ref.weight()));
        HttpRouteIr.HeaderModsIr req = ref.setting().requestHeaders();
        if (req != null) {
          cw.addAllRequestHeadersToAdd(headerOptions(req))
              .addAllRequestHeadersToRemove(req.remove());
        }
        HttpRouteIr.HeaderModsIr resp = ref.setting().responseHeaders();
        if (resp != null) {
          cw.addAllResponseHeadersToAdd(headerOptions(resp))
              .addAllResponseHeadersToRemove(resp.remove());
        }
        wc.addClusters(cw);
      }
      a.setWeightedClusters(wc);
    }
    if (r.destination().invalidWeight() > 0 || a.hasWeightedClusters()) {
      // The invalid backendRefs' share goes to a cluster that never exists, and that answers 500,
      // as the spec asks for an invalid backendRef; a weighted cluster that is missing answers the
      // same (Envoy Gateway does both).
      a.setClusterNotFoundResponseCode(
          RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
    }
    if (r.rewrite() != null) {
      HostRewrites.apply(a, r.rewrite());
      if (r.rewrite().path() != null) {
        PathRewriteIr p = r.rewrite().path();
        if ("ReplaceFullPath".equals(p.type())) {
          a.setRegexRewrite(fullPath(p.value()));
        } else if ("ReplaceRegexMatch".equals(p.type())) {
          a.setRegexRewrite(replaceRegex(p));
        } else {
          String prefix = prefixOf(r, p);
          String value = p.value() == null ? "/" : p.value();
          if (trimSlash(value).equals("/")) {
            a.setRegexRewrite(stripPrefix(prefix));
          } else {
            a.setPrefixRewrite(trimSlash(value));
          }
        }
      }
    }
    var cs = r.destination() == null ? null : r.destination().cluster();
    if (cs != null && cs.streamIdleTimeout() != null) {
      a.setIdleTimeout(Protos.millis(cs.streamIdleTimeout().millis()));
    }
    if (cs != null && cs.maxStreamDuration() != null) {
      a.setMaxStreamDuration(
          RouteAction.MaxStreamDuration.newBuilder()
              .setMaxStreamDuration(Protos.millis(cs.maxStreamDuration().millis())));
    }
    if (r.timeout() != null) {
      a.setTimeout(Protos.millis(r.timeout().millis()));
      if (!a.hasIdleTimeout()) {
        // A stream may stay quiet as long as the request may take (at least an hour), so the
        // connection manager's stream idle timeout does not cut a long request short.
        a.setIdleTimeout(Protos.millis(Math.max(r.timeout().millis(), 3_600_000L)));
      }
    }
    if (r.retry() == null && r.traffic() != null && r.traffic().retry() != null) {
      // The BackendTrafficPolicy's retries, where the route rule sets none of its own.
      a.setRetryPolicy(policyRetry(r.traffic().retry()));
    }
    if (r.retry() != null) {
      a.setRetryPolicy(retry(r.retry()));
    }
    for (HttpRouteIr.MirrorIr m : r.mirrors()) {
      List<ClusterXdsTranslator.ClusterRef> mrefs = ClusterXdsTranslator.refs(m.destination());
      RouteAction.RequestMirrorPolicy.Builder mp =
          RouteAction.RequestMirrorPolicy.newBuilder()
              .setCluster(mrefs.isEmpty() ? m.destination().name() : mrefs.get(0).name());
      if (m.percent() < 100) {
        mp.setRuntimeFraction(
            RuntimeFractionalPercent.newBuilder()
                .setDefaultValue(
                    FractionalPercent.newBuilder()
                        .setNumerator((int) Math.round(m.percent() * 10_000))
                        .setDenominator(FractionalPercent.DenominatorType.MILLION)));
      }
      a.addRequestMirrorPolicies(mp);
    }
    // The upgrades the route accepts: its BackendTrafficPolicy's, else WebSocket (Envoy Gateway's
    // default, on every route).
    List<String> upgrades =
        r.traffic() != null && r.traffic().httpUpgrade() != null
            ? r.traffic().httpUpgrade()
            : List.of("websocket");
    for (String u : upgrades) {
      RouteAction.UpgradeConfig.Builder uc =
          RouteAction.UpgradeConfig.newBuilder().setUpgradeType(u);
      if (u.equals("CONNECT") && r.traffic().connectTerminate()) {
        // Envoy answers the CONNECT and sends the tunnelled bytes to the backend.
        uc.setConnectConfig(RouteAction.UpgradeConfig.ConnectConfig.getDefaultInstance());
      }
      a.addUpgradeConfigs(uc);
    }
    return a.build();
  }

  private static RedirectAction redirect(HttpRouteIr r) {
    HttpRouteIr.RedirectIr rd = r.redirect();
    RedirectAction.Builder b = RedirectAction.newBuilder();
    if (rd.scheme() != null) {
      b.setSchemeRedirect(rd.scheme());
    }
    if (rd.hostname() != null) {
      b.setHostRedirect(rd.hostname());
    }
    if (rd.port() != null) {
      b.setPortRedirect(rd.port());
    }
    if (rd.path() != null) {
      if ("ReplaceFullPath".equals(rd.path().type())) {
        b.setPathRedirect(rd.path().value());
      } else if ("ReplaceRegexMatch".equals(rd.path().type())) {
        b.setRegexRewrite(replaceRegex(rd.path()));
      } else {
        String prefix = prefixOf(r, rd.path());
        String value = rd.path().value() == null ? "/" : rd.path().value();
        if (trimSlash(value).equals("/")) {
          b.setRegexRewrite(stripPrefix(prefix));
        } else {
          b.setPrefixRewrite(trimSlash(value));
        }
      }
    }
    b.setResponseCode(
        switch (rd.statusCode()) {
          case 301 -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
          case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
          case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
          case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
          default -> RedirectAction.RedirectResponseCode.FOUND;
        });
    return b.build();
  }

  /** The prefix a ReplacePrefixMatch replaces: the IR's, else the route's own prefix match. */
  private static String prefixOf(HttpRouteIr r, PathRewriteIr p) {
    if (p.matchedPrefix() != null) {
      return trimSlash(p.matchedPrefix());
    }
    if (r.pathMatch() != null && "PathPrefix".equals(r.pathMatch().type())
        || r.pathMatch() != null && "Prefix".equals(r.pathMatch().type())) {
      return trimSlash(r.pathMatch().value());
    }
    return "/";
  }

  /**
   * Replacing a prefix with "/" must not leave a double slash ({@code /prefix/x} to {@code /x}),
   * which prefix_rewrite would; a regex that eats the prefix and its trailing slashes does it.
   */
  private static RegexMatchAndSubstitute stripPrefix(String prefix) {
    String p = prefix.equals("/") ? "" : Pattern.quote(prefix);
    return RegexMatchAndSubstitute.newBuilder()
        .setPattern(regex("^" + p + "/*"))
        .setSubstitution("/")
        .build();
  }

  /**
   * Envoy Gateway's ReplaceRegexMatch: the IR carries the pattern in {@code matchedPrefix} and the
   * substitution (RE2 {@code \\1} group references, as Envoy expects) in {@code value}.
   */
  private static RegexMatchAndSubstitute replaceRegex(PathRewriteIr p) {
    return RegexMatchAndSubstitute.newBuilder()
        .setPattern(regex(p.matchedPrefix()))
        .setSubstitution(p.value() == null ? "" : p.value())
        .build();
  }

  private static RegexMatchAndSubstitute fullPath(String value) {
    return RegexMatchAndSubstitute.newBuilder()
        .setPattern(regex("^/.*$"))
        .setSubstitution(value.replace("\\", "\\\\"))
        .build();
  }

  private static String trimSlash(String s) {
    if (s == null || s.isEmpty()) {
      return "/";
    }
    String t = s;
    while (t.length() > 1 && t.endsWith("/")) {
      t = t.substring(0, t.length() - 1);
    }
    return t;
  }

  private static List<HeaderValueOption> headerOptions(HttpRouteIr.HeaderModsIr mods) {
    List<HeaderValueOption> out = new ArrayList<>();
    // "set" overwrites, "add" appends; each sorted by name so the output is deterministic.
    addHeaders(out, mods.set(), HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    addHeaders(out, mods.add(), HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
    return out;
  }

  private static void addHeaders(
      List<HeaderValueOption> out,
      Map<String, String> headers,
      HeaderValueOption.HeaderAppendAction action) {
    new TreeMap<>(headers)
        .forEach(
            (k, v) ->
                out.add(
                    HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey(k).setValue(v))
                        .setAppendAction(action)
                        .build()));
  }

  private static RetryPolicy policyRetry(io.eg4j.model.ir.traffic.TrafficIr.RetryIr r) {
    java.util.LinkedHashSet<String> on = new java.util.LinkedHashSet<>(r.triggers());
    if (!r.statusCodes().isEmpty()) {
      on.add("retriable-status-codes");
    }
    if (on.isEmpty()) {
      // Envoy Gateway's default conditions.
      on.add("connect-failure");
      on.add("refused-stream");
      on.add("unavailable");
      on.add("cancelled");
      on.add("retriable-status-codes");
    }
    RetryPolicy.Builder b =
        RetryPolicy.newBuilder()
            .setRetryOn(String.join(",", on))
            .setNumRetries(Protos.u32(r.numRetries()))
            .addAllRetriableStatusCodes(r.statusCodes());
    if (r.perTryTimeout() != null) {
      b.setPerTryTimeout(Protos.millis(r.perTryTimeout().millis()));
    }
    if (r.baseInterval() != null || r.maxInterval() != null) {
      RetryPolicy.RetryBackOff.Builder back = RetryPolicy.RetryBackOff.newBuilder();
      back.setBaseInterval(
          Protos.millis(r.baseInterval() == null ? 25 : Math.max(1, r.baseInterval().millis())));
      if (r.maxInterval() != null) {
        back.setMaxInterval(Protos.millis(Math.max(1, r.maxInterval().millis())));
      }
      b.setRetryBackOff(back);
    }
    if (r.attemptsPerPriority() != null) {
      b.setRetryPriority(
          RetryPolicy.RetryPriority.newBuilder()
              .setName("envoy.retry_priorities.previous_priorities")
              .setTypedConfig(
                  Protos.any(
                      io.envoyproxy.envoy.extensions.retry.priority.previous_priorities.v3
                          .PreviousPrioritiesConfig.newBuilder()
                          .setUpdateFrequency(r.attemptsPerPriority())
                          .build())));
    }
    return b.build();
  }

  private static RetryPolicy retry(HttpRouteIr.RetryIr r) {
    LinkedHashMap<String, Boolean> on = new LinkedHashMap<>();
    r.retryOn().forEach(x -> on.put(x, true));
    if (!r.retriableStatusCodes().isEmpty()) {
      on.put("retriable-status-codes", true);
    }
    if (on.isEmpty()) {
      on.put("connect-failure", true);
      on.put("refused-stream", true);
      on.put("retriable-status-codes", true);
    }
    RetryPolicy.Builder b =
        RetryPolicy.newBuilder()
            .setRetryOn(String.join(",", on.keySet()))
            .setNumRetries(Protos.u32(r.attempts()));
    b.addAllRetriableStatusCodes(r.retriableStatusCodes());
    if (r.perTryTimeout() != null) {
      b.setPerTryTimeout(Protos.millis(r.perTryTimeout().millis()));
    }
    if (r.backoff() != null) {
      b.setRetryBackOff(
          RetryPolicy.RetryBackOff.newBuilder()
              .setBaseInterval(Protos.millis(Math.max(1, r.backoff().millis()))));
    }
    return b.build();
  }
}
