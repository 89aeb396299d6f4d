package io.eg4j.model.yaml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * The OpenAPI schemas of the CRDs eg4j implements (Gateway API and Envoy Gateway), and a validator
 * that checks an object against its version's schema as the API server's structural validation
 * does: types, required fields, enums, patterns, lengths, bounds, item counts, list-map keys and
 * set uniqueness, and {@code allOf}/{@code anyOf}/{@code oneOf}/{@code not}. Errors read like the
 * API server's ({@code spec.rules[0].matches[0].path.type: Unsupported value: ...}).
 *
 * <p>In Kubernetes mode the API server does this before eg4j ever sees an object; the file source
 * has no API server, so it asks this class instead, and a manifest the server would refuse is
 * refused with the same message. The CEL rules ({@code x-kubernetes-validations}) are not evaluated
 * here; the translator's own checks cover the ones that matter for translation. Unknown fields are
 * reported as warnings: the API server drops them.
 */
public final class CrdSchemas {

  /** The CRD files on the class path, under {@code eg4j/crds/}. */
  static final List<String> FILES =
      List.of(
          "gateway-api/gatewayapi-crds.yaml",
          "envoy-gateway/gateway.envoyproxy.io_backends.yaml",
          "envoy-gateway/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
          "envoy-gateway/gateway.envoyproxy.io_clienttrafficpolicies.yaml",
          "envoy-gateway/gateway.envoyproxy.io_envoyextensionpolicies.yaml",
          "envoy-gateway/gateway.envoyproxy.io_envoypatchpolicies.yaml",
          "envoy-gateway/gateway.envoyproxy.io_envoyproxies.yaml",
          "envoy-gateway/gateway.envoyproxy.io_httproutefilters.yaml",
          "envoy-gateway/gateway.envoyproxy.io_securitypolicies.yaml");

  private static volatile CrdSchemas loaded;

  /** Schema by {@code group/version/Kind}. */
  private final Map<String, JsonNode> schemas;

  private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();

  CrdSchemas(Map<String, JsonNode> schemas) {
    this.schemas = Map.copyOf(schemas);
  }

  /** The project's CRDs, read once from the class path. */
  public static CrdSchemas load() {
    CrdSchemas s = loaded;
    if (s == null) {
      synchronized (CrdSchemas.class) {
        s = loaded;
        if (s == null) {
          s = new CrdSchemas(read());
          loaded = s;
        }
      }
    }
    return s;
  }

