package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.XdsIr.FilterPositionIr;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedList;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;

/**
 * Every HTTP filter eg4j configures, and the order Envoy runs them in. The connection manager gets
 * the filters its routes use, sorted by Envoy Gateway's default order ({@link #ORDER}), then moved
 * by the EnvoyProxy's {@code filterOrder}; the router always comes last.
 */
public final class HttpFilters {
  /** The terminal router filter. */
  public static final String ROUTER = "envoy.filters.http.router";

  /**
   * Every filter implementation. Their order here does not matter (the output is sorted); each
   * one's position comes from {@link #ORDER}.
   */
  static final List<HttpFilterXds> ALL =
      List.of(
          new CorsFilterXds(),
          new CsrfFilterXds(),
          new StatefulSessionFilterXds(),
          new BasicAuthFilterXds(),
          new ApiKeyAuthFilterXds(),
          new JwtAuthnFilterXds(),
          new ExtAuthzFilterXds(),
          new RbacFilterXds(),
          new DfpLoopbackDenyFilterXds(),
          new GeoIpFilterXds(),
          new OAuth2FilterXds(),
          new GrpcFilterXds(),
          new LocalRateLimitFilterXds(),
          new GlobalRateLimitFilterXds(),
          new TrafficFiltersXds.Fault(),
          new TrafficFiltersXds.Compression(),
          new TrafficFiltersXds.RequestBuffer(),
          new TrafficFiltersXds.Bandwidth(),
          new CustomResponseFilterXds(),
          new CredentialInjectorFilterXds(),
          new LuaFilterXds(),
          new ExtProcFilterXds(),
          new WasmFilterXds(),
          new DynamicModuleFilterXds());

  /**
   * Envoy Gateway's default filter order (its {@code newOrderedHTTPFilter}): health check first
   * (load balancers must see the drain state unchanged), fault injection, CORS before any
   * authentication so that preflights are answered, then authentication (external authorization,
   * API key, basic, OAuth2, JWT), session persistence, buffering, extensions (Lua, ext_proc, Wasm,
   * dynamic modules), authorization, rate limits, gRPC-Web and gRPC statistics, custom responses,
   * credential injection, compression, router. Types not listed sort at 50; equal orders sort by
   * filter name. Dynamic modules add their index in the policy ({@link #INDEXED}).
   */
  static final Map<String, Integer> ORDER =
      Map.ofEntries(
          Map.entry("envoy.filters.http.geoip", -1),
          Map.entry("envoy.filters.http.health_check", 0),
          Map.entry("envoy.filters.http.fault", 1),
          Map.entry("envoy.filters.http.cors", 2),
          Map.entry("envoy.filters.http.ext_authz", 3),
          Map.entry("envoy.filters.http.api_key_auth", 4),
          Map.entry("envoy.filters.http.basic_auth", 5),
          Map.entry("envoy.filters.http.oauth2", 6),
          Map.entry("envoy.filters.http.jwt_authn", 7),
          Map.entry("envoy.filters.http.stateful_session", 8),
          Map.entry("envoy.filters.http.buffer", 9),
          Map.entry("envoy.filters.http.lua", 10),
          Map.entry("envoy.filters.http.ext_proc", 100),
          Map.entry("envoy.filters.http.wasm", 200),
          Map.entry(DynamicModuleFilterXds.TYPE, 250),
          Map.entry("envoy.filters.http.rbac", 301),
          Map.entry("envoy.filters.http.local_ratelimit", 302),
          Map.entry("envoy.filters.http.ratelimit", 303),
          Map.entry(GrpcFilterXds.GRPC_WEB, 304),
          Map.entry(GrpcFilterXds.GRPC_STATS, 305),
          Map.entry("envoy.filters.http.custom_response", 306),
          Map.entry("envoy.filters.http.credential_injector", 307),
          Map.entry("envoy.filters.http.compressor", 308),
          Map.entry(ROUTER, 309));

  private HttpFilters() {}

  /** The filter type of a filter name: the part before the first {@code /}. */
  static String typeOf(String filterName) {
    int slash = filterName.indexOf('/');
    return slash < 0 ? filterName : filterName.substring(0, slash);
  }

  /** True when a filter name is of the given type (a prefix match, as Envoy Gateway has it). */
  static boolean isType(String filterName, String type) {
    return filterName.startsWith(type);
  }

  /**
   * Types whose filters, one per entry of a policy's list ({@code .../<index>}), sort by their base
   * order plus that index, as Envoy Gateway orders them: the first module of every policy runs
   * before the second module of any.
   */
  static final java.util.Set<String> INDEXED = java.util.Set.of(DynamicModuleFilterXds.TYPE);

  static int order(String filterName) {
    String type = typeOf(filterName);
    Integer o = ORDER.get(type);
    if (o != null) {
      return INDEXED.contains(type) ? o + index(filterName) : o;
    }
    // Compressors are named envoy.filters.http.compressor.<algorithm>.
    for (Map.Entry<String, Integer> e : ORDER.entrySet()) {
      if (type.startsWith(e.getKey() + ".")) {
        return e.getValue();
      }
    }
    return 50;
  }

