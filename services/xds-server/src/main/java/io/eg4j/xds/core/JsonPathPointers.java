package io.eg4j.xds.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.InvalidPathException;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON pointers (RFC 6901) of the locations a JSONPath query (RFC 9535) selects in a document:
 * how an EnvoyPatchPolicy's {@code operation.jsonPath} names where its operation applies, for
 * example every route of a virtual host whose name matches.
 */
final class JsonPathPointers {
  private static final Configuration PATHS =
      Configuration.builder()
          .jsonProvider(new JacksonJsonNodeJsonProvider())
          .mappingProvider(new JacksonMappingProvider())
          .options(Option.AS_PATH_LIST, Option.ALWAYS_RETURN_LIST)
          .build();

  /** One step of a normalized path: {@code ['name']} or {@code [3]}. */
  private static final Pattern STEP = Pattern.compile("\\['((?:[^'\\\\]|\\\\.)*)'\\]|\\[(\\d+)\\]");

  private JsonPathPointers() {}

  /**
   * The pointers of the locations {@code query} selects in {@code doc}, in document order; empty
   * when it selects nothing.
   *
   * @throws JsonPatches.PatchException when the query is not a valid JSONPath
   */
  static List<String> of(JsonNode doc, String query) throws JsonPatches.PatchException {
    JsonPath compiled;
    try {
      compiled = JsonPath.compile(query);
    } catch (InvalidPathException | IllegalArgumentException e) {
      throw new JsonPatches.PatchException("invalid jsonPath " + query + ": " + e.getMessage());
    }
    List<String> out = new ArrayList<>();
    JsonNode paths;
    try {
      paths = compiled.read(doc, PATHS);
    } catch (com.jayway.jsonpath.PathNotFoundException e) {
      return out;
    } catch (com.jayway.jsonpath.JsonPathException e) {
      throw new JsonPatches.PatchException("invalid jsonPath " + query + ": " + e.getMessage());
    }
    if (paths == null) {
      return out;
    }
    for (JsonNode p : paths) {
      out.add(pointer(p.asText()));
    }
    return out;
  }

  /** A normalized path ({@code $['a'][0]['b']}) as a JSON pointer ({@code /a/0/b}). */
  static String pointer(String normalized) {
    StringBuilder out = new StringBuilder();
    Matcher m = STEP.matcher(normalized);
    while (m.find()) {
      String token =
          m.group(1) != null ? m.group(1).replace("\\'", "'").replace("\\\\", "\\") : m.group(2);
      out.append('/').append(token.replace("~", "~0").replace("/", "~1"));
    }
    return out.toString();
  }
}
