package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr;
import io.eg4j.translator.core.policy.LocalReplyBody;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A BackendTrafficPolicy's {@code spec.responseOverride}: responses with one of the given status
 * codes and all the given response headers are replaced, through Envoy's custom response filter, by
 * a local response (a body inline or from a ConfigMap's {@code response.body}, a content type, a
 * status code, headers) or by the response to an internal redirect of the request (scheme, host,
 * port, full path; the redirect's status code), as Envoy Gateway does.
 *
 * <p>{@code source} limits a rule to Envoy's own replies or to upstream responses.
 *
 * <p>Refused with the reason: {@code response.header.remove} (a local response policy can only add
 * headers; the CRD forbids it too) and {@code redirect.path.replacePrefixMatch} (Envoy's redirect
 * policy rejects a prefix rewrite; the CRD allows only ReplaceFullPath).
 */
final class ResponseOverrideTranslator {
  private ResponseOverrideTranslator() {}

  static final List<String> SUPPORTED =
      List.of(
          "responseOverride[].match.statusCodes[].type",
          "responseOverride[].match.statusCodes[].value",
          "responseOverride[].match.statusCodes[].range.start",
          "responseOverride[].match.statusCodes[].range.end",
          "responseOverride[].response.contentType",
          "responseOverride[].response.body.type",
          "responseOverride[].response.body.inline",
          "responseOverride[].response.body.valueRef.group",
          "responseOverride[].response.body.valueRef.kind",
          "responseOverride[].response.body.valueRef.name",
          "responseOverride[].response.statusCode",
          "responseOverride[].response.header.add[].name",
          "responseOverride[].response.header.add[].value",
          "responseOverride[].response.header.set[].name",
          "responseOverride[].response.header.set[].value",
          "responseOverride[].match.responseHeaders[].name",
          "responseOverride[].match.responseHeaders[].value.type",
          "responseOverride[].match.responseHeaders[].value.value",
          "responseOverride[].redirect.scheme",
          "responseOverride[].redirect.hostname",
          "responseOverride[].redirect.port",
          "responseOverride[].redirect.path.type",
          "responseOverride[].redirect.path.replaceFullPath",
          "responseOverride[].redirect.statusCode",
          "responseOverride[].source",
          // Listed so that translate() refuses these two with the reason, not the generic message.
          "responseOverride[].response.header.remove[]",
          "responseOverride[].redirect.path.replacePrefixMatch");

  private static final String HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$";

  /** The overrides, in order (the first that matches a response applies), or an empty list. */
  static List<ResponseOverrideIr> translate(ObjectNode policy, JsonNode spec, PolicyEnv env)
      throws PolicyException {
    List<ResponseOverrideIr> out = new ArrayList<>();
    JsonNode list = spec.path("responseOverride");
    for (int i = 0; i < list.size(); i++) {
      String where = "spec.responseOverride[" + i + "]";
      JsonNode o = list.get(i);
      TreeSet<Integer> codes = new TreeSet<>();
      for (JsonNode c : o.path("match").path("statusCodes")) {
        String type = c.path("type").asText("Value");
        if (type.equals("Range")) {
          int start = c.path("range").path("start").asInt(-1);
          int end = c.path("range").path("end").asInt(-1);
          if (start < 100 || end > 599 || end <= start) {
            throw new PolicyException(
                where + ".match.statusCodes: invalid range " + start + "-" + end);
          }
          for (int s = start; s <= end; s++) {
            codes.add(s);
          }
        } else if (type.equals("Value")) {
          int v = c.path("value").asInt(-1);
          if (v < 100 || v > 599) {
            throw new PolicyException(where + ".match.statusCodes: invalid status " + v);
          }
          codes.add(v);
        } else {
          throw new PolicyException(where + ".match.statusCodes: unknown type " + type);
        }
      }
      List<ResponseOverrideIr.HeaderMatchIr> matches = headerMatches(o.path("match"), where);
      if (codes.isEmpty() && matches.isEmpty()) {
        throw new PolicyException(
            where + ".match: at least one of statusCodes or responseHeaders must be specified");
      }
      String source = source(o, where);
      JsonNode r = o.path("response");
      JsonNode redirect = o.path("redirect");
      if (r.isObject() == redirect.isObject()) {
        throw new PolicyException(
            where + ": exactly one of response or redirect must be specified");
      }
      if (redirect.isObject()) {
        out.add(
            new ResponseOverrideIr(
                List.copyOf(codes),
                null,
                null,
                null,
                List.of(),
                matches,
                redirect(redirect, where + ".redirect"),
                source));
        continue;
      }
      Integer status = null;
      if (r.has("statusCode")) {
        status = r.path("statusCode").asInt(-1);
        if (status < 100 || status > 599) {
          throw new PolicyException(where + ".response.statusCode: invalid status " + status);
        }
      }
      List<ResponseOverrideIr.HeaderIr> headers = new ArrayList<>();
      for (String op : List.of("add", "set")) {
        for (JsonNode h : r.path("header").path(op)) {
          String name = h.path("name").asText("");
          if (name.isEmpty() || !name.matches(HEADER_NAME)) {
            throw new PolicyException(where + ".response.header: invalid name '" + name + "'");
          }
          headers.add(new ResponseOverrideIr.HeaderIr(name, h.path("value").asText(""), op));
        }
      }
      if (!r.path("header").path("remove").isEmpty()) {
        throw new PolicyException(
            where
                + ".response.header.remove: Envoy's local response policy can add or set headers"
                + " on the custom response but not remove them (the CRD forbids remove here too)");
      }
      out.add(
          new ResponseOverrideIr(
              List.copyOf(codes),
              r.path("contentType").asText(null),
              body(policy, r.path("body"), env, where + ".response.body"),
              status,
              headers,
              matches,
              null,
              source));
    }
    return out;
  }

  /** {@code match.responseHeaders}: all must match. */
  private static List<ResponseOverrideIr.HeaderMatchIr> headerMatches(JsonNode match, String where)
      throws PolicyException {
    List<ResponseOverrideIr.HeaderMatchIr> out = new ArrayList<>();
    JsonNode list = match.path("responseHeaders");
    for (int i = 0; i < list.size(); i++) {
      JsonNode h = list.get(i);
      String at = where + ".match.responseHeaders[" + i + "]";
      String name = h.path("name").asText("");
      if (name.isEmpty() || !name.matches(HEADER_NAME)) {
        throw new PolicyException(at + ".name: invalid header name '" + name + "'");
      }
      JsonNode v = h.path("value");
      String type = v.path("type").asText("Exact");
      String value = v.path("value").asText("");
      if (value.isEmpty()) {
        throw new PolicyException(at + ".value.value: required");
      }
      switch (type) {
        case "Exact", "Prefix", "Suffix" -> {}
        case "RegularExpression" -> {
          try {
            java.util.regex.Pattern.compile(value);
          } catch (java.util.regex.PatternSyntaxException e) {
            throw new PolicyException(at + ".value: invalid regular expression " + value);
          }
        }
        default -> throw new PolicyException(at + ".value.type: unknown type " + type);
      }
      out.add(new ResponseOverrideIr.HeaderMatchIr(name, type, value));
    }
    return out;
  }

  /**
   * {@code source}: null for {@code All} (the default: the custom response filter sees Envoy's own
   * replies and upstream responses alike), else {@code Local} or {@code Backend}.
   */
  private static String source(JsonNode o, String where) throws PolicyException {
    String source = o.path("source").asText("All");
    return switch (source) {
      case "All" -> null;
      case "Local", "Backend" -> source;
      default -> throw new PolicyException(where + ".source: unknown source " + source);
    };
  }

  /** {@code redirect}: the parts of the request's URL the internal redirect replaces. */
  private static ResponseOverrideIr.RedirectIr redirect(JsonNode r, String where)
      throws PolicyException {
    String scheme = r.path("scheme").asText(null);
    if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
      throw new PolicyException(where + ".scheme: unknown scheme " + scheme);
    }
    String host = r.path("hostname").asText(null);
    if (host != null
        && !host.matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")) {
      throw new PolicyException(where + ".hostname: invalid hostname " + host);
    }
    Integer port = null;
    if (r.has("port")) {
      port = r.path("port").asInt(-1);
      if (port < 1 || port > 65535) {
        throw new PolicyException(where + ".port: invalid port " + r.path("port").asText());
      }
    }
    String path = null;
    JsonNode p = r.path("path");
    if (p.isObject()) {
      String type = p.path("type").asText("");
      if (type.equals("ReplacePrefixMatch") || p.has("replacePrefixMatch")) {
        throw new PolicyException(
            where
                + ".path.replacePrefixMatch: Envoy's custom response redirect policy rejects a"
                + " prefix rewrite (only ReplaceFullPath is supported, as the CRD says)");
      }
      if (!type.equals("ReplaceFullPath")) {
        throw new PolicyException(where + ".path.type: unknown type " + type);
      }
      if (!p.has("replaceFullPath")) {
        throw new PolicyException(
            where + ".path: replaceFullPath must be specified when type is ReplaceFullPath");
      }
      path = p.path("replaceFullPath").asText("");
    }
    int status = r.path("statusCode").asInt(302);
    if (status != 301 && status != 302) {
      throw new PolicyException(where + ".statusCode: must be 301 or 302, not " + status);
    }
    return new ResponseOverrideIr.RedirectIr(scheme, host, port, path, status);
  }

  private static String body(ObjectNode policy, JsonNode b, PolicyEnv env, String where)
      throws PolicyException {
    if (!b.isObject()) {
      return null;
    }
    String type = b.path("type").asText("Inline");
    if (type.equals("Inline")) {
      if (!b.has("inline")) {
        throw new PolicyException(where + ".inline: required for type Inline");
      }
      return sized(b.path("inline").asText(""), where);
    }
    if (!type.equals("ValueRef")) {
      throw new PolicyException(where + ".type: unknown " + type);
    }
    JsonNode ref = b.path("valueRef");
    if (!ref.path("kind").asText("").equals("ConfigMap")
        || !ref.path("group").asText("").isEmpty()) {
      throw new PolicyException(where + ".valueRef: only a ConfigMap may hold the body");
    }
    Map<String, String> data =
        env.configMap(policy, ObjectRef.core("ConfigMap", ref.path("name").asText(""), null));
    String body = LocalReplyBody.fromConfigMap(data);
    if (body == null) {
      throw new PolicyException(
          where
              + ".valueRef: ConfigMap "
              + ref.path("name").asText("")
              + " has no key "
              + LocalReplyBody.KEY
              + " and no other key");
    }
    return sized(body, where);
  }

  private static String sized(String body, String where) throws PolicyException {
    String tooLarge = LocalReplyBody.tooLarge(body);
    if (tooLarge != null) {
      throw new PolicyException(where + ": " + tooLarge);
    }
    return body;
  }

  /**
   * A policy spec whose response bodies from ConfigMaps are written inline, read in the policy's
   * own namespace: a route policy merged over this one ({@code mergeType}) keeps the bodies this
   * policy's owner chose, as Envoy Gateway resolves references before it merges. A reference that
   * does not resolve is left as it is (the merged policy reports it).
   */
  static ObjectNode inlineBodies(ObjectNode policy, ObjectNode spec, PolicyEnv env) {
    for (JsonNode o : spec.path("responseOverride")) {
      JsonNode b = o.path("response").path("body");
      if (b instanceof ObjectNode body && "ValueRef".equals(b.path("type").asText(""))) {
        try {
          String text = body(policy, b, env, "spec.responseOverride");
          body.removeAll();
          body.put("type", "Inline");
          body.put("inline", text);
        } catch (PolicyException e) {
          // Left for the merged policy's translation to report.
        }
      }
    }
    return spec;
  }
}
