package io.eg4j.model.ir.traffic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.RuleIr;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The configuration of the global rate limit service (envoyproxy/ratelimit), in its YAML file
 * format: one document per domain, each with the descriptors the proxies' {@code rate_limits}
 * actions build (the xds-server's {@code GlobalRateLimitFilterXds}, with the names {@link
 * #ruleHead} and {@link #headerKey} give) and, at the end of each rule's chain, its limit. A
 * route's own rules sit under the route's descriptor in its listener's domain; a policy's shared
 * rules sit in the policy's domain, once however many routes and listeners use them.
 *
 * <p>Envoy Gateway serves the same descriptors to the service over xDS ({@code
 * ratelimit.config.ratelimit.v3.RateLimitConfig}); eg4j's protos do not have that type, so the
 * service reads these files instead (its {@code RUNTIME_ROOT} directory, watched for changes): on a
 * host the xds-server writes them, in Kubernetes the provisioner keeps them in a ConfigMap. Both
 * read the same xDS IR, so the code lives here, beside the IR.
 */
public final class RateLimitServiceConfigs {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private RateLimitServiceConfigs() {}

  /** Domain to its YAML document, sorted by domain; empty when no route has a global limit. */
  public static Map<String, String> of(Collection<XdsIr> irs) {
    List<HttpRouteIr> routes = new ArrayList<>();
    for (XdsIr ir : irs) {
      for (HttpListenerIr l : ir.http()) {
        routes.addAll(l.routes());
      }
    }
    return ofRoutes(routes);
  }

  /** Like {@link #of}, for these routes. */
  public static Map<String, String> ofRoutes(List<HttpRouteIr> routes) {
    Map<String, ObjectNode> domains = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      GlobalRateLimitIr g = r.traffic() == null ? null : r.traffic().globalRateLimit();
      if (g != null) {
        add(domains, g, r.name());
      }
    }
    Map<String, String> out = new TreeMap<>();
    domains.forEach(
        (d, doc) -> {
          try {
            out.put(d, Json.YAML.writeValueAsString(doc));
          } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the rate limit domain " + d, e);
          }
        });
    return out;
  }

  /** The first descriptor entry of a rule: the route's, or for a shared rule the policy's. */
  public static String ruleHead(GlobalRateLimitIr g, RuleIr rule, int index, String routeName) {
    return rule.shared() ? g.sharedDomain() + "/rule/" + index : routeName;
  }

  /** The descriptor key of a rule's header selector ({@code match} -1: a rule without one). */
  public static String headerKey(int rule, int match) {
    return "rule-" + rule + "-match-" + match;
  }

  /** The descriptor key of a rule's query parameter selector. */
  public static String queryKey(int rule, int match) {
    return "rule-" + rule + "-query-" + match;
  }

  /** A file name for a domain's document: the domain with every other character than [a-z0-9.-]. */
  public static String fileName(String domain) {
    return domain.replaceAll("[^A-Za-z0-9.-]", "_") + ".yaml";
  }

  private static void add(Map<String, ObjectNode> domains, GlobalRateLimitIr g, String routeName) {
    for (int i = 0; i < g.rules().size(); i++) {
      RuleIr rule = g.rules().get(i);
      String domain = rule.shared() ? g.sharedDomain() : g.domain();
      if (domain == null) {
        continue;
      }
      ObjectNode doc =
          domains.computeIfAbsent(
              domain,
              d -> {
                ObjectNode n = F.objectNode();
                n.put("domain", d);
                n.putArray("descriptors");
                return n;
              });
      String head = ruleHead(g, rule, i, routeName);
      ObjectNode top = child((ArrayNode) doc.get("descriptors"), head, head);
      ObjectNode cur = top;
      for (int j = 0; j < rule.headers().size(); j++) {
        String key = headerKey(i, j);
        cur =
            child(
                descriptors(cur),
                key,
                rule.headers().get(j).type().equals("Distinct") ? null : key);
      }
      if (!rule.methods().isEmpty()) {
        cur = child(descriptors(cur), "rule-" + i + "-method", "rule-" + i + "-method");
      }
      if (rule.path() != null) {
        cur = child(descriptors(cur), "rule-" + i + "-path", "rule-" + i + "-path");
      }
      for (int j = 0; j < rule.queryParams().size(); j++) {
        String key = queryKey(i, j);
        cur =
            child(
                descriptors(cur),
                key,
                rule.queryParams().get(j).type().equals("Distinct") ? null : key);
      }
      if (rule.cidr() != null) {
        cur = child(descriptors(cur), "masked_remote_address", rule.cidr().cidr());
        if (rule.cidr().distinct()) {
          cur = child(descriptors(cur), "remote_address", null);
        }
      }
      if (!rule.hasMatch()) {
        String key = headerKey(i, -1);
        cur = child(descriptors(cur), key, key);
      }
      ObjectNode limit = cur.putObject("rate_limit");
      limit.put("unit", rule.unit().toLowerCase(Locale.ROOT));
      limit.put("requests_per_unit", rule.requests());
      if (rule.shadowMode()) {
        cur.put("shadow_mode", true);
      }
    }
  }

  private static ArrayNode descriptors(ObjectNode n) {
    return n.has("descriptors") ? (ArrayNode) n.get("descriptors") : n.putArray("descriptors");
  }

  /** The descriptor of {@code list} with this key and value, added when missing. */
  private static ObjectNode child(ArrayNode list, String key, String value) {
    for (Iterator<com.fasterxml.jackson.databind.JsonNode> it = list.elements(); it.hasNext(); ) {
      ObjectNode d = (ObjectNode) it.next();
      if (d.path("key").asText().equals(key)
          && (value == null ? !d.has("value") : value.equals(d.path("value").asText(null)))) {
        return d;
      }
    }
    ObjectNode d = list.addObject();
    d.put("key", key);
    if (value != null) {
      d.put("value", value);
    }
    return d;
  }
}
