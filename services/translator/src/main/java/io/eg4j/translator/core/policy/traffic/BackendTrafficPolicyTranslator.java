package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates one BackendTrafficPolicy into the {@link TrafficIr} its routes carry. Each feature is
 * its own class beside this one that lists the spec fields it enforces and builds its IR record. A
 * policy that sets a field no feature enforces yields an error: it is {@code Accepted=False} and
 * changes nothing (DESIGN.md invariant 9).
 */
public final class BackendTrafficPolicyTranslator {
  /** Every spec path a BackendTrafficPolicy may set and still be enforced. */
  public static final List<String> SUPPORTED = supported();

  private static List<String> supported() {
    List<String> all = new ArrayList<>(FieldSupport.ATTACHMENT);
    // The cluster settings, at the top of the spec.
    all.addAll(ClusterSettingsTranslator.FIELDS);
    all.addAll(DynamicModuleLoadBalancerTranslator.SUPPORTED);
    all.addAll(
        List.of(
            "retry.numRetries",
            "retry.numAttemptsPerPriority",
            "retry.retryOn.triggers[]",
            "retry.retryOn.httpStatusCodes[]",
            "retry.perRetry.timeout",
            "retry.perRetry.backOff.baseInterval",
            "retry.perRetry.backOff.maxInterval",
            "routingType"));
    all.addAll(LocalRateLimitTranslator.SUPPORTED);
    all.addAll(GlobalRateLimitTranslator.SUPPORTED);
    all.addAll(RouteFeaturesTranslator.SUPPORTED);
    all.addAll(TelemetryTranslator.SUPPORTED);
    all.addAll(ResponseOverrideTranslator.SUPPORTED);
    all.addAll(AdmissionControlTranslator.SUPPORTED);
    return List.copyOf(all);
  }

  /**
   * The outcome: the IR, or the reason the policy cannot be enforced.
   *
   * @param ir the traffic settings, null on error
   * @param error the Accepted=False message, null on success
   */
  public record Result(TrafficIr ir, String error) {}

  private final PolicyEnv env;

  /** A translator that resolves references through {@code env}. */
  public BackendTrafficPolicyTranslator(PolicyEnv env) {
    this.env = env;
  }

