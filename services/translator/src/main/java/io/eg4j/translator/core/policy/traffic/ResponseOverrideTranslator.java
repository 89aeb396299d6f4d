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
 * A BackendTrafficPolicy's {@code spec.responseOverride}: responses with the given status codes are
 * replaced by a local response (a body inline or from a ConfigMap's {@code response.body}, a
 * content type, a status code, headers), through Envoy's custom response filter.
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
          "responseOverride[].response.header.set[].value");

  /** The key of a ConfigMap that holds a response body, as Envoy Gateway reads it. */

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
      if (codes.isEmpty()) {
        throw new PolicyException(where + ".match: no status code");
      }
      JsonNode r = o.path("response");
      if (!r.isObject()) {
        throw new PolicyException(where + ": a response is required");
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
          if (name.isEmpty() || !name.matches("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")) {
            throw new PolicyException(where + ".response.header: invalid name '" + name + "'");
          }
          headers.add(new ResponseOverrideIr.HeaderIr(name, h.path("value").asText(""), op));
        }
      }
      out.add(
          new ResponseOverrideIr(
              List.copyOf(codes),
              r.path("contentType").asText(null),
              body(policy, r.path("body"), env, where + ".response.body"),
              status,
              headers));
    }
    return out;
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
