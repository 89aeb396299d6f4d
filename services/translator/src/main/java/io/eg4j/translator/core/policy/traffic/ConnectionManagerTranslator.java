package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.traffic.ConnectionManagerIr;
import io.eg4j.model.ir.traffic.ConnectionManagerIr.HeaderIr;
import io.eg4j.model.ir.traffic.ConnectionManagerIr.HeaderMutationIr;
import io.eg4j.model.ir.traffic.ConnectionManagerIr.NameMatchIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The connection manager settings of a ClientTrafficPolicy: {@code path}, {@code headers}, {@code
 * http2}, {@code healthCheck}; the values Envoy Gateway gives Envoy for each.
 */
final class ConnectionManagerTranslator {
  private ConnectionManagerTranslator() {}

  static final List<String> SUPPORTED =
      List.of(
          "path.disableMergeSlashes",
          "path.escapedSlashesAction",
          "headers.enableEnvoyHeaders",
          "headers.withUnderscoresAction",
          "headers.preserveXRequestID",
          "headers.requestID",
          "headers.maxRequestHeaderLimit",
          "headers.host.stripTrailingHostDot",
          "headers.xForwardedClientCert.mode",
          "headers.xForwardedClientCert.certDetailsToAdd[]",
          "headers.earlyRequestHeaders.add[].name",
          "headers.earlyRequestHeaders.add[].value",
          "headers.earlyRequestHeaders.addIfAbsent[].name",
          "headers.earlyRequestHeaders.addIfAbsent[].value",
          "headers.earlyRequestHeaders.set[].name",
          "headers.earlyRequestHeaders.set[].value",
          "headers.earlyRequestHeaders.remove[]",
          "headers.earlyRequestHeaders.removeOnMatch[].type",
          "headers.earlyRequestHeaders.removeOnMatch[].value",
          "headers.lateResponseHeaders.add[].name",
          "headers.lateResponseHeaders.add[].value",
          "headers.lateResponseHeaders.addIfAbsent[].name",
          "headers.lateResponseHeaders.addIfAbsent[].value",
          "headers.lateResponseHeaders.set[].name",
          "headers.lateResponseHeaders.set[].value",
          "headers.lateResponseHeaders.remove[]",
          "headers.lateResponseHeaders.removeOnMatch[].type",
          "headers.lateResponseHeaders.removeOnMatch[].value",
          "http2.initialStreamWindowSize",
          "http2.initialConnectionWindowSize",
          "http2.maxConcurrentStreams",
          "http2.onInvalidMessage",
          "healthCheck.path",
          "headers.host",
          "http1.http10.useDefaultHost",
          "http1.preserveHeaderCase",
          "http1.ignoredUpgradeTypes[].type",
          "http1.ignoredUpgradeTypes[].value",
          "http2.connectionKeepalive.interval",
          "http2.connectionKeepalive.timeout",
          "http2.connectionKeepalive.intervalJitter",
          "http2.connectionKeepalive.idleInterval",
          "connection.maxAcceptPerSocketEvent",
          "connection.connectionLimit.value",
          "connection.connectionLimit.closeDelay",
          "proxyProtocol.optional",
          "proxyProtocol",
          "enableProxyProtocol",
          "grpc.enableWeb");

  private static final Map<String, String> ESCAPED_SLASHES =
      Map.of(
          "KeepUnchanged", "KEEP_UNCHANGED",
          "RejectRequest", "REJECT_REQUEST",
          "UnescapeAndForward", "UNESCAPE_AND_FORWARD",
          "UnescapeAndRedirect", "UNESCAPE_AND_REDIRECT");

  private static final Map<String, String> UNDERSCORES =
      Map.of("Allow", "ALLOW", "RejectRequest", "REJECT_REQUEST", "DropHeader", "DROP_HEADER");

  private static final Map<String, String> XFCC =
      Map.of(
          "Sanitize", "SANITIZE",
          "ForwardOnly", "FORWARD_ONLY",
          "AppendForward", "APPEND_FORWARD",
          "SanitizeSet", "SANITIZE_SET",
          "AlwaysForwardOnly", "ALWAYS_FORWARD_ONLY");

  /** Names that Envoy does not let a header mutation touch. */
  private static final Pattern PSEUDO_OR_HOST = Pattern.compile("(?i):.*|host");

