package io.eg4j.model.bootstrap;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Renders {@link ProxyMetrics} into a bootstrap tree, as Envoy Gateway's bootstrap does: a stats
 * listener whose only route sends {@code GET /stats/prometheus} to the admin interface (through a
 * static cluster {@code prometheus_stats}), optionally compressed; the stats matcher; and one
 * {@code envoy.stat_sinks.open_telemetry} sink per collector, each with its own HTTP/2 cluster
 * {@code otel_metric_sink_<i>}.
 */
final class ProxyMetricsBootstrap {
  /** The static cluster that reaches the admin interface's Prometheus handler. */
  static final String PROMETHEUS_CLUSTER = "prometheus_stats";

  private static final String HCM =
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3"
          + ".HttpConnectionManager";

  private ProxyMetricsBootstrap() {}

  /** The name of the cluster of the {@code i}-th OpenTelemetry sink (Envoy Gateway's). */
  static String sinkCluster(int i) {
    return "otel_metric_sink_" + i;
  }

  static void apply(ObjectNode root, ProxyMetrics m, String adminAddress, int adminPort) {
    ObjectNode statics = (ObjectNode) root.get("static_resources");
    ArrayNode clusters = (ArrayNode) statics.get("clusters");
    if (!m.matches().isEmpty()) {
      ArrayNode patterns =
          root.putObject("stats_config")
              .putObject("stats_matcher")
              .putObject("inclusion_list")
              .putArray("patterns");
      for (ProxyMetrics.StatsMatch match : m.matches()) {
        ObjectNode p = patterns.addObject();
        switch (match.type()) {
          case "Prefix" -> p.put("prefix", match.value());
          case "Suffix" -> p.put("suffix", match.value());
          case "RegularExpression" -> {
            ObjectNode re = p.putObject("safe_regex");
            re.putObject("google_re2");
            re.put("regex", match.value());
          }
          default -> p.put("exact", match.value());
        }
      }
    }
    if (!m.sinks().isEmpty()) {
      ArrayNode sinks = root.putArray("stats_sinks");
      for (int i = 0; i < m.sinks().size(); i++) {
        ProxyMetrics.OtelSink sink = m.sinks().get(i);
        ObjectNode s = sinks.addObject();
        s.put("name", "envoy.stat_sinks.open_telemetry");
        ObjectNode cfg = s.putObject("typed_config");
        cfg.put(
            "@type",
            "type.googleapis.com/envoy.extensions.stat_sinks.open_telemetry.v3.SinkConfig");
        ObjectNode grpc = cfg.putObject("grpc_service");
        grpc.putObject("envoy_grpc").put("cluster_name", sinkCluster(i));
        if (!sink.headers().isEmpty()) {
          ArrayNode md = grpc.putArray("initial_metadata");
          for (Map.Entry<String, String> h : sink.headers()) {
            md.addObject().put("key", h.getKey()).put("value", h.getValue());
          }
        }
        if (sink.countersAsDeltas()) {
          cfg.put("report_counters_as_deltas", true);
        }
        if (sink.histogramsAsDeltas()) {
          cfg.put("report_histograms_as_deltas", true);
        }
        clusters.add(sinkCluster(sinkCluster(i), sink));
      }
    }
    if (m.prometheus()) {
      statics.putArray("listeners").add(statsListener(m));
      // The admin interface may bind every address; the cluster reaches it on loopback then.
      String admin = adminAddress.equals("0.0.0.0") ? "127.0.0.1" : adminAddress;
      admin = admin.equals("::") ? "::1" : admin;
      clusters.add(staticCluster(PROMETHEUS_CLUSTER, admin, adminPort));
    }
  }

