package io.eg4j.xds.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Message;
import io.eg4j.model.bootstrap.EnvoyBootstrap;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Text forms of the Envoy resources of one IR, for the CLI and golden tests: an admin {@code
 * config_dump}-style document, a plain resource listing, and a static bootstrap with every resource
 * inline.
 */
public final class XdsOutput {
  /** The admin port of the static bootstrap. */
  public static final int STATIC_ADMIN_PORT = 19000;

  private static final XdsTranslator TRANSLATOR = new XdsTranslator();

  /**
   * YAML that keeps strings that look like numbers quoted: Envoy reads {@code max_age: 600} as a
   * number and rejects it where the proto field is a string.
   */
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
              .enable(
                  com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
              .build());

  private XdsOutput() {}

  /**
   * The resources of an IR in the shape of Envoy's admin {@code /config_dump} (listeners, routes,
   * clusters, endpoints and secrets, each with its content version), as YAML. Private keys are
   * redacted, as Envoy's admin does.
   */
  public static String configDump(XdsIr ir) {
    XdsResources res = TRANSLATOR.translate(ir);
    ObjectNode root = Json.MAPPER.createObjectNode();
    ArrayNode configs = root.putArray("configs");

    ObjectNode listeners = configs.addObject();
    listeners.put("@type", "type.googleapis.com/envoy.admin.v3.ListenersConfigDump");
    String lv = XdsResources.versionOf(res.listeners());
    ArrayNode dl = listeners.putArray("dynamic_listeners");
    res.listeners()
        .forEach(
            l -> {
              ObjectNode n = dl.addObject();
              n.put("name", l.getName());
              ObjectNode active = n.putObject("active_state");
              active.put("version_info", lv);
              active.set("listener", typed(l));
            });

    versioned(configs, "RoutesConfigDump", "dynamic_route_configs", "route_config", res.routes());
    versioned(configs, "ClustersConfigDump", "dynamic_active_clusters", "cluster", res.clusters());
    versioned(
        configs,
        "EndpointsConfigDump",
        "dynamic_endpoint_configs",
        "endpoint_config",
        res.endpoints());

    ObjectNode secrets = configs.addObject();
    secrets.put("@type", "type.googleapis.com/envoy.admin.v3.SecretsConfigDump");
    String sv = XdsResources.versionOf(res.secrets());
    ArrayNode ds = secrets.putArray("dynamic_active_secrets");
    res.secrets()
        .forEach(
            s -> {
              ObjectNode n = ds.addObject();
              n.put("name", s.getName());
              n.put("version_info", sv);
              ObjectNode secret = typed(s);
              redact(secret);
              n.set("secret", secret);
            });
    return yaml(root);
  }