  /** The index a filter name ends with ({@code .../<index>}), or 0 when it ends otherwise. */
  private static int index(String filterName) {
    String last = filterName.substring(filterName.lastIndexOf('/') + 1);
    try {
      return Integer.parseInt(last);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * The HTTP filters of one connection manager whose listeners are {@code listeners}: each
   * feature's filters when a route uses it, the router, in order.
   */
  public static List<HttpFilter> forConnectionManager(
      List<HttpListenerIr> listeners, List<FilterPositionIr> filterOrder) {
    List<HttpRouteIr> routes = new ArrayList<>();
    for (HttpListenerIr l : listeners) {
      routes.addAll(l.routes());
    }
    List<HttpFilter> filters = new ArrayList<>();
    for (HttpFilterXds f : ALL) {
      f.patchHcm(filters, routes);
    }
    // Envoy Gateway's router adds no x-envoy-* headers of its own to requests or responses, so
    // backends and clients see no proxy internals.
    filters.add(
        HttpFilter.newBuilder()
            .setName(ROUTER)
            .setTypedConfig(any(Router.newBuilder().setSuppressEnvoyHeaders(true).build()))
            .build());
    return sort(filters, filterOrder);
  }

  /**
   * Sorts filters by the default order (ties by name, so the output is stable and listeners are not
   * drained for nothing), then applies {@code filterOrder} entries one after the other.
   */
  static List<HttpFilter> sort(List<HttpFilter> filters, List<FilterPositionIr> filterOrder) {
    LinkedList<HttpFilter> out = new LinkedList<>(filters);
    out.sort(
        Comparator.comparingInt((HttpFilter f) -> order(f.getName()))
            .thenComparing(HttpFilter::getName));
    for (FilterPositionIr p : filterOrder) {
      List<HttpFilter> moving = out.stream().filter(f -> isType(f.getName(), p.name())).toList();
      if (moving.isEmpty()) {
        continue;
      }
      if (p.before() != null) {
        int anchor = indexOfFirst(out, p.before());
        if (anchor < 0 || moving.stream().anyMatch(m -> isType(m.getName(), p.before()))) {
          continue;
        }
        HttpFilter anchorFilter = out.get(anchor);
        out.removeAll(moving);
        out.addAll(out.indexOf(anchorFilter), moving);
      } else {
        int anchor = indexOfLast(out, p.after());
        if (anchor < 0 || moving.stream().anyMatch(m -> isType(m.getName(), p.after()))) {
          continue;
        }
        HttpFilter anchorFilter = out.get(anchor);
        out.removeAll(moving);
        out.addAll(out.indexOf(anchorFilter) + 1, moving);
      }
    }
    // The router is terminal: nothing may follow it, whatever filterOrder says.
    out.removeIf(f -> f.getName().equals(ROUTER));
    filters.stream().filter(f -> f.getName().equals(ROUTER)).findFirst().ifPresent(out::addLast);
    return List.copyOf(out);
  }

  private static int indexOfFirst(List<HttpFilter> l, String type) {
    for (ListIterator<HttpFilter> it = l.listIterator(); it.hasNext(); ) {
      int i = it.nextIndex();
      if (isType(it.next().getName(), type)) {
        return i;
      }
    }
    return -1;
  }

  private static int indexOfLast(List<HttpFilter> l, String type) {
    int found = -1;
    for (int i = 0; i < l.size(); i++) {
      if (isType(l.get(i).getName(), type)) {
        found = i;
      }
    }
    return found;
  }

  /**
   * The connection manager's early header mutations for these listeners' routes: the removal of
   * client-supplied internal headers (geolocation). Empty when no route needs one.
   */
  public static List<io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig> earlyHeaderMutations(
      List<HttpListenerIr> listeners) {
    List<HttpRouteIr> routes = new ArrayList<>();
    for (HttpListenerIr l : listeners) {
      routes.addAll(l.routes());
    }
    var geo = GeoIpFilterXds.earlyHeaderRemoval(routes);
    return geo == null ? List.of() : List.of(geo);
  }

  /** Internal request headers a route configuration removes before any backend sees them. */
  public static List<String> internalRequestHeaders(List<HttpRouteIr> routes) {
    return GeoIpFilterXds.provider(routes) == null
        ? List.of()
        : io.eg4j.model.ir.security.GeoIpIr.HEADERS;
  }

  /** Sets every feature's per-route config on a route. */
  public static void patchRoute(Route.Builder route, HttpRouteIr ir) {
    for (HttpFilterXds f : ALL) {
      f.patchRoute(route, ir);
    }
  }

  /** The upstreams and secrets every feature of an IR needs. */
  public static FilterResources resources(XdsIr ir) {
    List<HttpRouteIr> routes = new ArrayList<>();
    for (HttpListenerIr l : ir.http()) {
      routes.addAll(l.routes());
    }
    FilterResources out = new FilterResources();
    for (HttpFilterXds f : ALL) {
      f.patchResources(routes, out);
    }
    return out;
  }
}
