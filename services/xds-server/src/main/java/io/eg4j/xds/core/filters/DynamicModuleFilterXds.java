package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.StringValue;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.eg4j.xds.core.DynamicModuleConfigs;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * EnvoyExtensionPolicy dynamic modules: one dynamic modules filter per module of a policy ({@code
 * envoy.filters.http.dynamic_modules/<policy>/dynamic-module/<index>}), disabled on the listener
 * and enabled on the policy's routes. Envoy loads the module from its local path, or downloads it
 * through the module's cluster and refuses it unless its SHA-256 matches; the filter's {@code
 * config} reaches the module as a string of JSON.
 *
 * <p>The module source ({@code dynamic_module_config.module}) and {@code load_globally} are newer
 * than the protos eg4j builds with: the filter travels as a TypedStruct, which Envoy reads with its
 * own descriptors.
 */
final class DynamicModuleFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.dynamic_modules";

  @Override
  public String type() {
    return TYPE;
  }

  static String filterName(DynamicModuleIr m) {
    return TYPE + "/" + m.name();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, DynamicModuleIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.extensions() != null) {
        for (DynamicModuleIr m : r.extensions().dynamicModules()) {
          byFilter.putIfAbsent(filterName(m), m);
        }
      }
    }
    byFilter.forEach(
        (name, m) ->
            filters.add(
                HttpFilter.newBuilder()
                    .setName(name)
                    .setTypedConfig(config(m))
                    .setDisabled(true)
                    .build()));
  }

  /** The filter's typed config: a {@code DynamicModuleFilter}, as a TypedStruct. */
  static com.google.protobuf.Any config(DynamicModuleIr m) {
    DynamicModuleFilter.Builder f = DynamicModuleFilter.newBuilder().setFilterName(m.filterName());
    if (m.config() != null) {
      f.setFilterConfig(any(StringValue.of(m.config())));
    }
    return Protos.anyWithFields(
        f.build(),
        json -> {
          DynamicModuleConfigs.put(json, m);
          if (m.terminalFilter()) {
            json.put("terminal_filter", true);
          }
        });
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.extensions() == null) {
      return;
    }
    for (DynamicModuleIr m : ir.extensions().dynamicModules()) {
      route.putTypedPerFilterConfig(
          filterName(m),
          any(FilterConfig.newBuilder().setConfig(com.google.protobuf.Any.newBuilder()).build()));
    }
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    for (HttpRouteIr r : routes) {
      if (r.extensions() != null) {
        for (DynamicModuleIr m : r.extensions().dynamicModules()) {
          if (m.cluster() != null) {
            out.addSingleCluster(m.cluster());
          }
        }
      }
    }
  }
}
