package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.xds.type.v3.TypedStruct;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.model.ir.extension.ExtensionIr.DynamicModuleIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * EnvoyExtensionPolicy dynamic modules in xDS: one disabled dynamic modules filter per module of a
 * policy, its module loaded from a local path or downloaded through the module's cluster, the
 * filter config handed over as a string of JSON, enabled on the policy's routes only, ordered after
 * Wasm by the module's index in its policy.
 */
class DynamicModuleFilterXdsTest {
  private static final RouteDestinationIr REMOTE_CLUSTER =
      new RouteDestinationIr(
          "modules_example_com_443",
          List.of(
              new RouteDestinationIr.DestinationSettingIr(
                  "modules_example_com_443/backend/0",
                  1,
                  "HTTP",
                  "FQDN",
                  List.of(new RouteDestinationIr.EndpointIr("modules.example.com", 443, null)),
                  RouteDestinationIr.UpstreamTlsIr.verified(
                      "modules.example.com", null, List.of()))));

  private static final DynamicModuleIr LOCAL =
      new DynamicModuleIr(
          "envoyextensionpolicy/default/a/dynamic-module/0",
          "check",
          "{\"endpoint\":\"https://auth.example.com\"}",
          false,
          true,
          true,
          "/usr/lib/envoy/modules/libauth.so",
          null,
          null,
          null);

  private static final DynamicModuleIr REMOTE =
      new DynamicModuleIr(
          "envoyextensionpolicy/default/a/dynamic-module/1",
          "",
          null,
          false,
          false,
          false,
          null,
          "https://modules.example.com/libremote.so",
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          REMOTE_CLUSTER);

  private static final DynamicModuleIr OTHER_POLICY =
      new DynamicModuleIr(
          "envoyextensionpolicy/default/b/dynamic-module/0",
          "x",
          null,
          false,
          false,
          false,
          "/opt/libx.so",
          null,
          null,
          null);

  private static HttpRouteIr route(String name, List<DynamicModuleIr> modules) {
    RouteDestinationIr d =
        new RouteDestinationIr(
            name + "/rule/0",
            List.of(
                new RouteDestinationIr.DestinationSettingIr(
                    name + "/rule/0/backend/0",
                    1,
                    "HTTP",
                    "IP",
                    List.of(new RouteDestinationIr.EndpointIr("10.0.0.1", 8080, null)),
                    null)));
    HttpRouteIr r =
        new HttpRouteIr(
            name, "*", null, List.of(), List.of(), null, d, null, null, null, null, null, List.of(),
            null, null, null, false, Map.of(), null, null, null, null, null);
    return modules == null
        ? r
        : r.withExtensions(
            new ExtensionIr(
                modules.get(0).name().replaceAll("/dynamic-module/\\d+$", ""),
                List.of(),
                List.of(),
                List.of(),
                modules));
  }

  private static JsonNode typedStruct(HttpFilter f) throws Exception {
    TypedStruct ts = f.getTypedConfig().unpack(TypedStruct.class);
    assertThat(ts.getTypeUrl())
        .isEqualTo(
            "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3"
                + ".DynamicModuleFilter");
    return Json.MAPPER.readTree(com.google.protobuf.util.JsonFormat.printer().print(ts.getValue()));
  }

  @Test
  void oneDisabledFilterPerModuleWithItsSourceAndConfig() throws Exception {
    DynamicModuleFilterXds x = new DynamicModuleFilterXds();
    List<HttpRouteIr> routes =
        List.of(
            route("a1", List.of(LOCAL, REMOTE)),
            route("a2", List.of(LOCAL, REMOTE)),
            route("plain", null));
    List<HttpFilter> filters = new ArrayList<>();
    x.patchHcm(filters, routes);
    assertThat(filters)
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.dynamic_modules/envoyextensionpolicy/default/a/dynamic-module/0",
            "envoy.filters.http.dynamic_modules/envoyextensionpolicy/default/a/dynamic-module/1");
    assertThat(filters).allMatch(HttpFilter::getDisabled);

