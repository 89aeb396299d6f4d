package io.eg4j.model.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The EnvoyProxy {@code telemetry.metrics} in the bootstrap, read and rendered. */
class ProxyMetricsTest {
  private static final EnvoyBootstrapSpec PLAIN =
      EnvoyBootstrapSpec.of("default/eg/p", "default/eg", "127.0.0.1", 18000, 19000);

  private static ProxyMetrics read(String json) throws Exception {
    return ProxyMetrics.fromSpec(Json.MAPPER.readTree(json), "gw-ns", "0.0.0.0", 19001);
  }

  private static ObjectNode tree(ProxyMetrics m) {
    return EnvoyBootstrap.tree(PLAIN.withMetrics(m));
  }

  private static List<String> names(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.path("name").asText()));
    return out;
  }

  @Test
  void withoutMetricsTheBootstrapHasNoStatsListener() {
    ObjectNode t = EnvoyBootstrap.tree(PLAIN);
    assertThat(t.path("static_resources").has("listeners")).isFalse();
    assertThat(names(t.path("static_resources").path("clusters"))).containsExactly("xds_cluster");
  }

  @Test
  void theDefaultServesPrometheusOnTheStatsListener() throws Exception {
    ObjectNode t = tree(read("{}"));
    JsonNode listener = t.path("static_resources").path("listeners").path(0);
    assertThat(listener.path("name").asText()).isEqualTo("envoy-gateway-proxy-stats-0.0.0.0-19001");
    assertThat(listener.path("address").path("socket_address").path("port_value").asInt())
        .isEqualTo(19001);
    JsonNode hcm =
        listener.path("filter_chains").path(0).path("filters").path(0).path("typed_config");
    JsonNode route = hcm.path("route_config").path("virtual_hosts").path(0).path("routes").path(0);
    assertThat(route.path("match").path("path").asText()).isEqualTo("/stats/prometheus");
    assertThat(
            route.path("match").path("headers").path(0).path("string_match").path("exact").asText())
        .isEqualTo("GET");
    assertThat(route.path("route").path("cluster").asText()).isEqualTo("prometheus_stats");
    assertThat(names(hcm.path("http_filters"))).containsExactly("envoy.filters.http.router");
    JsonNode prom = t.path("static_resources").path("clusters").path(1);
    assertThat(prom.path("name").asText()).isEqualTo("prometheus_stats");
    // The admin interface, on loopback.
    JsonNode addr =
        prom.path("load_assignment")
            .path("endpoints")
            .path(0)
            .path("lb_endpoints")
            .path(0)
            .path("endpoint")
            .path("address")
            .path("socket_address");
    assertThat(addr.path("address").asText()).isEqualTo("127.0.0.1");
    assertThat(addr.path("port_value").asInt()).isEqualTo(19000);
    assertThat(t.has("stats_sinks")).isFalse();
    assertThat(t.has("stats_config")).isFalse();
  }

  @Test
  void disablingPrometheusRemovesTheListenerAndItsCluster() throws Exception {
    ObjectNode t = tree(read("{\"prometheus\": {\"disable\": true}}"));
    assertThat(t.path("static_resources").has("listeners")).isFalse();
    assertThat(names(t.path("static_resources").path("clusters"))).containsExactly("xds_cluster");
  }

  @Test
  void compressionAddsTheCompressorBeforeTheRouter() throws Exception {
    ObjectNode t =
        tree(
            read(
                "{\"prometheus\": {\"compression\": {\"type\": \"Zstd\", \"minContentLength\": \"2Ki\"}}}"));
    JsonNode hcm =
        t.path("static_resources")
            .path("listeners")
            .path(0)
            .path("filter_chains")
            .path(0)
            .path("filters")
            .path(0)
            .path("typed_config");
    assertThat(names(hcm.path("http_filters")))
        .containsExactly("envoy.filters.http.compressor", "envoy.filters.http.router");
    JsonNode cfg = hcm.path("http_filters").path(0).path("typed_config");
    assertThat(cfg.path("compressor_library").path("typed_config").path("@type").asText())
        .endsWith("compression.zstd.compressor.v3.Zstd");
    assertThat(
            cfg.path("response_direction_config")
                .path("common_config")
                .path("min_content_length")
                .asLong())
        .isEqualTo(2048);
  }

  @Test
  void matchesBecomeTheStatsMatchersInclusionList() throws Exception {
    ObjectNode t =
        tree(
            read(
                """
                {"matches": [{"value": "a.b"}, {"type": "Prefix", "value": "http."},
                             {"type": "Suffix", "value": "_total"},
                             {"type": "RegularExpression", "value": "vhost\\\\..*"}]}
                """));
    JsonNode patterns =
        t.path("stats_config").path("stats_matcher").path("inclusion_list").path("patterns");
    assertThat(patterns.path(0).path("exact").asText()).isEqualTo("a.b");
    assertThat(patterns.path(1).path("prefix").asText()).isEqualTo("http.");
    assertThat(patterns.path(2).path("suffix").asText()).isEqualTo("_total");
    assertThat(patterns.path(3).path("safe_regex").path("regex").asText()).isEqualTo("vhost\\..*");
  }

  @Test
  void openTelemetrySinksGetAClusterEachAndDuplicatesAreDropped() throws Exception {
    ProxyMetrics m =
        read(
            """
            {"prometheus": {"disable": true},
             "sinks": [
              {"type": "OpenTelemetry",
               "openTelemetry": {"host": "10.0.0.9", "port": 4317, "reportCountersAsDeltas": true,
                                 "headers": [{"name": "x-tenant", "value": "t1"}]}},
              {"type": "OpenTelemetry", "openTelemetry": {"host": "10.0.0.9", "port": 4317}},
              {"type": "OpenTelemetry",
               "openTelemetry": {"backendRefs": [{"name": "otel", "port": 4318}]}},
              {"type": "OpenTelemetry",
               "openTelemetry": {"backendRefs": [{"group": "gateway.envoyproxy.io",
                                                  "kind": "Backend", "name": "b", "port": 1}]}}]}
            """);
    assertThat(m.sinks()).hasSize(2);
    assertThat(m.sinks().get(1).host()).isEqualTo("otel.gw-ns.svc");
    assertThat(m.sinks().get(1).port()).isEqualTo(4318);
    ObjectNode t = tree(m);
    JsonNode sinks = t.path("stats_sinks");
    assertThat(names(sinks))
        .containsExactly("envoy.stat_sinks.open_telemetry", "envoy.stat_sinks.open_telemetry");
    JsonNode first = sinks.path(0).path("typed_config");
    assertThat(first.path("grpc_service").path("envoy_grpc").path("cluster_name").asText())
        .isEqualTo("otel_metric_sink_0");
    assertThat(first.path("report_counters_as_deltas").asBoolean()).isTrue();
    assertThat(first.has("report_histograms_as_deltas")).isFalse();
    assertThat(first.path("grpc_service").path("initial_metadata").path(0).path("key").asText())
        .isEqualTo("x-tenant");
    assertThat(names(t.path("static_resources").path("clusters")))
        .containsExactly("xds_cluster", "otel_metric_sink_0", "otel_metric_sink_1");
    JsonNode dns = t.path("static_resources").path("clusters").path(2);
    assertThat(dns.path("type").asText()).isEqualTo("STRICT_DNS");
    assertThat(t.path("static_resources").path("clusters").path(1).path("type").asText())
        .isEqualTo("STATIC");
    // The Backend collector has no address the bootstrap can hold, and says so.
    assertThat(
            ProxyMetrics.unsupportedSinks(
                Json.MAPPER.readTree(
                    "{\"sinks\": [{\"openTelemetry\": {\"backendRefs\": [{\"kind\": \"Backend\","
                        + " \"group\": \"gateway.envoyproxy.io\", \"name\": \"b\", \"port\": 1}]}}]}")))
        .singleElement()
        .asString()
        .contains("backendRef b");
  }
}
