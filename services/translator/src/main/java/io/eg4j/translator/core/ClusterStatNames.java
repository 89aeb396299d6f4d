package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The EnvoyProxy {@code telemetry.metrics.clusterStatName}: the name under which Envoy keeps the
 * stats of a route rule's cluster ({@code alt_stat_name}). The CRD documents the operators; only
 * the clusters of HTTPRoute and GRPCRoute rules take it, as in Envoy Gateway.
 */
final class ClusterStatNames {
  private ClusterStatNames() {}

  /**
   * The stat name of one rule's cluster, or null when the EnvoyProxy sets no {@code
   * clusterStatName}.
   *
   * @param envoyProxy the EnvoyProxy spec in effect for the Gateway, or null
   * @param route the route
   * @param ruleName the rule's {@code name}, or null when unnamed ({@code -} then)
   * @param ruleIndex the rule's position in the route
   * @param backendRefs the rule's backendRefs as written
   */
  static String of(
      JsonNode envoyProxy,
      RouteContext route,
      String ruleName,
      int ruleIndex,
      List<JsonNode> backendRefs) {
    String format =
        Nodes.text(Nodes.obj(Nodes.obj(envoyProxy, "telemetry"), "metrics"), "clusterStatName");
    if (format == null || format.isEmpty()) {
      return null;
    }
    List<String> refs = new ArrayList<>();
    for (JsonNode ref : backendRefs) {
      String ns = Nodes.text(ref, "namespace", route.namespace);
      refs.add(ns + "/" + Nodes.text(ref, "name", ""));
    }
    return format
        .replace("%ROUTE_KIND%", route.kind.toLowerCase(Locale.ROOT))
        .replace("%ROUTE_NAMESPACE%", route.namespace)
        .replace("%ROUTE_NAME%", route.name)
        .replace("%ROUTE_RULE_NAME%", ruleName == null ? "-" : ruleName)
        .replace("%ROUTE_RULE_NUMBER%", Integer.toString(ruleIndex))
        .replace("%BACKEND_REFS%", String.join("|", refs));
  }
}
