package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.extension.ExtensionIr.WasmIr;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Wasm module in an OCI image that no Wasm cache rewrote (the cache is off): Envoy cannot fetch
 * from a registry, so no filter is configured for it and its routes answer 500, unless the
 * extension is {@code failOpen}, when they run without it. A module over HTTP is configured as
 * always.
 */
class WasmFilterXdsTest {
  private final WasmFilterXds xds = new WasmFilterXds();

  private static WasmIr image(boolean failOpen) {
    return new WasmIr(
        "p/wasm/0",
        "p/wasm/0",
        null,
        null,
        failOpen,
        "oci://r.example/w@sha256:" + "a".repeat(64),
        "b".repeat(64),
        null,
        List.of(),
        "{\"auths\":{}}");
  }

  private static WasmIr http() {
    return new WasmIr(
        "p/wasm/1",
        "p/wasm/1",
        null,
        null,
        false,
        "https://m.example/w.wasm",
        "c".repeat(64),
        new RouteDestinationIr(
            "m",
            List.of(
                new DestinationSettingIr(
                    "m/0", 1, "HTTP", "FQDN", List.of(new EndpointIr("m.example", 443)), null))),
        List.of());
  }

  private static HttpRouteIr route(WasmIr... wasm) {
    RouteDestinationIr backend =
        new RouteDestinationIr(
            "backend",
            List.of(
                new DestinationSettingIr(
                    "backend/0", 1, "HTTP", "IP", List.of(new EndpointIr("127.0.0.1", 9)), null)));
    return new HttpRouteIr(
            "r", null, null, null, null, null, backend, null, null, null, null, null, null, null,
            null, null, false, null, null, null, null, null, null)
        .withExtensions(new ExtensionIr("p", List.of(), List.of(), List.of(wasm)));
  }

  private static Route.Builder forwarding() {
    return Route.newBuilder().setName("r").setRoute(RouteAction.newBuilder().setCluster("b"));
  }

  @Test
  void anImageModuleWithoutTheCacheFailsItsRoutesClosed() {
    HttpRouteIr r = route(image(false), http());
    List<HttpFilter> filters = new ArrayList<>();
    xds.patchHcm(filters, List.of(r));
    assertThat(filters)
        .extracting(HttpFilter::getName)
        .containsExactly("envoy.filters.http.wasm/p/wasm/1");
    Route.Builder b = forwarding();
    xds.patchRoute(b, r);
    assertThat(b.hasDirectResponse()).isTrue();
    assertThat(b.getDirectResponse().getStatus()).isEqualTo(500);
    assertThat(b.hasRoute()).isFalse();
  }

  @Test
  void withFailOpenTheRouteRunsWithoutIt() {
    HttpRouteIr r = route(image(true));
    List<HttpFilter> filters = new ArrayList<>();
    xds.patchHcm(filters, List.of(r));
    assertThat(filters).isEmpty();
    Route.Builder b = forwarding();
    xds.patchRoute(b, r);
    assertThat(b.hasRoute()).isTrue();
    assertThat(b.getTypedPerFilterConfigMap()).isEmpty();
  }
}
