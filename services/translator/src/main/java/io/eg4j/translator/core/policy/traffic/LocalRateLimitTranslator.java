package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr.MatchIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr.RuleIr;
import io.eg4j.model.ir.traffic.LocalRateLimitIr.TokenBucketIr;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code spec.rateLimit} of type Local: a default limit (the rule without client selectors, at most
 * one) and rules whose selectors pick requests by header, method, path, query parameter or client
 * range. As Envoy requires, each rule's interval is a whole multiple of the default's.
 */
final class LocalRateLimitTranslator {
  private LocalRateLimitTranslator() {}

  static final List<String> SUPPORTED =
      List.of(
          "rateLimit.type",
          "rateLimit.local.rules[].limit.requests",
          "rateLimit.local.rules[].limit.unit",
          "rateLimit.local.rules[].shadowMode",
          "rateLimit.local.rules[].xRateLimitHeaders",
          "rateLimit.local.rules[].shared",
          "rateLimit.local.rules[].cost.request.from",
          "rateLimit.local.rules[].cost.request.number",
          "rateLimit.local.rules[].cost.request.metadata.namespace",
          "rateLimit.local.rules[].cost.request.metadata.key",
          "rateLimit.local.rules[].clientSelectors[].headers[].name",
          "rateLimit.local.rules[].clientSelectors[].headers[].type",
          "rateLimit.local.rules[].clientSelectors[].headers[].value",
          "rateLimit.local.rules[].clientSelectors[].headers[].invert",
          "rateLimit.local.rules[].clientSelectors[].methods[].value",
          "rateLimit.local.rules[].clientSelectors[].methods[].invert",
          "rateLimit.local.rules[].clientSelectors[].path.type",
          "rateLimit.local.rules[].clientSelectors[].path.value",
          "rateLimit.local.rules[].clientSelectors[].path.invert",
          "rateLimit.local.rules[].clientSelectors[].queryParams[].name",
          "rateLimit.local.rules[].clientSelectors[].queryParams[].type",
          "rateLimit.local.rules[].clientSelectors[].queryParams[].value",
          "rateLimit.local.rules[].clientSelectors[].queryParams[].invert",
          "rateLimit.local.rules[].clientSelectors[].sourceCIDR.type",
          "rateLimit.local.rules[].clientSelectors[].sourceCIDR.value",
          "rateLimit.local.rules[].clientSelectors[].sourceCIDR.invert");

  private static final Map<String, Long> UNITS =
      Map.of(
          "Second", 1L,
          "Minute", 60L,
          "Hour", 3600L,
          "Day", 86400L,
          "Week", 604800L,
          "Month", 2592000L,
          "Year", 31536000L);

  /**
   * A value eg4j does not enforce yet: the policy is not applied (its routes keep the broader
   * policy's settings), as for a field it does not enforce, rather than invalid.
   */
  private static PolicyException notEnforced(String what) {
    return new PolicyException(
        io.eg4j.translator.core.policy.FieldSupport.message(java.util.List.of(what)));
  }

