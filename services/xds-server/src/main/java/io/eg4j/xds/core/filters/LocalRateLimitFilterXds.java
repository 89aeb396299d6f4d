package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.UInt32Value;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/**
 * BackendTrafficPolicy local rate limits: the listener carries a local_ratelimit filter without a
 * bucket (it limits nothing), and each route with a limit carries its own: the default bucket, one
 * descriptor per rule, and the rate limit actions that build a request's descriptors from its
 * headers, method, path, query parameters and client address. A refused request gets 429 with the
 * {@code x-ratelimit-*} headers.
 */
final class LocalRateLimitFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.local_ratelimit";
  private static final String STAT_PREFIX = "http_local_rate_limiter";
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /**
   * How many buckets a Distinct rule keeps (one per header value or client address), Envoy
   * Gateway's figure: the least recently used bucket goes when a new value needs one.
   */
  static final int MAX_DYNAMIC_DESCRIPTORS = 10000;

  /** Envoy's descriptor key for the client address (the remote_address action's). */
  private static final String REMOTE_ADDRESS = "remote_address";

  @Override
  public String type() {
    return TYPE;
  }

  private static LocalRateLimitIr of(HttpRouteIr r) {
    return r.traffic() == null ? null : r.traffic().localRateLimit();
  }

  /** The route metadata namespace that names the policies whose shared buckets a route takes. */
  static final String SHARED_METADATA = "eg4j.local_ratelimit.shared";

  /** The filter that holds a policy's shared buckets on a listener. */
  static String sharedFilterName(String policy) {
    return TYPE + "/shared/" + policy;
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    java.util.Map<String, LocalRateLimitIr> shared = new java.util.LinkedHashMap<>();
    for (HttpRouteIr r : routes) {
      LocalRateLimitIr rl = of(r);
      if (rl != null && rl.hasShared()) {
        shared.putIfAbsent(r.traffic().policy(), rl);
      }
    }
    if (routes.stream().anyMatch(r -> of(r) != null)) {
      filters.add(
          HttpFilter.newBuilder()
              .setName(TYPE)
              .setTypedConfig(
                  any(
                      LocalRateLimit.newBuilder()
                          .setStatPrefix(STAT_PREFIX)
                          .setMaxDynamicDescriptors(UInt32Value.of(MAX_DYNAMIC_DESCRIPTORS))
                          .build()))
              .build());
    }
    // A policy's shared rules: one filter on the listener, so one bucket per rule for all the
    // policy's routes. Its descriptors start with the policy, read from the route's metadata, so
    // the listener's other routes make no descriptor and take nothing from these buckets.
    for (java.util.Map.Entry<String, LocalRateLimitIr> e : shared.entrySet()) {
      filters.add(
          HttpFilter.newBuilder()
              .setName(sharedFilterName(e.getKey()))
              .setTypedConfig(
                  Protos.anyWithFields(
                      LocalRateLimit.newBuilder().setStatPrefix(STAT_PREFIX).build(),
                      n -> n.setAll(sharedConfig(e.getKey(), e.getValue()))))
              .build());
    }
  }

  /** The listener-wide config of a policy's shared rules. */
  static ObjectNode sharedConfig(String policy, LocalRateLimitIr rl) {
    ObjectNode c = F.objectNode();
    c.set("token_bucket", bucket(0xFFFFFFFFL, 1));
    c.set("filter_enabled", percent100());
    c.set("filter_enforced", percent100());
    c.put("always_consume_default_token_bucket", false);
    if (rl.rateLimitHeaders()) {
      c.put("enable_x_ratelimit_headers", "DRAFT_VERSION_03");
    }
    if (rl.hasDistinct()) {
      c.put("max_dynamic_descriptors", MAX_DYNAMIC_DESCRIPTORS);
    }
    ArrayNode descriptors = c.putArray("descriptors");
    ArrayNode rateLimits = c.putArray("rate_limits");
    for (int i = 0; i < rl.rules().size(); i++) {
      LocalRateLimitIr.RuleIr rule = rl.rules().get(i);
      if (rule.shared()) {
        addRule(descriptors, rateLimits, rule, i, policy);
      }
    }
    return c;
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    LocalRateLimitIr rl = of(ir);
    if (rl == null) {
      return;
    }
    if (rl.hasShared()) {
      String policy = ir.traffic().policy();
      route
          .getMetadataBuilder()
          .putFilterMetadata(
              SHARED_METADATA,
              com.google.protobuf.Struct.newBuilder()
                  .putFields(
                      policy, com.google.protobuf.Value.newBuilder().setStringValue(policy).build())
                  .build());
      if (rl.defaultBucket() == null
          && rl.rules().stream().allMatch(LocalRateLimitIr.RuleIr::shared)) {
        // Nothing of the route's own: the listener's filter without a bucket limits nothing.
        return;
      }
    }
    route.putTypedPerFilterConfig(
        TYPE,
        Protos.anyWithFields(
            LocalRateLimit.newBuilder().setStatPrefix(STAT_PREFIX).build(),
            n -> n.setAll(config(rl))));
  }

  /** The per-route config in Envoy's JSON form (some action kinds are newer than eg4j's protos). */
  static ObjectNode config(LocalRateLimitIr rl) {
    ObjectNode c = F.objectNode();
    c.set(
        "token_bucket",
        rl.defaultBucket() == null
            ? bucket(0xFFFFFFFFL, 1)
            : bucket(rl.defaultBucket().requests(), rl.defaultBucket().intervalSeconds()));
    c.set("filter_enabled", percent100());
    c.set("filter_enforced", percent100());
    // A request counts against its rules' buckets only, not also against the default bucket.
    c.put("always_consume_default_token_bucket", false);
    if (rl.rateLimitHeaders()) {
      c.put("enable_x_ratelimit_headers", "DRAFT_VERSION_03");
    }
    if (rl.hasDistinct()) {
      // A descriptor entry without a value is a wildcard: Envoy keeps a bucket per value it sees.
      c.put("max_dynamic_descriptors", MAX_DYNAMIC_DESCRIPTORS);
    }
    ArrayNode descriptors = c.putArray("descriptors");
    ArrayNode rateLimits = c.putArray("rate_limits");
    for (int i = 0; i < rl.rules().size(); i++) {
      LocalRateLimitIr.RuleIr rule = rl.rules().get(i);
      if (!rule.shared()) {
        addRule(descriptors, rateLimits, rule, i, null);
      }
    }
    return c;
  }

  /**
   * A rule's descriptor and the rate limit entry whose actions build it; for a shared rule ({@code
   * policy} set) the first entry is the policy, from the route's metadata.
   */
  private static void addRule(
      ArrayNode descriptors,
      ArrayNode rateLimits,
      LocalRateLimitIr.RuleIr rule,
      int i,
      String policy) {
    ObjectNode d = descriptors.addObject();
    ArrayNode entries = d.putArray("entries");
    ObjectNode rateLimit = rateLimits.addObject();
    ArrayNode actions = rateLimit.putArray("actions");
    if (policy != null) {
      entries.addObject().put("key", "policy").put("value", policy);
      ObjectNode m = actions.addObject().putObject("metadata");
      m.put("descriptor_key", "policy").put("source", "ROUTE_ENTRY");
      ObjectNode key = m.putObject("metadata_key").put("key", SHARED_METADATA);
      key.putArray("path").addObject().put("key", policy);
      if (rule.matches().isEmpty()) {
        // Every request of the policy's routes.
        String k = "rule-" + i + "-match--1";
        entries.addObject().put("key", k).put("value", k);
        actions
            .addObject()
            .putObject("generic_key")
            .put("descriptor_key", k)
            .put("descriptor_value", k);
      }
    }
    if (rule.requestCost() != null) {
      // The tokens the request takes from the rule's bucket.
      ObjectNode h = rateLimit.putObject("hits_addend");
      if (rule.requestCost().number() != null) {
        h.put("number", rule.requestCost().number());
      } else {
        h.put(
            "format",
            "%DYNAMIC_METADATA("
                + rule.requestCost().metadataNamespace()
                + ":"
                + rule.requestCost().metadataKey()
                + ")%");
      }
    }
    for (int j = 0; j < rule.matches().size(); j++) {
      String key = "rule-" + i + "-match-" + j;
      LocalRateLimitIr.MatchIr m = rule.matches().get(j);
      boolean distinct = "Distinct".equals(m.type());
      if (distinct && "Header".equals(m.on())) {
        // The header's value is the descriptor value: a wildcard entry, a bucket per value. A
        // request without the header makes no descriptor, so the rule does not count it.
        entries.addObject().put("key", key);
        actions
            .addObject()
            .putObject("request_headers")
            .put("header_name", m.name())
            .put("descriptor_key", key);
        continue;
      }
      if (distinct && "QueryParam".equals(m.on())) {
        // As for a header: a bucket per value of the parameter.
        entries.addObject().put("key", key);
        actions
            .addObject()
            .putObject("query_parameters")
            .put("query_parameter_name", m.name())
            .put("descriptor_key", key);
        continue;
      }
      entries.addObject().put("key", key).put("value", key);
      actions.add(action(m, key));
      if (distinct) {
        // In the range (the action above), and then a bucket per client address.
        entries.addObject().put("key", REMOTE_ADDRESS);
        actions.addObject().putObject("remote_address");
      }
    }
    d.set("token_bucket", bucket(rule.bucket().requests(), rule.bucket().intervalSeconds()));
    if (rule.shadowMode()) {
      d.put("shadow_mode", true);
    }
  }

  private static ObjectNode action(LocalRateLimitIr.MatchIr m, String key) {
    ObjectNode a = F.objectNode();
    switch (m.on()) {
      case "SourceCIDR" -> {
        ObjectNode r = a.putObject("remote_address_match");
        ObjectNode matcher = r.putObject("address_matcher");
        int slash = m.value().indexOf('/');
        matcher
            .putArray("ranges")
            .addObject()
            .put("address_prefix", m.value().substring(0, slash))
            .put("prefix_len", Integer.parseInt(m.value().substring(slash + 1)));
        if (m.invert()) {
          matcher.put("invert_match", true);
        }
        r.put("descriptor_key", key).put("descriptor_value", key);
      }
      case "QueryParam" -> {
        ObjectNode q = a.putObject("query_parameter_value_match");
        q.put("descriptor_key", key).put("descriptor_value", key);
        q.put("expect_match", !m.invert());
        ObjectNode p = q.putArray("query_parameters").addObject().put("name", m.name());
        p.set("string_match", stringMatch(m.type(), m.value()));
      }
      default -> {
        ObjectNode h = a.putObject("header_value_match");
        h.put("descriptor_key", key).put("descriptor_value", key);
        h.put("expect_match", !m.invert());
        String name =
            switch (m.on()) {
              case "Method" -> ":method";
              case "Path" -> ":path";
              default -> m.name();
            };
        ObjectNode hm = h.putArray("headers").addObject().put("name", name);
        hm.set("string_match", stringMatch(m.type(), m.value()));
      }
    }
    return a;
  }

  private static ObjectNode stringMatch(String type, String value) {
    ObjectNode s = F.objectNode();
    switch (type) {
      case "RegularExpression" -> s.putObject("safe_regex").put("regex", value);
      case "PathPrefix" -> s.put("prefix", value);
      default -> s.put("exact", value);
    }
    return s;
  }

  private static ObjectNode bucket(long requests, long intervalSeconds) {
    ObjectNode b = F.objectNode();
    b.put("max_tokens", requests);
    b.put("tokens_per_fill", requests);
    b.put("fill_interval", intervalSeconds + "s");
    return b;
  }

  private static ObjectNode percent100() {
    ObjectNode p = F.objectNode();
    p.putObject("default_value").put("numerator", 100).put("denominator", "HUNDRED");
    p.put("runtime_key", "local_rate_limit_enabled");
    return p;
  }
}