    JsonNode local = typedStruct(filters.get(0));
    assertThat(local.path("filter_name").asText()).isEqualTo("check");
    assertThat(local.path("filter_config").path("@type").asText())
        .isEqualTo("type.googleapis.com/google.protobuf.StringValue");
    assertThat(local.path("filter_config").path("value").asText())
        .isEqualTo("{\"endpoint\":\"https://auth.example.com\"}");
    JsonNode dmc = local.path("dynamic_module_config");
    assertThat(dmc.path("do_not_close").asBoolean()).isTrue();
    assertThat(dmc.path("load_globally").asBoolean()).isTrue();
    assertThat(dmc.path("module").path("local").path("filename").asText())
        .isEqualTo("/usr/lib/envoy/modules/libauth.so");
    assertThat(local.has("terminal_filter")).isFalse();

    JsonNode remote = typedStruct(filters.get(1));
    assertThat(remote.has("filter_config")).isFalse();
    JsonNode rdmc = remote.path("dynamic_module_config");
    assertThat(rdmc.has("do_not_close")).isFalse();
    assertThat(rdmc.has("load_globally")).isFalse();
    JsonNode src = rdmc.path("module").path("remote");
    assertThat(src.path("http_uri").path("uri").asText())
        .isEqualTo("https://modules.example.com/libremote.so");
    assertThat(src.path("http_uri").path("cluster").asText()).isEqualTo("modules_example_com_443");
    assertThat(src.path("http_uri").path("timeout").asText()).isEqualTo("10s");
    assertThat(src.path("sha256").asText()).isEqualTo(REMOTE.sha256());

    // Enabled on the policy's routes only, never on a route that fails closed.
    Route.Builder with = Route.newBuilder();
    x.patchRoute(with, routes.get(0));
    assertThat(with.getTypedPerFilterConfigMap()).hasSize(2);
    assertThat(
            with.getTypedPerFilterConfigMap().get(filters.get(0).getName()).is(FilterConfig.class))
        .isTrue();
    Route.Builder without = Route.newBuilder();
    x.patchRoute(without, routes.get(2));
    assertThat(without.getTypedPerFilterConfigMap()).isEmpty();
    Route.Builder closed = Route.newBuilder();
    x.patchRoute(closed, routes.get(0).failClosed(500));
    assertThat(closed.getTypedPerFilterConfigMap()).isEmpty();

    // The remote module's download cluster, once; a local module needs none.
    FilterResources res = new FilterResources();
    x.patchResources(routes, res);
    assertThat(res.singleClusters())
        .extracting(RouteDestinationIr::name)
        .containsExactly("modules_example_com_443");
  }

  @Test
  void filtersSortAfterWasmByTheirIndexThenByName() {
    List<HttpFilter> filters = new ArrayList<>();
    for (String n :
        List.of(
            HttpFilters.ROUTER,
            "envoy.filters.http.rbac",
            DynamicModuleFilterXds.filterName(REMOTE),
            DynamicModuleFilterXds.filterName(OTHER_POLICY),
            DynamicModuleFilterXds.filterName(LOCAL),
            "envoy.filters.http.wasm/envoyextensionpolicy/default/c/wasm/3")) {
      filters.add(HttpFilter.newBuilder().setName(n).build());
    }
    assertThat(HttpFilters.sort(filters, List.of()))
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.wasm/envoyextensionpolicy/default/c/wasm/3",
            "envoy.filters.http.dynamic_modules/envoyextensionpolicy/default/a/dynamic-module/0",
            "envoy.filters.http.dynamic_modules/envoyextensionpolicy/default/b/dynamic-module/0",
            "envoy.filters.http.dynamic_modules/envoyextensionpolicy/default/a/dynamic-module/1",
            "envoy.filters.http.rbac",
            HttpFilters.ROUTER);
  }

  @Test
  void theFilterPrintsAsATypedStructOfItsType() {
    String json =
        Protos.json(
            HttpFilter.newBuilder()
                .setName("x")
                .setTypedConfig(DynamicModuleFilterXds.config(OTHER_POLICY))
                .build());
    // Printed as Envoy reads it: a TypedStruct of the filter's type with the module source.
    assertThat(json)
        .contains(
            "\"type_url\": \"type.googleapis.com/envoy.extensions.filters.http"
                + ".dynamic_modules.v3.DynamicModuleFilter\"");
    assertThat(json).contains("\"filename\": \"/opt/libx.so\"");
  }
}