  /** Null when the policy sets no rate limit. */
  static LocalRateLimitIr translate(JsonNode spec) throws PolicyException {
    JsonNode rl = spec.path("rateLimit");
    if (!rl.isObject()) {
      return null;
    }
    String type = rl.path("type").asText("");
    if (!rl.has("local") && (type.equals("Global") || rl.has("global"))) {
      // Only a global limit (GlobalRateLimitTranslator).
      return null;
    }
    if (rl.has("local")) {
      // The type is deprecated: the limits set say which apply, both when both are set (the
      // global one is GlobalRateLimitTranslator's).
      type = "Local";
    }
    if (!type.equals("Local")) {
      throw new PolicyException("spec.rateLimit.type: unknown type " + type);
    }
    TokenBucketIr defaultBucket = null;
    List<RuleIr> rules = new ArrayList<>();
    boolean headers = true;
    boolean explicit = false;
    JsonNode list = rl.path("local").path("rules");
    for (int i = 0; i < list.size(); i++) {
      JsonNode rule = list.get(i);
      String where = "spec.rateLimit.local.rules[" + i + "]";
      TokenBucketIr bucket = bucket(rule.path("limit"), where + ".limit");
      if ("Off".equals(rule.path("xRateLimitHeaders").asText(""))) {
        headers = false;
      }
      explicit |= rule.hasNonNull("xRateLimitHeaders");
      List<MatchIr> matches = new ArrayList<>();
      for (JsonNode sel : rule.path("clientSelectors")) {
        matches.addAll(selector(sel, where + ".clientSelectors"));
      }
      JsonNode cost = rule.path("cost");
      if (cost.has("response")) {
        throw new PolicyException(where + ".cost.response: not supported for local rate limits");
      }
      if (rule.path("limit").has("fromMetadata")) {
        throw new PolicyException(
            where + ".limit.fromMetadata: not supported for local rate limits");
      }
      GlobalRateLimitIr.CostIr requestCost = requestCost(cost.path("request"), where);
      boolean shared = rule.path("shared").asBoolean(false);
      if (shared) {
        // A bucket of the policy's, whatever route of the policy the request is on.
        rules.add(
            new RuleIr(
                matches, bucket, rule.path("shadowMode").asBoolean(false), requestCost, true));
        continue;
      }
      if (matches.isEmpty()) {
        if (requestCost != null) {
          // The default bucket is the filter's own token bucket, which always takes one token
          // and counts only the requests no other rule matches; a route rate limit's
          // hits_addend applies to descriptors only, and a descriptor matching every request
          // would count the other rules' requests too. Envoy Gateway drops this cost silently.
          throw notEnforced(
              where
                  + ".cost.request on the rule without clientSelectors (Envoy's default local"
                  + " rate limit bucket takes one token per request)");
        }
        if (defaultBucket != null) {
          throw new PolicyException(
              "spec.rateLimit.local.rules: only one rule may have no clientSelectors");
        }
        defaultBucket = bucket;
      } else {
        rules.add(
            new RuleIr(matches, bucket, rule.path("shadowMode").asBoolean(false), requestCost));
      }
    }
    if (defaultBucket != null) {
      for (RuleIr r : rules) {
        if (!r.shared() && r.bucket().intervalSeconds() % defaultBucket.intervalSeconds() != 0) {
          throw new PolicyException(
              "spec.rateLimit.local.rules: a rule's limit unit must be a whole multiple of the"
                  + " unit of the rule without clientSelectors");
        }
      }
    }
    return new LocalRateLimitIr(defaultBucket, rules, headers, explicit);
  }

  /** What a request takes from its rule's bucket, or null for one token. */
  private static GlobalRateLimitIr.CostIr requestCost(JsonNode c, String where)
      throws PolicyException {
    if (!c.isObject()) {
      return null;
    }
    String from = c.path("from").asText("");
    switch (from) {
      case "Number" -> {
        long n = c.path("number").asLong(-1);
        if (n < 0 || n > 0xFFFFFFFFL) {
          throw new PolicyException(
              where + ".cost.request.number: must be set when from is Number");
        }
        return new GlobalRateLimitIr.CostIr(n, null, null);
      }
      case "Metadata" -> {
        JsonNode m = c.path("metadata");
        if (m.path("namespace").asText("").isEmpty() || m.path("key").asText("").isEmpty()) {
          throw new PolicyException(
              where
                  + ".cost.request.metadata: namespace and key must be set when from is Metadata");
        }
        return new GlobalRateLimitIr.CostIr(
            null, m.path("namespace").asText(), m.path("key").asText());
      }
      default -> throw new PolicyException(where + ".cost.request.from: unknown value " + from);
    }
  }

  private static TokenBucketIr bucket(JsonNode limit, String where) throws PolicyException {
    Long seconds = UNITS.get(limit.path("unit").asText(""));
    if (seconds == null) {
      throw new PolicyException(where + ".unit: unknown unit " + limit.path("unit").asText(""));
    }
    long requests = limit.path("requests").asLong(0);
    if (requests < 1 || requests > 0xFFFFFFFFL) {
      throw new PolicyException(where + ".requests: must be at least 1");
    }
    return new TokenBucketIr(requests, seconds);
  }

