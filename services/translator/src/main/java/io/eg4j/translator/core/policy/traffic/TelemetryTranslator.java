package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.traffic.TrafficIr.SpanNameIr;
import io.eg4j.model.ir.traffic.TrafficIr.TagIr;
import io.eg4j.model.ir.traffic.TrafficIr.TelemetryIr;
import io.eg4j.model.ir.traffic.TrafficIr.TracingIr;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BackendTrafficPolicy's {@code spec.telemetry}: the route's stats name ({@code
 * metrics.routeStatName}, Envoy's route {@code stat_prefix}) and the route's tracing (sampling
 * fractions, span tags and span names, Envoy's route {@code tracing}).
 */
final class TelemetryTranslator {
  private TelemetryTranslator() {}

  static final List<String> SUPPORTED =
      List.of(
          "telemetry.metrics.routeStatName",
          "telemetry.tracing.samplingFraction.numerator",
          "telemetry.tracing.samplingFraction.denominator",
          "telemetry.tracing.clientSamplingFraction.numerator",
          "telemetry.tracing.clientSamplingFraction.denominator",
          "telemetry.tracing.overallSamplingFraction.numerator",
          "telemetry.tracing.overallSamplingFraction.denominator",
          "telemetry.tracing.customTags.**",
          "telemetry.tracing.tags.**",
          "telemetry.tracing.spanName.client",
          "telemetry.tracing.spanName.server");

  /** The operators a route stats name may use. */
  private static final List<String> STAT_OPERATORS =
      List.of("%ROUTE_NAME%", "%ROUTE_NAMESPACE%", "%ROUTE_KIND%", "%ROUTE_RULE_NAME%");

  private static final Pattern OPERATOR = Pattern.compile("%[A-Za-z_]+%");

  /** A tag value that is exactly one request header or environment variable. */
  private static final Pattern TAG_SOURCE =
      Pattern.compile("^%(REQUEST_HEADER|REQ|ENVIRONMENT)\\(([^()%:]+)\\)%$");

  /**
   * Set tag values this translator cannot express in Envoy's route tracing (custom tags of type
   * Metadata, tag values that are command operators other than a single request header or
   * environment variable), as concrete spec paths; the policy is not applied when there are any.
   */
  static List<String> unsupported(JsonNode spec) {
    List<String> out = new ArrayList<>();
    JsonNode tracing = spec.path("telemetry").path("tracing");
    tracing
        .path("customTags")
        .fields()
        .forEachRemaining(
            e -> {
              String type = e.getValue().path("type").asText("Literal");
              if (!List.of("Literal", "Environment", "RequestHeader").contains(type)) {
                out.add("spec.telemetry.tracing.customTags." + e.getKey() + ".type");
              }
            });
    tracing
        .path("tags")
        .fields()
        .forEachRemaining(
            e -> {
              String v = e.getValue().asText("");
              if (v.contains("%") && !TAG_SOURCE.matcher(v).matches()) {
                out.add("spec.telemetry.tracing.tags." + e.getKey());
              }
            });
    return out;
  }

  /** The telemetry settings, or null when the policy sets none. */
  static TelemetryIr translate(JsonNode spec) throws PolicyException {
    JsonNode t = spec.path("telemetry");
    if (!t.isObject()) {
      return null;
    }
    String statName = t.path("metrics").path("routeStatName").asText("");
    if (statName.isEmpty()) {
      statName = null;
    } else {
      Matcher m = OPERATOR.matcher(statName);
      while (m.find()) {
        if (!STAT_OPERATORS.contains(m.group())) {
          throw new PolicyException(
              "spec.telemetry.metrics.routeStatName: unknown operator " + m.group());
        }
      }
    }
    TracingIr tracing = tracing(t.path("tracing"));
    return statName == null && tracing == null ? null : new TelemetryIr(statName, tracing);
  }

  private static TracingIr tracing(JsonNode tr) throws PolicyException {
    if (!tr.isObject()) {
      return null;
    }
    Integer num = null;
    Integer den = null;
    JsonNode f = tr.path("samplingFraction");
    if (f.isObject()) {
      num = f.path("numerator").asInt(0);
      den = f.path("denominator").asInt(100);
      if (num < 0 || den <= 0 || num > den) {
        throw new PolicyException(
            "spec.telemetry.tracing.samplingFraction: the numerator must be 0 to the denominator");
      }
    }
    // Tags by name; a tag in tags replaces a custom tag of the same name.
    Map<String, TagIr> tags = new TreeMap<>();
    var it = tr.path("customTags").fields();
    while (it.hasNext()) {
      var e = it.next();
      JsonNode c = e.getValue();
      String type = c.path("type").asText("Literal");
      TagIr tag =
          switch (type) {
            case "Literal" ->
                new TagIr(e.getKey(), "Literal", c.path("literal").path("value").asText(""), null);
            case "Environment" ->
                new TagIr(
                    e.getKey(),
                    "Environment",
                    name(c.path("environment"), "customTags." + e.getKey() + ".environment"),
                    c.path("environment").path("defaultValue").asText(null));
            case "RequestHeader" ->
                new TagIr(
                    e.getKey(),
                    "RequestHeader",
                    name(c.path("requestHeader"), "customTags." + e.getKey() + ".requestHeader"),
                    c.path("requestHeader").path("defaultValue").asText(null));
            default ->
                throw new PolicyException(
                    "spec.telemetry.tracing.customTags." + e.getKey() + ": unsupported " + type);
          };
      tags.put(e.getKey(), tag);
    }
    var tit = tr.path("tags").fields();
    while (tit.hasNext()) {
      var e = tit.next();
      String v = e.getValue().asText("");
      Matcher m = TAG_SOURCE.matcher(v);
      if (m.matches()) {
        String type = m.group(1).equals("ENVIRONMENT") ? "Environment" : "RequestHeader";
        tags.put(e.getKey(), new TagIr(e.getKey(), type, m.group(2), null));
      } else if (!v.contains("%")) {
        tags.put(e.getKey(), new TagIr(e.getKey(), "Literal", v, null));
      } else {
        throw new PolicyException("spec.telemetry.tracing.tags." + e.getKey() + ": unsupported");
      }
    }
    var client = fraction(tr, "clientSamplingFraction");
    var overall = fraction(tr, "overallSamplingFraction");
    SpanNameIr spanName = spanName(tr.path("spanName"));
    if (num == null && tags.isEmpty() && client == null && overall == null && spanName == null) {
      return null;
    }
    return new TracingIr(num, den, List.copyOf(tags.values()), client, overall, spanName);
  }

  /** {@code spanName}: both names are required (the CRD's rule), or null when not set. */
  private static SpanNameIr spanName(JsonNode n) throws PolicyException {
    if (!n.isObject()) {
      return null;
    }
    String client = n.path("client").asText("");
    String server = n.path("server").asText("");
    if (client.isEmpty() || server.isEmpty()) {
      throw new PolicyException(
          "spec.telemetry.tracing.spanName: both client and server are required");
    }
    return new SpanNameIr(client, server);
  }

  private static String name(JsonNode n, String where) throws PolicyException {
    String name = n.path("name").asText("");
    if (name.isEmpty()) {
      throw new PolicyException("spec.telemetry.tracing." + where + ".name: required");
    }
    return name;
  }

  /** A sampling fraction of {@code spec.telemetry.tracing}, or null when not set. */
  private static io.eg4j.model.ir.traffic.TrafficIr.FractionIr fraction(JsonNode tr, String name)
      throws PolicyException {
    JsonNode f = tr.path(name);
    if (!f.isObject()) {
      return null;
    }
    int num = f.path("numerator").asInt(0);
    int den = f.path("denominator").asInt(100);
    if (num < 0 || den <= 0 || num > den) {
      throw new PolicyException(
          "spec.telemetry.tracing." + name + ": the numerator must be 0 to the denominator");
    }
    return new io.eg4j.model.ir.traffic.TrafficIr.FractionIr(num, den);
  }
}