  /** Null when the policy sets none of these fields. */
  static ConnectionManagerIr translate(JsonNode spec) throws PolicyException {
    JsonNode path = spec.path("path");
    JsonNode headers = spec.path("headers");
    JsonNode http2 = spec.path("http2");
    JsonNode health = field(spec.path("healthCheck"), "path");
    JsonNode http1 = spec.path("http1");
    JsonNode connection = spec.path("connection");
    JsonNode proxy = spec.path("proxyProtocol");
    boolean legacyProxy = spec.path("enableProxyProtocol").asBoolean(false);
    if (!path.isObject()
        && !headers.isObject()
        && !http2.isObject()
        && health == null
        && !http1.has("preserveHeaderCase")
        && !http1.has("ignoredUpgradeTypes")
        && !http1.path("http10").path("useDefaultHost").asBoolean(false)
        && !connection.has("maxAcceptPerSocketEvent")
        && !connection.has("connectionLimit")
        && !proxy.isObject()
        && !legacyProxy
        && !spec.path("grpc").path("enableWeb").asBoolean(false)) {
      return null;
    }
    List<NameMatchIr> ignored = new ArrayList<>();
    for (JsonNode u : http1.path("ignoredUpgradeTypes")) {
      String t = u.path("type").asText("Exact");
      String v = u.path("value").asText("");
      if (!List.of("Exact", "Prefix", "Suffix", "RegularExpression").contains(t)) {
        throw new PolicyException("spec.http1.ignoredUpgradeTypes: unknown type " + t);
      }
      ignored.add(new NameMatchIr(t, v));
    }
    // The same checks as a backend's HTTP/2 keepalive: Envoy refuses PINGs without a timeout.
    ConnectionManagerIr.Http2KeepaliveIr keepalive =
        io.eg4j.translator.core.policy.ClusterSettingsTranslator.http2Keepalive(
            http2.path("connectionKeepalive"), "spec.http2.connectionKeepalive");
    Integer maxAccept = null;
    if (connection.has("maxAcceptPerSocketEvent")) {
      maxAccept = connection.path("maxAcceptPerSocketEvent").asInt();
      if (maxAccept < 0) {
        throw new PolicyException("spec.connection.maxAcceptPerSocketEvent: must not be negative");
      }
    }
    // connection.connectionLimit: Envoy's connection_limit network filter in front of the
    // listener's filters; connections over the limit are closed (after closeDelay when set).
    JsonNode limit = connection.path("connectionLimit");
    Long connectionLimit = null;
    Long closeDelay = null;
    if (limit.has("closeDelay") && !limit.has("value")) {
      throw new PolicyException(
          "spec.connection.connectionLimit.closeDelay: can only be set together with value");
    }
    if (limit.has("value")) {
      connectionLimit = limit.path("value").asLong();
      if (connectionLimit < 1) {
        throw new PolicyException("spec.connection.connectionLimit.value: must be at least 1");
      }
      var d =
          ClusterSettingsTranslator.duration(
              limit.get("closeDelay"), "spec.connection.connectionLimit.closeDelay");
      closeDelay = d == null ? null : d.millis();
    }
    String proxyProtocol = null;
    if (proxy.isObject()) {
      proxyProtocol = proxy.path("optional").asBoolean(false) ? "Optional" : "Required";
    } else if (legacyProxy) {
      proxyProtocol = "Required";
    }
    String escaped = null;
    if (path.has("escapedSlashesAction")) {
      escaped = ESCAPED_SLASHES.get(path.path("escapedSlashesAction").asText());
      if (escaped == null) {
        throw new PolicyException(
            "spec.path.escapedSlashesAction: unknown action "
                + path.path("escapedSlashesAction").asText());
      }
    }
    String underscores = null;
    if (headers.has("withUnderscoresAction")) {
      underscores = UNDERSCORES.get(headers.path("withUnderscoresAction").asText());
      if (underscores == null) {
        throw new PolicyException(
            "spec.headers.withUnderscoresAction: unknown action "
                + headers.path("withUnderscoresAction").asText());
      }
    }
    Boolean generate = null;
    Boolean preserve = null;
    if (headers.has("requestID")) {
      switch (headers.path("requestID").asText()) {
        case "PreserveOrGenerate" -> {
          generate = true;
          preserve = true;
        }
        case "Preserve" -> {
          generate = false;
          preserve = true;
        }
        case "Generate" -> {
          generate = true;
          preserve = false;
        }
        case "Disable" -> {
          generate = false;
          preserve = false;
        }
        default ->
            throw new PolicyException(
                "spec.headers.requestID: unknown value " + headers.path("requestID").asText());
      }
    } else if (headers.path("preserveXRequestID").asBoolean(false)) {
      preserve = true;
    }
    Integer maxHeadersKb = null;
    if (headers.has("maxRequestHeaderLimit")) {
      long bytes =
          ClusterSettingsTranslator.quantity(
              headers.path("maxRequestHeaderLimit").asText(), "spec.headers.maxRequestHeaderLimit");
      long kb = (bytes + 1023) / 1024;
      if (kb < 1 || kb > 8192) {
        throw new PolicyException(
            "spec.headers.maxRequestHeaderLimit: must be between 1Ki and 8Mi");
      }
      maxHeadersKb = (int) kb;
    }
    String xfcc = null;
    List<String> details = new ArrayList<>();
    JsonNode x = headers.path("xForwardedClientCert");
    if (x.isObject()) {
      xfcc = XFCC.get(x.path("mode").asText("Sanitize"));
      if (xfcc == null) {
        throw new PolicyException(
            "spec.headers.xForwardedClientCert.mode: unknown mode " + x.path("mode").asText());
      }
      if (xfcc.equals("APPEND_FORWARD") || xfcc.equals("SANITIZE_SET")) {
        for (JsonNode d : x.path("certDetailsToAdd")) {
          details.add(d.asText());
        }
      }
    }
    // The same HTTP/2 settings as a backend connection's (ClusterSettings.http2).
    ConnectionManagerIr.Http2Ir h2 = ClusterSettingsTranslator.http2(http2, "spec");
    String healthPath = null;
    if (health != null) {
      healthPath = health.asText();
      if (!healthPath.startsWith("/")) {
        throw new PolicyException("spec.healthCheck.path: must start with /");
      }
    }
    return new ConnectionManagerIr(
        path.has("disableMergeSlashes") ? !path.path("disableMergeSlashes").asBoolean() : null,
        escaped,
        headers.path("enableEnvoyHeaders").asBoolean(false),
        underscores,
        generate,
        preserve,
        mutation(headers.path("earlyRequestHeaders"), "spec.headers.earlyRequestHeaders"),
        mutation(headers.path("lateResponseHeaders"), "spec.headers.lateResponseHeaders"),
        h2,
        healthPath,
        maxHeadersKb,
        xfcc,
        details,
        headers.path("host").path("stripTrailingHostDot").asBoolean(false),
        null,
        http1.path("http10").path("useDefaultHost").asBoolean(false),
        http1.path("preserveHeaderCase").asBoolean(false),
        ignored,
        keepalive,
        maxAccept,
        proxyProtocol,
        spec.path("grpc").path("enableWeb").asBoolean(false),
        connectionLimit,
        closeDelay);
  }