  private static Map<String, JsonNode> read() {
    Map<String, JsonNode> out = new HashMap<>();
    for (String f : FILES) {
      try (InputStream in = CrdSchemas.class.getResourceAsStream("/eg4j/crds/" + f)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + f + " is missing from the class path");
        }
        // Json.YAML reads compact trees: the schemas stay in memory for the life of the process.
        var docs =
            Json.YAML.readerFor(JsonNode.class).readValues(Json.YAML.getFactory().createParser(in));
        while (docs.hasNextValue()) {
          JsonNode crd = (JsonNode) docs.nextValue();
          if (crd == null || !"CustomResourceDefinition".equals(crd.path("kind").asText())) {
            continue;
          }
          String group = crd.path("spec").path("group").asText();
          String kind = crd.path("spec").path("names").path("kind").asText();
          for (JsonNode v : crd.path("spec").path("versions")) {
            JsonNode schema = v.path("schema").path("openAPIV3Schema");
            if (!schema.isMissingNode()) {
              out.put(group + "/" + v.path("name").asText() + "/" + kind, withoutProse(schema));
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read CRD " + f, e);
      }
    }
    return out;
  }

  /**
   * The schema without what validation never reads, kept for the life of the process: the
   * descriptions (most of a CRD's text) and the CEL rules, which this class does not evaluate. Only
   * a string {@code description} and an array {@code x-kubernetes-validations} go: a property of
   * either name is an object schema under {@code properties} and stays.
   */
  static JsonNode withoutProse(JsonNode schema) {
    if (schema instanceof ObjectNode o) {
      if (o.path("description").isTextual()) {
        o.remove("description");
      }
      if (o.path("x-kubernetes-validations").isArray()) {
        o.remove("x-kubernetes-validations");
      }
      o.forEach(CrdSchemas::withoutProse);
    } else if (schema.isArray()) {
      schema.forEach(CrdSchemas::withoutProse);
    }
    return schema;
  }

  /** The outcome of a validation. */
  public record Result(List<String> errors, List<String> warnings) {
    public boolean valid() {
      return errors.isEmpty();
    }
  }

  /** The kept schemas by {@code group/version/Kind}, for the module's tests. */
  Map<String, JsonNode> schemasForTest() {
    return schemas;
  }

  /** True when this class knows the schema of {@code apiVersion} and {@code kind}. */
  public boolean knows(String apiVersion, String kind) {
    return schemas.containsKey(key(apiVersion, kind));
  }

  /**
   * Validates one object against the schema of its apiVersion and kind; an object of a kind without
   * a schema here (core kinds) is valid.
   */
  public Result validate(JsonNode object) {
    JsonNode schema =
        schemas.get(key(object.path("apiVersion").asText(), object.path("kind").asText()));
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    if (schema != null) {
      // metadata is the API server's to check (names), not the CRD's; status is a subresource,
      // which a create or an update of the object itself ignores.
      ObjectNode copy = ((ObjectNode) object).deepCopy();
      copy.remove("metadata");
      copy.remove("status");
      check(copy, schema, "", errors, warnings);
    }
    return new Result(List.copyOf(errors), List.copyOf(warnings));
  }

  private static String key(String apiVersion, String kind) {
    int slash = apiVersion.indexOf('/');
    return slash < 0
        ? "/" + apiVersion + "/" + kind
        : apiVersion.substring(0, slash) + "/" + apiVersion.substring(slash + 1) + "/" + kind;
  }

  private void check(
      JsonNode node, JsonNode schema, String path, List<String> errors, List<String> warnings) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return; // the API server drops nulls before it validates
    }
    String at = path.isEmpty() ? "<root>" : path;
    boolean intOrString = schema.path("x-kubernetes-int-or-string").asBoolean(false);
    String type = schema.path("type").asText("");
    if (intOrString) {
      if (!node.isIntegralNumber() && !node.isTextual()) {
        errors.add(at + ": Invalid value: " + show(node) + ": must be an integer or a string");
        return;
      }
    } else if (!type.isEmpty() && !hasType(node, type)) {
      errors.add(
          at
              + ": Invalid value: \""
              + kindOf(node)
              + "\": "
              + at
              + " in body must be of type "
              + type
              + ": \""
              + kindOf(node)
              + "\"");
      return;
    }
    JsonNode en = schema.path("enum");
    if (en.isArray() && !en.isEmpty()) {
      boolean found = false;
      for (JsonNode e : en) {
        if (e.equals(node)
            || (e.isNumber() && node.isNumber() && e.asDouble() == node.asDouble())) {
          found = true;
          break;
        }
      }
      if (!found) {
        List<String> vals = new ArrayList<>();
        en.forEach(e -> vals.add(show(e)));
        errors.add(
            at
                + ": Unsupported value: "
                + show(node)
                + ": supported values: "
                + String.join(", ", vals));
      }
    }
    if (node.isTextual()) {
      strings(node.asText(), schema, at, errors);
    }
    if (node.isNumber()) {
      numbers(node, schema, at, errors);
    }
    if (node.isObject()) {
      object((ObjectNode) node, schema, path, at, errors, warnings);
    }
    if (node.isArray()) {
      array((ArrayNode) node, schema, path, at, errors, warnings);
    }
    combinators(node, schema, path, errors);
  }

  private void strings(String s, JsonNode schema, String at, List<String> errors) {
    int len = s.codePointCount(0, s.length());
    if (schema.has("maxLength") && len > schema.get("maxLength").asLong()) {
      errors.add(
          at + ": Too long: may not be more than " + schema.get("maxLength").asLong() + " bytes");
    }
    if (schema.has("minLength") && len < schema.get("minLength").asLong()) {
      errors.add(
          at
              + ": Invalid value: \""
              + abbreviate(s)
              + "\": "
              + at
              + " in body should be at least "
              + schema.get("minLength").asLong()
              + " chars long");
    }
    if (schema.has("pattern")) {
      Pattern p = pattern(schema.get("pattern").asText());
      if (p != null && !p.matcher(s).find()) {
        errors.add(
            at
                + ": Invalid value: \""
                + abbreviate(s)
                + "\": "
                + at
                + " in body should match '"
                + schema.get("pattern").asText()
                + "'");
      }
    }
  }

  private Pattern pattern(String regex) {
    return patterns.computeIfAbsent(
        regex,
        r -> {
          try {
            return Pattern.compile(r);
          } catch (PatternSyntaxException e) {
            return null; // a syntax Java's engine lacks: not checked here
          }
        });
  }

  private static void numbers(JsonNode n, JsonNode schema, String at, List<String> errors) {
    double v = n.asDouble();
    if (schema.has("minimum")) {
      double min = schema.get("minimum").asDouble();
      boolean exclusive = schema.path("exclusiveMinimum").asBoolean(false);
      if (exclusive ? v <= min : v < min) {
        errors.add(
            at
                + ": Invalid value: "
                + n.asText()
                + ": "
                + at
                + " in body should be greater than "
                + (exclusive ? "" : "or equal to ")
                + schema.get("minimum").asText());
      }
    }
    if (schema.has("maximum")) {
      double max = schema.get("maximum").asDouble();
      boolean exclusive = schema.path("exclusiveMaximum").asBoolean(false);
      if (exclusive ? v >= max : v > max) {
        errors.add(
            at
                + ": Invalid value: "
                + n.asText()
                + ": "
                + at
                + " in body should be less than "
                + (exclusive ? "" : "or equal to ")
                + schema.get("maximum").asText());
      }
    }
  }

  private void object(
      ObjectNode o,
      JsonNode schema,
      String path,
      String at,
      List<String> errors,
      List<String> warnings) {
    JsonNode props = schema.path("properties");
    JsonNode additional = schema.path("additionalProperties");
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    for (JsonNode r : schema.path("required")) {
      JsonNode v = o.get(r.asText());
      if (v == null || v.isNull()) {
        errors.add(child(path, r.asText()) + ": Required value");
      }
    }
    if (schema.has("maxProperties") && o.size() > schema.get("maxProperties").asInt()) {
      errors.add(
          at
              + ": Too many: "
              + o.size()
              + ": must have at most "
              + schema.get("maxProperties").asInt()
              + " items");
    }
    if (schema.has("minProperties") && o.size() < schema.get("minProperties").asInt()) {
      errors.add(
          at
              + ": Invalid value: "
              + o.size()
              + ": "
              + at
              + " in body should have at least "
              + schema.get("minProperties").asInt()
              + " properties");
    }
    Iterator<Map.Entry<String, JsonNode>> it = o.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey();
      String sub = child(path, name);
      if (props.has(name)) {
        check(f.getValue(), props.get(name), sub, errors, warnings);
      } else if (additional.isObject()) {
        check(f.getValue(), additional, sub, errors, warnings);
      } else if (!preserve && !additional.asBoolean(false)) {
        warnings.add(sub + ": unknown field (the API server drops it)");
      }
    }
  }

  private void array(
      ArrayNode a,
      JsonNode schema,
      String path,
      String at,
      List<String> errors,
      List<String> warnings) {
    if (schema.has("maxItems") && a.size() > schema.get("maxItems").asInt()) {
      errors.add(
          at
              + ": Too many: "
              + a.size()
              + ": must have at most "
              + schema.get("maxItems").asInt()
              + " items");
    }
    if (schema.has("minItems") && a.size() < schema.get("minItems").asInt()) {
      errors.add(
          at
              + ": Invalid value: "
              + a.size()
              + ": "
              + at
              + " in body should have at least "
              + schema.get("minItems").asInt()
              + " items");
    }
    JsonNode items = schema.path("items");
    for (int i = 0; i < a.size(); i++) {
      if (items.isObject()) {
        check(a.get(i), items, path + "[" + i + "]", errors, warnings);
      }
    }
    String listType = schema.path("x-kubernetes-list-type").asText("");
    if (listType.equals("set")) {
      Set<JsonNode> seen = new HashSet<>();
      for (int i = 0; i < a.size(); i++) {
        if (!seen.add(a.get(i))) {
          errors.add(path + "[" + i + "]: Duplicate value: " + show(a.get(i)));
        }
      }
    } else if (listType.equals("map")) {
      List<String> keys = new ArrayList<>();
      schema.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
      Set<List<JsonNode>> seen = new HashSet<>();
      for (int i = 0; i < a.size(); i++) {
        JsonNode e = a.get(i);
        if (!e.isObject() || keys.isEmpty()) {
          continue;
        }
        List<JsonNode> k = new ArrayList<>();
        for (String key : keys) {
          JsonNode v = e.get(key);
          if (v == null) {
            JsonNode def = items.path("properties").path(key).path("default");
            v = def.isMissingNode() ? com.fasterxml.jackson.databind.node.NullNode.instance : def;
          }
          k.add(v);
        }
        if (!seen.add(k)) {
          errors.add(
              path
                  + "["
                  + i
                  + "]: Duplicate value: {"
                  + keys.stream()
                      .map(key -> "\"" + key + "\":" + show(k.get(keys.indexOf(key))))
                      .collect(Collectors.joining(", "))
                  + "}");
        }
      }
    }
  }

  private void combinators(JsonNode node, JsonNode schema, String path, List<String> errors) {
    for (JsonNode sub : schema.path("allOf")) {
      List<String> e = new ArrayList<>();
      check(node, sub, path, e, new ArrayList<>());
      errors.addAll(e);
    }
    JsonNode anyOf = schema.path("anyOf");
    if (anyOf.isArray()
        && !anyOf.isEmpty()
        && !schema.path("x-kubernetes-int-or-string").asBoolean()) {
      List<String> first = null;
      boolean ok = false;
      for (JsonNode sub : anyOf) {
        List<String> e = new ArrayList<>();
        check(node, sub, path, e, new ArrayList<>());
        if (e.isEmpty()) {
          ok = true;
          break;
        }
        if (first == null) {
          first = e;
        }
      }
      if (!ok) {
        errors.add(
            (path.isEmpty() ? "<root>" : path)
                + ": Invalid value: must validate at least one schema (anyOf)"
                + (first == null ? "" : ": " + String.join("; ", first)));
      }
    }
    JsonNode oneOf = schema.path("oneOf");
    if (oneOf.isArray() && !oneOf.isEmpty()) {
      int passing = 0;
      for (JsonNode sub : oneOf) {
        List<String> e = new ArrayList<>();
        check(node, sub, path, e, new ArrayList<>());
        if (e.isEmpty()) {
          passing++;
        }
      }
      if (passing != 1) {
        errors.add(
            (path.isEmpty() ? "<root>" : path)
                + ": Invalid value: must validate one and only one schema (oneOf), "
                + passing
                + " matched");
      }
    }
    JsonNode not = schema.path("not");
    if (not.isObject()) {
      List<String> e = new ArrayList<>();
      check(node, not, path, e, new ArrayList<>());
      if (e.isEmpty()) {
        errors.add(
            (path.isEmpty() ? "<root>" : path)
                + ": Invalid value: must not validate the schema (not)");
      }
    }
  }

  private static boolean hasType(JsonNode n, String type) {
    return switch (type) {
      case "object" -> n.isObject();
      case "array" -> n.isArray();
      case "string" -> n.isTextual();
      case "integer" ->
          n.isIntegralNumber() || (n.isNumber() && n.asDouble() == Math.rint(n.asDouble()));
      case "number" -> n.isNumber();
      case "boolean" -> n.isBoolean();
      default -> true;
    };
  }

  private static String kindOf(JsonNode n) {
    if (n.isObject()) {
      return "object";
    }
    if (n.isArray()) {
      return "array";
    }
    if (n.isTextual()) {
      return "string";
    }
    if (n.isIntegralNumber()) {
      return "integer";
    }
    if (n.isNumber()) {
      return "number";
    }
    if (n.isBoolean()) {
      return "boolean";
    }
    return "null";
  }

  private static String show(JsonNode n) {
    if (n.isTextual()) {
      return "\"" + abbreviate(n.asText()) + "\"";
    }
    String s = n.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  private static String child(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }
}
