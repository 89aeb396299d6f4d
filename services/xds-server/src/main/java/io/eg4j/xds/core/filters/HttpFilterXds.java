package io.eg4j.xds.core.filters;

import io.eg4j.model.ir.HttpRouteIr;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/**
 * One Envoy HTTP filter, as Envoy Gateway's {@code httpFilter} interface has it. Each feature that
 * needs an HTTP filter (CORS, JWT, OIDC, external authorization …) is one implementation; {@link
 * HttpFilters} lists them all and applies them in Envoy Gateway's order. A filter has three duties:
 *
 * <ol>
 *   <li>{@link #patchHcm}: add its listener-level filter(s) to a connection manager, once, and only
 *       when a route of that connection manager uses it;
 *   <li>{@link #patchRoute}: set its per-route config, which enables it on that route. A filter
 *       that is on at the listener level must still do nothing on routes without the feature
 *       (disabled on the listener and enabled per route, or a per-route config that requires
 *       nothing), so one route's policy never leaks to another;
 *   <li>{@link #patchResources}: add the clusters and secrets it needs (a JWKS cluster, an
 *       authorization service, an OIDC HMAC secret).
 * </ol>
 */
public interface HttpFilterXds {
  /**
   * The filter type: the Envoy filter name, such as {@code envoy.filters.http.jwt_authn}. Filters
   * that Envoy needs once per policy are named {@code <type>/<policy id>}; the EnvoyProxy {@code
   * filterOrder} and the default order address them all by type.
   */
  String type();

  /**
   * Adds this filter's HTTP filters for a connection manager whose routes are {@code routes}. Adds
   * nothing when no route uses the feature.
   */
  void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes);

  /** Sets this filter's per-route config on {@code route} when {@code ir} uses the feature. */
  void patchRoute(Route.Builder route, HttpRouteIr ir);

  /** Adds the clusters and secrets that {@code routes} need for this feature. */
  default void patchResources(List<HttpRouteIr> routes, FilterResources out) {}
}