  /**
   * The resources of an IR as one YAML document with a list per type (the golden-test format).
   * Private keys are redacted.
   */
  public static String resources(XdsResources res) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.set("listeners", list(res.listeners()));
    root.set("routes", list(res.routes()));
    root.set("clusters", list(res.clusters()));
    root.set("endpoints", list(res.endpoints()));
    ArrayNode secrets = list(res.secrets());
    secrets.forEach(XdsOutput::redact);
    root.set("secrets", secrets);
    return yaml(root);
  }

  /**
   * A complete Envoy bootstrap that serves the IR with every resource inline (no xds-server):
   * routes inline in their connection managers, endpoints inline in their clusters, secrets static.
   * {@code envoy --mode validate} accepts it. Node cluster = IR key, admin on 127.0.0.1:19000.
   */
  public static String envoyStatic(XdsIr ir) {
    XdsResources res = TRANSLATOR.translate(ir);
    Map<String, JsonNode> routes = new TreeMap<>();
    for (RouteConfiguration r : res.routes()) {
      // Inline route configurations validate their clusters by default (RDS ones do not), and
      // a weighted route's invalid share deliberately names a cluster that never exists.
      routes.put(
          r.getName(),
          node(r.toBuilder().setValidateClusters(com.google.protobuf.BoolValue.of(false)).build()));
    }
    Map<String, JsonNode> assignments = new TreeMap<>();
    for (ClusterLoadAssignment a : res.endpoints()) {
      assignments.put(a.getClusterName(), node(a));
    }
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode nodeId = root.putObject("node");
    nodeId.put("id", ir.key() + "/static");
    nodeId.put("cluster", ir.key());
    root.set("admin", EnvoyBootstrap.admin("127.0.0.1", STATIC_ADMIN_PORT));
    ObjectNode sr = root.putObject("static_resources");
    ArrayNode listeners = sr.putArray("listeners");
    for (var l : res.listeners()) {
      JsonNode n = node(l);
      inlineRoutes(n, routes);
      stripSdsSources(n);
      listeners.add(n);
    }
    ArrayNode clusters = sr.putArray("clusters");
    for (var c : res.clusters()) {
      ObjectNode n = (ObjectNode) node(c);
      stripSdsSources(n);
      if ("EDS".equals(n.path("type").asText())) {
        n.put("type", "STATIC");
        n.remove("eds_cluster_config");
        JsonNode cla = assignments.get(c.getName());
        n.set(
            "load_assignment",
            cla != null ? cla : Json.MAPPER.createObjectNode().put("cluster_name", c.getName()));
      }
      clusters.add(n);
    }
    ArrayNode secrets = sr.putArray("secrets");
    res.secrets().forEach(s -> secrets.add(node(s)));
    root.set("overload_manager", EnvoyBootstrap.overloadManager());
    return yaml(root);
  }

  private static void inlineRoutes(JsonNode n, Map<String, JsonNode> routes) {
    if (n instanceof ObjectNode o) {
      JsonNode rds = o.get("rds");
      if (rds != null && rds.has("route_config_name")) {
        o.remove("rds");
        JsonNode rc = routes.get(rds.get("route_config_name").asText());
        o.set("route_config", rc != null ? rc : Json.MAPPER.createObjectNode());
      }
      o.elements().forEachRemaining(child -> inlineRoutes(child, routes));
    } else if (n instanceof ArrayNode a) {
      a.forEach(child -> inlineRoutes(child, routes));
    }
  }

  /**
   * Static secrets are referenced by name alone: drop the ADS source from every SDS reference
   * (certificates, validation contexts, filter secrets), in listeners and clusters.
   */
  private static void stripSdsSources(JsonNode n) {
    if (n instanceof ObjectNode o) {
      if (o.has("name") && o.path("sds_config").has("ads")) {
        o.remove("sds_config");
      }
      Iterator<JsonNode> it = o.elements();
      while (it.hasNext()) {
        stripSdsSources(it.next());
      }
    } else if (n instanceof ArrayNode a) {
      a.forEach(XdsOutput::stripSdsSources);
    }
  }

  private static void redact(JsonNode secret) {
    JsonNode tls = secret.path("tls_certificate");
    if (tls instanceof ObjectNode o && o.has("private_key")) {
      o.putObject("private_key").put("inline_string", "[redacted]");
    }
  }

  private static ArrayNode list(List<? extends Message> messages) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    messages.forEach(m -> a.add(node(m)));
    return a;
  }

  private static ObjectNode typed(Message m) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("@type", "type.googleapis.com/" + m.getDescriptorForType().getFullName());
    n.setAll((ObjectNode) node(m));
    return n;
  }

  /** A message as a Jackson tree (snake_case field names). */
  public static JsonNode node(Message m) {
    return Protos.jsonTree(m);
  }

  private static String yaml(JsonNode n) {
    try {
      return YAML.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * One admin config-dump section whose entries are {@code {version_info, <field>: resource}}, all
   * under the content version of the list.
   */
  private static void versioned(
      ArrayNode configs,
      String dumpType,
      String arrayName,
      String field,
      List<? extends Message> resources) {
    ObjectNode section = configs.addObject();
    section.put("@type", "type.googleapis.com/envoy.admin.v3." + dumpType);
    String version = XdsResources.versionOf(resources);
    ArrayNode entries = section.putArray(arrayName);
    for (Message m : resources) {
      ObjectNode n = entries.addObject();
      n.put("version_info", version);
      n.set(field, typed(m));
    }
  }
}