  /** A child of {@code n} by name, ignoring case (as Envoy Gateway's decoder reads fields). */
  private static JsonNode field(JsonNode n, String name) {
    var it = n.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** {@code spec.retry}: retries of the route's requests. */
  private static TrafficIr.RetryIr retry(JsonNode spec) throws PolicyException {
    JsonNode r = field(spec, "retry");
    if (!r.isObject()) {
      return null;
    }
    JsonNode on = field(r, "retryOn");
    List<String> triggers = new ArrayList<>();
    field(on, "triggers").forEach(t -> triggers.add(t.asText()));
    for (String t : triggers) {
      if (!t.matches("^[a-z0-9-]+$")) {
        throw new PolicyException("spec.retry.retryOn.triggers: invalid trigger " + t);
      }
    }
    List<Integer> codes = new ArrayList<>();
    for (JsonNode c : field(on, "httpStatusCodes")) {
      int code = c.asInt();
      if (code < 100 || code > 599) {
        throw new PolicyException("spec.retry.retryOn.httpStatusCodes: invalid status " + code);
      }
      codes.add(code);
    }
    JsonNode per = field(r, "perRetry");
    JsonNode backOff = field(per, "backOff");
    JsonNode perPriority = field(r, "numAttemptsPerPriority");
    io.eg4j.model.ir.DurationIr base =
        ClusterSettingsTranslator.duration(
            field(backOff, "baseInterval"), "spec.retry.perRetry.backOff.baseInterval");
    io.eg4j.model.ir.DurationIr max =
        ClusterSettingsTranslator.duration(
            field(backOff, "maxInterval"), "spec.retry.perRetry.backOff.maxInterval");
    if ((base != null && base.millis() < 1) || (max != null && max.millis() < 1)) {
      throw new PolicyException("spec.retry.perRetry.backOff: intervals must be at least 1ms");
    }
    if (base != null && max != null && max.millis() < base.millis()) {
      throw new PolicyException(
          "spec.retry.perRetry.backOff: maxInterval must not be less than baseInterval");
    }
    return new TrafficIr.RetryIr(
        field(r, "numRetries").asInt(2),
        triggers,
        codes,
        ClusterSettingsTranslator.duration(field(per, "timeout"), "spec.retry.perRetry.timeout"),
        base,
        max,
        perPriority.canConvertToInt() ? perPriority.asInt() : null);
  }

  /**
   * What a consistent-hash load balancer hashes ({@code spec.loadBalancer.consistentHash}): the
   * client address, headers, a cookie (set by Envoy when missing, with its TTL) or query
   * parameters.
   */
  private static List<TrafficIr.HashIr> hash(JsonNode spec) throws PolicyException {
    JsonNode lb = spec.path("loadBalancer");
    if (!"ConsistentHash".equals(lb.path("type").asText(""))) {
      return List.of();
    }
    JsonNode ch = lb.path("consistentHash");
    List<TrafficIr.HashIr> out = new ArrayList<>();
    String type = ch.path("type").asText("");
    switch (type) {
      case "SourceIP" -> out.add(new TrafficIr.HashIr("SourceIP", null, null, null));
      case "Header", "Headers" -> {
        if (ch.path("header").has("name")) {
          out.add(
              new TrafficIr.HashIr("Header", ch.path("header").path("name").asText(), null, null));
        }
        for (JsonNode h : ch.path("headers")) {
          out.add(new TrafficIr.HashIr("Header", h.path("name").asText(), null, null));
        }
      }
      case "Cookie" -> {
        JsonNode c = ch.path("cookie");
        io.eg4j.model.ir.DurationIr ttl = null;
        if (c.has("ttl")) {
          try {
            ttl = io.eg4j.model.ir.DurationIr.parseGo(c.path("ttl").asText());
          } catch (IllegalArgumentException e) {
            throw new PolicyException(
                "spec.loadBalancer.consistentHash.cookie.ttl: invalid duration "
                    + c.path("ttl").asText());
          }
        }
        out.add(
            new TrafficIr.HashIr(
                "Cookie", c.path("name").asText(""), ttl, cookieAttributes(c.path("attributes"))));
      }
      case "QueryParams" -> {
        for (JsonNode q : ch.path("queryParams")) {
          out.add(new TrafficIr.HashIr("QueryParameter", q.path("name").asText(), null, null));
        }
      }
      default ->
          throw new PolicyException(
              "spec.loadBalancer.consistentHash.type: unsupported "
                  + (type.isEmpty() ? "(none)" : type));
    }
    for (TrafficIr.HashIr h : out) {
      if (h.name() != null && h.name().isEmpty()) {
        throw new PolicyException(
            "spec.loadBalancer.consistentHash: a " + h.type() + " needs a name");
      }
    }
    if (out.isEmpty()) {
      throw new PolicyException("spec.loadBalancer.consistentHash: nothing to hash");
    }
    return out;
  }

  /**
   * {@code cookie.attributes}: more attributes (name to value, such as {@code SameSite: Strict}) of
   * the cookie Envoy sets; a name must be a token, a value must not hold control characters.
   */
  private static java.util.Map<String, String> cookieAttributes(JsonNode attrs)
      throws PolicyException {
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    for (var it = attrs.fields(); it.hasNext(); ) {
      var e = it.next();
      String v = e.getValue().isNull() ? "" : e.getValue().asText();
      if (!e.getKey().matches("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")) {
        throw new PolicyException(
            "spec.loadBalancer.consistentHash.cookie.attributes: invalid name '"
                + e.getKey()
                + "'");
      }
      if (!v.matches("^[^\\x00-\\x08\\x0A-\\x1F\\x7F]*$")) {
        throw new PolicyException(
            "spec.loadBalancer.consistentHash.cookie.attributes." + e.getKey() + ": invalid value");
      }
      out.put(e.getKey(), v);
    }
    return out;
  }

  /** The kinds a policy with {@code admissionControl} may target (the CRD's validation rule). */
  private static final java.util.Set<String> ADMISSION_CONTROL_TARGETS =
      java.util.Set.of("Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute");

  /**
   * The cluster settings of the route's backends: those at the top of the spec, with the admission
   * control filter that runs on those clusters.
   */
  private static io.eg4j.model.ir.ClusterSettingsIr clusterSettings(
      ObjectNode policy, JsonNode spec, List<JsonNode> envoyProxies) throws PolicyException {
    io.eg4j.model.ir.ClusterSettingsIr cluster =
        DynamicModuleLoadBalancerTranslator.resolve(
            ClusterSettingsTranslator.translate(spec, "spec", true), envoyProxies);
    io.eg4j.model.ir.traffic.AdmissionControlIr ac = AdmissionControlTranslator.translate(spec);
    if (ac == null) {
      return cluster;
    }
    JsonNode own = policy.path("spec");
    List<JsonNode> targets = new ArrayList<>();
    if (own.path("targetRef").isObject()) {
      targets.add(own.path("targetRef"));
    }
    own.path("targetRefs").forEach(targets::add);
    own.path("targetSelectors").forEach(targets::add);
    for (JsonNode t : targets) {
      if (!ADMISSION_CONTROL_TARGETS.contains(t.path("kind").asText(""))) {
        throw new PolicyException(
            "spec.admissionControl: admissionControl can only be used with HTTPRoute, GRPCRoute,"
                + " Gateway, or ListenerSet targets");
      }
    }
    return (cluster == null ? io.eg4j.model.ir.ClusterSettingsIr.NONE : cluster)
        .withAdmissionControl(ac);
  }

  /**
   * Translates a policy whose spec may be the result of merging ({@code mergeType}), without the
   * Gateways it reaches: a dynamic module load balancer is left for each route's Gateway to
   * resolve.
   *
   * @param policy the policy object
   * @param spec the spec to translate
   */
  public Result translate(ObjectNode policy, JsonNode spec) {
    return translate(policy, spec, List.of());
  }

  /**
   * Translates a policy whose spec may be the result of merging ({@code mergeType}).
   *
   * @param policy the policy object
   * @param spec the spec to translate
   * @param envoyProxies the specs of the EnvoyProxies in effect for the Gateways the policy reaches
   *     (an element is null for a Gateway without one): the module of a dynamic module load
   *     balancer must be registered in each
   */
  public Result translate(ObjectNode policy, JsonNode spec, List<JsonNode> envoyProxies) {
    List<String> unsupportedFields = new ArrayList<>(FieldSupport.unsupported(spec, SUPPORTED));
    unsupportedFields.addAll(TelemetryTranslator.unsupported(spec));
    String unsupported = FieldSupport.message(unsupportedFields);
    if (unsupported != null) {
      return new Result(null, unsupported);
    }
    String id =
        "backendtrafficpolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    try {
      return new Result(
          new TrafficIr(
              id,
              clusterSettings(policy, spec, envoyProxies),
              hash(spec),
              retry(spec),
              routingType(spec),
              LocalRateLimitTranslator.translate(spec),
              GlobalRateLimitTranslator.translate(
                  spec,
                  policy.path("metadata").path("namespace").asText(""),
                  policy.path("metadata").path("name").asText(""),
                  env == null ? null : env.gatewayConfig(),
                  env),
              RouteFeaturesTranslator.httpUpgrade(spec),
              RouteFeaturesTranslator.connectTerminate(spec),
              RouteFeaturesTranslator.compression(spec),
              RouteFeaturesTranslator.fault(spec),
              RouteFeaturesTranslator.requestBuffer(spec),
              RouteFeaturesTranslator.bandwidth(spec, "request"),
              RouteFeaturesTranslator.bandwidth(spec, "response"),
              spec.path("bandwidthLimit")
                  .path("response")
                  .path("responseTrailers")
                  .path("prefix")
                  .asText(null),
              TelemetryTranslator.translate(spec),
              ResponseOverrideTranslator.translate(policy, spec, env),
              RouteFeaturesTranslator.compressionMinContentLength(spec)),
          null);
    } catch (PolicyException e) {
      return new Result(null, e.getMessage());
    }
  }

  /**
   * A copy of a policy's spec to merge a route policy over: its response bodies from ConfigMaps are
   * read in its own namespace and written inline first.
   */
  public ObjectNode mergeBase(ObjectNode policy, ObjectNode spec) {
    return ResponseOverrideTranslator.inlineBodies(policy, spec.deepCopy(), env);
  }

  /** {@code spec.routingType}: Service or Endpoint, or null when not set. */
  static String routingType(JsonNode spec) throws PolicyException {
    JsonNode t = spec.get("routingType");
    if (t == null || t.isNull()) {
      return null;
    }
    if (!t.asText().equals("Service") && !t.asText().equals("Endpoint")) {
      throw new PolicyException("spec.routingType: unknown type " + t.asText());
    }
    return t.asText();
  }
}
