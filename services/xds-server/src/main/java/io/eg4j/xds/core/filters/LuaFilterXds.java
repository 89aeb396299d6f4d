package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.extension.ExtensionIr.LuaIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.LuaPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * EnvoyExtensionPolicy Lua scripts: one Lua filter per script ({@code
 * envoy.filters.http.lua/<policy>/lua/<index>}), disabled on the listener and enabled on the
 * policy's routes; a script's {@code filterContext} goes into its per-route config, where the
 * script reads it with {@code handle:filterContext()}.
 */
final class LuaFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.lua";

  @Override
  public String type() {
    return TYPE;
  }

  private static String filterName(LuaIr lua) {
    return TYPE + "/" + lua.name();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, LuaIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.extensions() != null) {
        for (LuaIr lua : r.extensions().lua()) {
          byFilter.putIfAbsent(filterName(lua), lua);
        }
      }
    }
    byFilter.forEach(
        (name, lua) ->
            filters.add(
                HttpFilter.newBuilder()
                    .setName(name)
                    .setTypedConfig(
                        any(
                            Lua.newBuilder()
                                .setDefaultSourceCode(
                                    DataSource.newBuilder().setInlineString(lua.source()))
                                .build()))
                    .setDisabled(true)
                    .build()));
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.extensions() == null) {
      return;
    }
    for (LuaIr lua : ir.extensions().lua()) {
      route.putTypedPerFilterConfig(filterName(lua), perRoute(lua));
    }
  }

  /**
   * Enables the script on a route: a bare {@code FilterConfig}, or a {@code LuaPerRoute} with the
   * script's filter context (a field newer than the protos eg4j builds with, so it travels as a
   * TypedStruct).
   */
  private static com.google.protobuf.Any perRoute(LuaIr lua) {
    if (lua.filterContext() == null) {
      return any(FilterConfig.newBuilder().setConfig(com.google.protobuf.Any.newBuilder()).build());
    }
    return Protos.anyWithFields(
        LuaPerRoute.getDefaultInstance(),
        json -> {
          try {
            json.set("filter_context", io.eg4j.model.bus.Json.MAPPER.readTree(lua.filterContext()));
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        });
  }
}
