package io.eg4j.model.bootstrap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Pattern;

/**
 * Renders an Envoy v3 bootstrap that takes all its listeners and clusters from the xds-server over
 * one ADS gRPC stream. Built as a Jackson tree (no Envoy protos here, so shared-model stays light)
 * and written as YAML. The provisioner (host and Kubernetes mode) and the CLI use it, so every
 * proxy eg4j starts identifies itself the same way: node cluster = xDS IR key.
 */
public final class EnvoyBootstrap {
  /** Name of the static cluster that points at the xds-server. */
  public static final String XDS_CLUSTER = "xds_cluster";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** YAML that quotes strings which look like numbers, so Envoy reads them as strings. */
  private static final com.fasterxml.jackson.databind.ObjectMapper YAML =
      new com.fasterxml.jackson.dataformat.yaml.YAMLMapper(
          com.fasterxml.jackson.dataformat.yaml.YAMLFactory.builder()
              .disable(
                  com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature
                      .WRITE_DOC_START_MARKER)
              .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(
                  com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature
                      .ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .build());

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private EnvoyBootstrap() {}

  /** Renders the bootstrap as YAML text. */
  public static String render(EnvoyBootstrapSpec spec) {
    try {
      return YAML.writeValueAsString(tree(spec));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write bootstrap", e);
    }
  }

  /** Renders the bootstrap as a Jackson tree, for callers that add to it before writing. */
  public static ObjectNode tree(EnvoyBootstrapSpec spec) {
    ObjectNode root = F.objectNode();
    ObjectNode node = root.putObject("node");
    node.put("id", spec.nodeId());
    node.put("cluster", spec.nodeCluster());
    root.set("admin", admin(spec.adminAddress(), spec.adminPort()));

    ObjectNode dynamic = root.putObject("dynamic_resources");
    ObjectNode ads = dynamic.putObject("ads_config");
    ads.put("api_type", spec.delta() ? "DELTA_GRPC" : "GRPC");
    ads.put("transport_api_version", "V3");
    // The node goes on every request (no set_node_on_first_message_only): java-control-plane
    // picks the snapshot from the node of each request, not of the stream.
    ads.putArray("grpc_services")
        .addObject()
        .putObject("envoy_grpc")
        .put("cluster_name", XDS_CLUSTER);
    for (String type : new String[] {"lds_config", "cds_config"}) {
      ObjectNode source = dynamic.putObject(type);
      source.putObject("ads");
      source.put("resource_api_version", "V3");
    }

    ObjectNode staticResources = root.putObject("static_resources");
    ArrayNode clusters = staticResources.putArray("clusters");
    clusters.add(xdsCluster(spec));
    if (spec.metrics() != null) {
      ProxyMetricsBootstrap.apply(root, spec.metrics(), spec.adminAddress(), spec.adminPort());
    }
    root.set("overload_manager", overloadManager());
    return root;
  }

  /** The admin block: the admin interface on one address and port. */
  public static ObjectNode admin(String address, int port) {
    ObjectNode admin = F.objectNode();
    admin.putObject("address").set("socket_address", socketAddress(address, port));
    return admin;
  }

  /**
   * Envoy warns at start-up when no global connection limit is configured; a generous limit keeps
   * the log clean without limiting real traffic.
   */
  public static ObjectNode overloadManager() {
    ObjectNode om = F.objectNode();
    ObjectNode monitor = om.putArray("resource_monitors").addObject();
    monitor.put("name", "envoy.resource_monitors.global_downstream_max_connections");
    ObjectNode cfg = monitor.putObject("typed_config");
    cfg.put(
        "@type",
        "type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3"
            + ".DownstreamConnectionsConfig");
    cfg.put("max_active_downstream_connections", 50000);
    return om;
  }

  /** {@code socket_address} with an address and port. */
  public static ObjectNode socketAddress(String address, int port) {
    ObjectNode sa = F.objectNode();
    sa.put("address", address);
    sa.put("port_value", port);
    return sa;
  }

  private static ObjectNode xdsCluster(EnvoyBootstrapSpec spec) {
    ObjectNode c = F.objectNode();
    c.put("name", XDS_CLUSTER);
    // A DNS name (the in-cluster Service) is resolved and re-resolved; an IP needs no DNS.
    c.put("type", isIp(spec.xdsHost()) ? "STATIC" : "STRICT_DNS");
    c.put("connect_timeout", "10s");
    ObjectNode opts = c.putObject("typed_extension_protocol_options");
    ObjectNode http = opts.putObject("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    http.put("@type", "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    ObjectNode h2 = http.putObject("explicit_http_config").putObject("http2_protocol_options");
    // Keep the ADS stream alive through idle periods and notice a dead server quickly.
    ObjectNode keepalive = h2.putObject("connection_keepalive");
    keepalive.put("interval", "30s");
    keepalive.put("timeout", "5s");
    ObjectNode la = c.putObject("load_assignment");
    la.put("cluster_name", XDS_CLUSTER);
    ArrayNode lbEndpoints = la.putArray("endpoints").addObject().putArray("lb_endpoints");
    lbEndpoints
        .addObject()
        .putObject("endpoint")
        .putObject("address")
        .set("socket_address", socketAddress(spec.xdsHost(), spec.xdsPort()));
    if (spec.tls() != null) {
      c.set("transport_socket", upstreamTls(spec));
    }
    return c;
  }

  private static ObjectNode upstreamTls(EnvoyBootstrapSpec spec) {
    EnvoyBootstrapSpec.XdsTls tls = spec.tls();
    ObjectNode ts = F.objectNode();
    ts.put("name", "envoy.transport_sockets.tls");
    ObjectNode cfg = ts.putObject("typed_config");
    cfg.put(
        "@type",
        "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
    String sni = tls.serverName() != null ? tls.serverName() : spec.xdsHost();
    if (!isIp(sni)) {
      cfg.put("sni", sni);
    }
    ObjectNode common = cfg.putObject("common_tls_context");
    ObjectNode cert = common.putArray("tls_certificates").addObject();
    cert.putObject("certificate_chain").put("filename", tls.certFile());
    cert.putObject("private_key").put("filename", tls.keyFile());
    ObjectNode validation = common.putObject("validation_context");
    validation.putObject("trusted_ca").put("filename", tls.caFile());
    if (tls.serverName() != null) {
      ObjectNode san = validation.putArray("match_typed_subject_alt_names").addObject();
      san.put("san_type", isIp(tls.serverName()) ? "IP_ADDRESS" : "DNS");
      san.putObject("matcher").put("exact", tls.serverName());
    }
    return ts;
  }

  static boolean isIp(String host) {
    return IPV4.matcher(host).matches() || host.contains(":");
  }
}
