package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.BasicAuthIr;
import io.eg4j.model.ir.security.SecurityIr;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.basic_auth.v3.BasicAuth;
import io.envoyproxy.envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Basic authentication: one basic_auth filter per SecurityPolicy (its forwarded user-name header is
 * a listener-level setting), disabled on the listener and enabled on the policy's routes by their
 * per-route users.
 */
final class BasicAuthFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.basic_auth";

  @Override
  public String type() {
    return TYPE;
  }

  static String filterName(SecurityIr s) {
    return TYPE + "/" + s.policy();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, BasicAuthIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.security() != null && r.security().basicAuth() != null) {
        byFilter.putIfAbsent(filterName(r.security()), r.security().basicAuth());
      }
    }
    byFilter.forEach(
        (name, b) -> {
          BasicAuth.Builder cfg = BasicAuth.newBuilder().setUsers(users(b));
          if (b.forwardUsernameHeader() != null) {
            cfg.setForwardUsernameHeader(b.forwardUsernameHeader());
          }
          filters.add(
              HttpFilter.newBuilder()
                  .setName(name)
                  .setTypedConfig(any(cfg.build()))
                  .setDisabled(true)
                  .build());
        });
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.security() == null || ir.security().basicAuth() == null) {
      return;
    }
    route.putTypedPerFilterConfig(
        filterName(ir.security()),
        any(BasicAuthPerRoute.newBuilder().setUsers(users(ir.security().basicAuth())).build()));
  }

  private static DataSource users(BasicAuthIr b) {
    return DataSource.newBuilder()
        .setInlineBytes(com.google.protobuf.ByteString.copyFrom(b.users(), StandardCharsets.UTF_8))
        .build();
  }
}
