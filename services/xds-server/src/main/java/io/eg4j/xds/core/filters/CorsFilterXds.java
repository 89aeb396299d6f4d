package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.BoolValue;
import io.eg4j.model.ir.HttpRouteIr;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/**
 * CORS: the listener carries an empty cors filter (it acts only where a route has a policy), and
 * each route with CORS carries its policy. The policy comes from the route's own CORS filter
 * (HTTPRoute {@code CORS}), else from the SecurityPolicy in effect.
 */
final class CorsFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.cors";

  @Override
  public String type() {
    return TYPE;
  }

  static HttpRouteIr.CorsIr corsOf(HttpRouteIr r) {
    if (r.cors() != null) {
      return r.cors();
    }
    return r.security() == null ? null : r.security().cors();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    if (routes.stream().anyMatch(r -> corsOf(r) != null)) {
      filters.add(
          HttpFilter.newBuilder()
              .setName(TYPE)
              .setTypedConfig(any(Cors.getDefaultInstance()))
              .build());
    }
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    HttpRouteIr.CorsIr c = corsOf(ir);
    if (c != null) {
      route.putTypedPerFilterConfig(TYPE, any(policy(c)));
    }
  }

  static CorsPolicy policy(HttpRouteIr.CorsIr c) {
    CorsPolicy.Builder b = CorsPolicy.newBuilder();
    for (String origin : c.allowOrigins()) {
      b.addAllowOriginStringMatch(OriginMatchers.of(origin));
    }
    if (!c.allowMethods().isEmpty()) {
      b.setAllowMethods(String.join(", ", c.allowMethods()));
    }
    if (!c.allowHeaders().isEmpty()) {
      b.setAllowHeaders(String.join(", ", c.allowHeaders()));
    }
    if (!c.exposeHeaders().isEmpty()) {
      b.setExposeHeaders(String.join(", ", c.exposeHeaders()));
    }
    if (c.maxAgeSeconds() != null) {
      b.setMaxAge(String.valueOf(c.maxAgeSeconds()));
    }
    b.setAllowCredentials(BoolValue.of(c.allowCredentials()));
    // A preflight from an origin the policy does not allow is answered here, never forwarded.
    b.setForwardNotMatchingPreflights(BoolValue.of(false));
    return b.build();
  }
}
