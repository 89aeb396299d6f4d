package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.StringValue;
import com.google.protobuf.UInt32Value;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.AsyncDataSource;
import io.envoyproxy.envoy.config.core.v3.BackoffStrategy;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.core.v3.RemoteDataSource;
import io.envoyproxy.envoy.config.core.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.wasm.v3.Wasm;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.wasm.v3.EnvironmentVariables;
import io.envoyproxy.envoy.extensions.wasm.v3.PluginConfig;
import io.envoyproxy.envoy.extensions.wasm.v3.VmConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * EnvoyExtensionPolicy Wasm extensions: one Wasm filter per extension ({@code
 * envoy.filters.http.wasm/<policy>/wasm/<index>}), disabled on the listener and enabled on the
 * policy's routes. Envoy fetches the module over HTTP through the extension's cluster (retrying
 * with back-off, as Envoy Gateway configures it), refuses it unless its SHA-256 matches, and runs
 * it in the V8 runtime with the extension's {@code config} as its plugin configuration. A module in
 * an OCI image is served only by the control plane's Wasm cache; without it, the extension's routes
 * answer 500 (or run without it, with {@code failOpen}).
 */
final class WasmFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.wasm";
  static final String RUNTIME = "envoy.wasm.runtime.v8";

  @Override
  public String type() {
    return TYPE;
  }

  private static String filterName(WasmIr w) {
    return TYPE + "/" + w.name();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, WasmIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.extensions() != null) {
        for (WasmIr w : r.extensions().wasm()) {
          if (servable(w)) {
            byFilter.putIfAbsent(filterName(w), w);
          }
        }
      }
    }
    byFilter.forEach(
        (name, w) ->
            filters.add(
                HttpFilter.newBuilder()
                    .setName(name)
                    .setTypedConfig(any(config(w)))
                    .setDisabled(true)
                    .build()));
  }

  static Wasm config(WasmIr w) {
    VmConfig.Builder vm =
        VmConfig.newBuilder()
            .setVmId(w.name())
            .setRuntime(RUNTIME)
            .setCode(
                AsyncDataSource.newBuilder()
                    .setRemote(
                        RemoteDataSource.newBuilder()
                            .setHttpUri(
                                HttpUri.newBuilder()
                                    .setUri(w.uri())
                                    .setCluster(w.cluster().name())
                                    .setTimeout(Protos.millis(10_000)))
                            .setSha256(w.sha256())
                            .setRetryPolicy(
                                RetryPolicy.newBuilder()
                                    .setNumRetries(UInt32Value.of(10))
                                    .setRetryBackOff(
                                        BackoffStrategy.newBuilder()
                                            .setBaseInterval(Protos.millis(1_000))
                                            .setMaxInterval(Protos.millis(30_000))))));
    if (!w.hostKeys().isEmpty()) {
      vm.setEnvironmentVariables(EnvironmentVariables.newBuilder().addAllHostEnvKeys(w.hostKeys()));
    }
    PluginConfig.Builder plugin = PluginConfig.newBuilder().setName(w.pluginName()).setVmConfig(vm);
    if (w.rootId() != null) {
      plugin.setRootId(w.rootId());
    }
    if (w.configuration() != null) {
      plugin.setConfiguration(any(StringValue.of(w.configuration())));
    }
    if (w.failOpen()) {
      plugin.setFailOpen(true);
    }
    return Wasm.newBuilder().setConfig(plugin).build();
  }

  /**
   * False for a module in an OCI image that no Wasm cache rewrote ({@code eg4j.xds.wasm-cache} is
   * off): Envoy cannot fetch from a registry.
   */
  private static boolean servable(WasmIr w) {
    return w.cluster() != null && !w.isImage();
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.extensions() == null) {
      return;
    }
    for (WasmIr w : ir.extensions().wasm()) {
      if (!servable(w)) {
        if (!w.failOpen()) {
          // No cache to serve the image's module from: the extension cannot run, so its routes
          // fail closed rather than go unfiltered.
          route
              .clearRoute()
              .clearRedirect()
              .setDirectResponse(
                  io.envoyproxy.envoy.config.route.v3.DirectResponseAction.newBuilder()
                      .setStatus(500));
        }
        continue;
      }
      route.putTypedPerFilterConfig(
          filterName(w),
          any(FilterConfig.newBuilder().setConfig(com.google.protobuf.Any.newBuilder()).build()));
    }
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    for (HttpRouteIr r : routes) {
      if (r.extensions() != null) {
        for (WasmIr w : r.extensions().wasm()) {
          if (servable(w)) {
            out.addSingleCluster(w.cluster());
          }
        }
      }
    }
  }
}