  private static ObjectNode statsListener(ProxyMetrics m) {
    ObjectNode l = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    l.put("name", "envoy-gateway-proxy-stats-" + m.statsAddress() + "-" + m.statsPort());
    l.putObject("address")
        .set("socket_address", EnvoyBootstrap.socketAddress(m.statsAddress(), m.statsPort()));
    // Scrapes go on when the proxy is overloaded: that is when they matter most.
    l.put("bypass_overload_manager", true);
    ObjectNode hcmFilter = l.putArray("filter_chains").addObject().putArray("filters").addObject();
    hcmFilter.put("name", "envoy.filters.network.http_connection_manager");
    ObjectNode hcm = hcmFilter.putObject("typed_config");
    hcm.put("@type", HCM);
    hcm.put("stat_prefix", "eg-stats-http");
    hcm.put("normalize_path", true);
    ObjectNode vh =
        hcm.putObject("route_config")
            .put("name", "local_route")
            .putArray("virtual_hosts")
            .addObject();
    vh.put("name", PROMETHEUS_CLUSTER);
    vh.putArray("domains").add("*");
    ObjectNode route = vh.putArray("routes").addObject();
    ObjectNode match = route.putObject("match");
    match.put("path", ProxyMetrics.PROMETHEUS_PATH);
    ObjectNode method = match.putArray("headers").addObject();
    method.put("name", ":method");
    method.putObject("string_match").put("exact", "GET");
    route.putObject("route").put("cluster", PROMETHEUS_CLUSTER);
    ArrayNode filters = hcm.putArray("http_filters");
    if (m.compression() != null) {
      filters.add(compressor(m));
    }
    ObjectNode router = filters.addObject();
    router.put("name", "envoy.filters.http.router");
    router
        .putObject("typed_config")
        .put("@type", "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router");
    return l;
  }

  private static ObjectNode compressor(ProxyMetrics m) {
    ObjectNode f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    f.put("name", "envoy.filters.http.compressor");
    ObjectNode cfg = f.putObject("typed_config");
    cfg.put("@type", "type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor");
    ObjectNode lib = cfg.putObject("compressor_library");
    String type =
        switch (m.compression()) {
          case "Brotli" -> "brotli.compressor.v3.Brotli";
          case "Zstd" -> "zstd.compressor.v3.Zstd";
          default -> "gzip.compressor.v3.Gzip";
        };
    lib.put("name", "text_optimized");
    lib.putObject("typed_config")
        .put("@type", "type.googleapis.com/envoy.extensions.compression." + type);
    if (m.minContentLength() != null) {
      cfg.putObject("response_direction_config")
          .putObject("common_config")
          .put("min_content_length", m.minContentLength());
    }
    return f;
  }

  private static ObjectNode staticCluster(String name, String address, int port) {
    ObjectNode c = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    c.put("name", name);
    c.put("connect_timeout", "0.250s");
    c.put("type", "STATIC");
    c.put("lb_policy", "ROUND_ROBIN");
    c.set("load_assignment", assignment(name, address, port));
    return c;
  }

  private static ObjectNode sinkCluster(String name, ProxyMetrics.OtelSink sink) {
    ObjectNode c = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    c.put("name", name);
    c.put("connect_timeout", "0.250s");
    // A DNS name (a collector's Service) is resolved and re-resolved; an IP needs no DNS.
    c.put("type", EnvoyBootstrap.isIp(sink.host()) ? "STATIC" : "STRICT_DNS");
    ObjectNode http =
        c.putObject("typed_extension_protocol_options")
            .putObject("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    http.put("@type", "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    http.putObject("explicit_http_config").putObject("http2_protocol_options");
    c.put("lb_policy", "ROUND_ROBIN");
    c.set("load_assignment", assignment(name, sink.host(), sink.port()));
    return c;
  }

  private static ObjectNode assignment(String cluster, String address, int port) {
    ObjectNode la = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    la.put("cluster_name", cluster);
    la.putArray("endpoints")
        .addObject()
        .putArray("lb_endpoints")
        .addObject()
        .putObject("endpoint")
        .putObject("address")
        .set("socket_address", EnvoyBootstrap.socketAddress(address, port));
    return la;
  }
}