  private static List<MatchIr> selector(JsonNode sel, String where) throws PolicyException {
    List<MatchIr> out = new ArrayList<>();
    for (JsonNode h : sel.path("headers")) {
      String t = h.path("type").asText("Exact");
      if (t.equals("Distinct")) {
        // Every value of the header gets a bucket of its own; requests without it are not
        // counted by this rule.
        if (h.path("invert").asBoolean(false)) {
          throw new PolicyException(
              where + ".headers: invert cannot be used with type Distinct (there is no value)");
        }
        out.add(new MatchIr("Header", h.path("name").asText(""), "Distinct", null, false));
        continue;
      }
      if (!t.equals("Exact") && !t.equals("RegularExpression")) {
        throw notEnforced(where + ".headers.type " + t);
      }
      out.add(
          new MatchIr(
              "Header",
              h.path("name").asText(""),
              t,
              regexChecked(t, h.path("value").asText(""), where),
              h.path("invert").asBoolean(false)));
    }
    List<String> methods = new ArrayList<>();
    List<String> notMethods = new ArrayList<>();
    for (JsonNode m : sel.path("methods")) {
      (m.path("invert").asBoolean(false) ? notMethods : methods).add(m.path("value").asText());
    }
    if (!methods.isEmpty()) {
      out.add(new MatchIr("Method", null, "RegularExpression", String.join("|", methods), false));
    }
    if (!notMethods.isEmpty()) {
      out.add(new MatchIr("Method", null, "RegularExpression", String.join("|", notMethods), true));
    }
    JsonNode path = sel.path("path");
    if (path.isObject()) {
      String t = path.path("type").asText("PathPrefix");
      out.add(
          new MatchIr(
              "Path",
              null,
              t,
              regexChecked(t, path.path("value").asText("/"), where),
              path.path("invert").asBoolean(false)));
    }
    for (JsonNode q : sel.path("queryParams")) {
      String t = q.path("type").asText("Exact");
      if (t.equals("Distinct")) {
        // A bucket per value of the parameter; requests without it are not counted by this rule.
        if (q.path("invert").asBoolean(false)) {
          throw new PolicyException(
              where + ".queryParams: invert cannot be used with type Distinct (there is no value)");
        }
        out.add(new MatchIr("QueryParam", q.path("name").asText(""), "Distinct", null, false));
        continue;
      }
      if (!t.equals("Exact") && !t.equals("RegularExpression")) {
        throw notEnforced(where + ".queryParams.type " + t);
      }
      out.add(
          new MatchIr(
              "QueryParam",
              q.path("name").asText(""),
              t,
              regexChecked(t, q.path("value").asText(""), where),
              q.path("invert").asBoolean(false)));
    }
    JsonNode cidr = sel.path("sourceCIDR");
    if (cidr.isObject()) {
      String t = cidr.path("type").asText("Exact");
      if (!t.equals("Exact") && !t.equals("Distinct")) {
        throw notEnforced(where + ".sourceCIDR.type " + t);
      }
      String v = cidr.path("value").asText("");
      if (!v.matches("[0-9a-fA-F.:]+/\\d{1,3}")) {
        throw new PolicyException(where + ".sourceCIDR: invalid CIDR " + v);
      }
      // Distinct: each client address in the range has a bucket of its own; Exact: the whole
      // range shares one.
      out.add(new MatchIr("SourceCIDR", null, t, v, cidr.path("invert").asBoolean(false)));
    }
    return out;
  }

  private static String regexChecked(String type, String value, String where)
      throws PolicyException {
    if (type.equals("RegularExpression")) {
      try {
        Pattern.compile(value);
      } catch (PatternSyntaxException e) {
        throw new PolicyException(where + ": invalid regular expression " + value);
      }
    }
    return value;
  }
}