  private static Long millis(JsonNode n, String field) throws PolicyException {
    var d =
        ClusterSettingsTranslator.duration(n.get(field), "spec.http2.connectionKeepalive." + field);
    return d == null ? null : d.millis();
  }

  /** A child of {@code n} by name, ignoring case (as Envoy Gateway's decoder reads fields). */
  private static JsonNode field(JsonNode n, String name) {
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static HeaderMutationIr mutation(JsonNode m, String where) throws PolicyException {
    if (!m.isObject()) {
      return null;
    }
    HeaderMutationIr out =
        new HeaderMutationIr(
            headers(m.path("add"), where + ".add"),
            headers(m.path("addIfAbsent"), where + ".addIfAbsent"),
            headers(m.path("set"), where + ".set"),
            new ArrayList<>(names(m.path("remove"), where + ".remove")),
            matches(m.path("removeOnMatch"), where + ".removeOnMatch"));
    return out.isEmpty() ? null : out;
  }

  /** The headers of a list, duplicates dropped (a header given twice is added once). */
  private static List<HeaderIr> headers(JsonNode list, String where) throws PolicyException {
    LinkedHashSet<HeaderIr> out = new LinkedHashSet<>();
    for (JsonNode h : list) {
      String name = h.path("name").asText("");
      check(name, where);
      out.add(new HeaderIr(name, h.path("value").asText("")));
    }
    return new ArrayList<>(out);
  }

  private static LinkedHashSet<String> names(JsonNode list, String where) throws PolicyException {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (JsonNode n : list) {
      check(n.asText(""), where);
      out.add(n.asText());
    }
    return out;
  }

  private static void check(String name, String where) throws PolicyException {
    if (name.isEmpty() || PSEUDO_OR_HOST.matcher(name).matches()) {
      throw new PolicyException(where + ": header " + name + " cannot be changed");
    }
  }

  private static List<NameMatchIr> matches(JsonNode list, String where) throws PolicyException {
    LinkedHashSet<NameMatchIr> out = new LinkedHashSet<>();
    for (JsonNode n : list) {
      String type = n.path("type").asText("Exact");
      String value = n.path("value").asText("");
      switch (type) {
        case "Exact", "Prefix", "Suffix" -> {}
        case "RegularExpression" -> {
          try {
            Pattern.compile(value);
          } catch (PatternSyntaxException e) {
            throw new PolicyException(where + ": invalid regular expression " + value);
          }
        }
        default -> throw new PolicyException(where + ": unknown match type " + type);
      }
      out.add(new NameMatchIr(type, value));
    }
    return new ArrayList<>(out);
  }
}
