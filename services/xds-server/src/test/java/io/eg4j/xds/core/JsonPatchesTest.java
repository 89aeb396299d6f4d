package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eg4j.model.ir.XdsIr.JsonPatchIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 6902 operations on the JSON form of xDS resources, as EnvoyPatchPolicy applies them. */
class JsonPatchesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
  private static final String ROUTE =
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  private static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

  private static XdsResources resources() {
    return new XdsResources(
        List.of(Listener.newBuilder().setName("default/eg/http").build()),
        List.of(RouteConfiguration.newBuilder().setName("default/eg/http").build()),
        List.of(),
        List.of(),
        List.of());
  }

  private static JsonPatchIr op(
      String type, String name, String op, String path, String from, String value) {
    return new JsonPatchIr("default/p", type, name, op, path, from, value, null);
  }

  @Test
  void aListenerFieldIsReplacedAndARouteHeaderAdded() {
    List<JsonPatches.Failure> failures = new ArrayList<>();
    XdsResources r =
        JsonPatches.apply(
            resources(),
            List.of(
                op(
                    LISTENER,
                    "default/eg/http",
                    "add",
                    "/per_connection_buffer_limit_bytes",
                    null,
                    "\"1024\""),
                op(
                    LISTENER,
                    "default/eg/http",
                    "replace",
                    "/per_connection_buffer_limit_bytes",
                    null,
                    "2048"),
                op(
                    ROUTE,
                    "default/eg/http",
                    "add",
                    "/response_headers_to_add",
                    null,
                    "[{\"header\": {\"key\": \"x-patched\", \"value\": \"yes\"}}]")),
            failures);
    assertThat(failures).isEmpty();
    assertThat(r.listeners().get(0).getPerConnectionBufferLimitBytes().getValue()).isEqualTo(2048);
    assertThat(r.routes().get(0).getResponseHeadersToAdd(0).getHeader().getKey())
        .isEqualTo("x-patched");
  }

  @Test
  void aFailingOperationLeavesTheResourceAsItWasAndTheNextOneStillApplies() {
    List<JsonPatches.Failure> failures = new ArrayList<>();
    XdsResources r =
        JsonPatches.apply(
            resources(),
            List.of(
                op(LISTENER, "missing", "replace", "/per_connection_buffer_limit_bytes", null, "1"),
                op(LISTENER, "default/eg/http", "replace", "/no_such_field_set", null, "1"),
                op(LISTENER, "default/eg/http", "add", "/not_a_listener_field", null, "1"),
                op(LISTENER, "default/eg/http", "test", "/name", null, "\"other\""),
                op(
                    LISTENER,
                    "default/eg/http",
                    "add",
                    "/per_connection_buffer_limit_bytes",
                    null,
                    "-5"),
                op(LISTENER, "default/eg/http", "add", "/ignore_global_conn_limit", null, "true")),
            failures);
    assertThat(failures)
        .extracting(JsonPatches.Failure::reason)
        .hasSize(5)
        .anySatisfy(m -> assertThat(m).contains("unable to find xds resource missing"))
        .anySatisfy(m -> assertThat(m).contains("does not exist"))
        .anySatisfy(m -> assertThat(m).contains("test failed"));
    Listener l = r.listeners().get(0);
    assertThat(l.hasPerConnectionBufferLimitBytes()).isFalse();
    assertThat(l.getIgnoreGlobalConnLimit()).isTrue();
  }

  @Test
  void addAtTheRootOfAMissingResourceCreatesIt() {
    List<JsonPatches.Failure> failures = new ArrayList<>();
    XdsResources r =
        JsonPatches.apply(
            resources(),
            List.of(
                op(
                    CLUSTER,
                    "extra",
                    "add",
                    "",
                    null,
                    "{\"name\": \"extra\", \"type\": \"STATIC\", \"connect_timeout\": \"1s\"}")),
            failures);
    assertThat(failures).isEmpty();
    assertThat(r.clusters()).extracting(Cluster::getName).containsExactly("extra");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "add|/a/1||9|{\"a\":[1,9,2],\"b\":{\"c~/d\":3}}",
        "add|/a/-||9|{\"a\":[1,2,9],\"b\":{\"c~/d\":3}}",
        "remove|/a/0|||{\"a\":[2],\"b\":{\"c~/d\":3}}",
        "replace|/b/c~0~1d||4|{\"a\":[1,2],\"b\":{\"c~/d\":4}}",
        "move|/b/x|/a||{\"b\":{\"c~/d\":3,\"x\":[1,2]}}",
        "copy|/b/x|/a/1||{\"a\":[1,2],\"b\":{\"c~/d\":3,\"x\":2}}",
        "test|/a/1||2|{\"a\":[1,2],\"b\":{\"c~/d\":3}}",
      })
  void rfc6902Operations(String op, String path, String from, String value, String expected)
      throws Exception {
    JsonNode doc = JSON.readTree("{\"a\":[1,2],\"b\":{\"c~/d\":3}}");
    JsonNode out =
        JsonPatches.applyOne(
            doc,
            new JsonPatchIr(
                "p",
                LISTENER,
                "n",
                op,
                path,
                from == null || from.isEmpty() ? null : from,
                value == null || value.isEmpty() ? null : value,
                null));
    assertThat(out).isEqualTo(JSON.readTree(expected));
  }

  @Test
  void malformedPointersAndIndexesFail() {
    for (String[] bad :
        new String[][] {
          {"add", "/a/5", "1"}, {"remove", "/a/x", null}, {"replace", "/zz", "1"},
          {"add", "a", "1"}, {"remove", "/b/~2", null}, {"move", "/a/0", null},
        }) {
      String from = bad[0].equals("move") ? "/a" : null;
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  JsonPatches.applyOne(
                      JSON.readTree("{\"a\":[1,2],\"b\":{}}"),
                      new JsonPatchIr("p", LISTENER, "n", bad[0], bad[1], from, bad[2], null)))
          .isInstanceOf(JsonPatches.PatchException.class);
    }
  }

  private static JsonPatchIr query(String op, String jsonPath, String path, String value) {
    return new JsonPatchIr("p", ROUTE, "n", op, path, null, value, jsonPath);
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> jsonPathCases() {
    String doc =
        "{\"virtual_hosts\":[{\"name\":\"a\",\"routes\":[{\"n\":1},{\"n\":2}]},"
            + "{\"name\":\"b\",\"routes\":[{\"n\":3}]}]}";
    return java.util.stream.Stream.of(
        // Every route of one virtual host, selected by a filter, gets a field (path appended).
        org.junit.jupiter.params.provider.Arguments.of(
            "add under each match",
            doc,
            query("add", "$.virtual_hosts[?(@.name=='a')].routes[*]", "/x", "true"),
            "{\"virtual_hosts\":[{\"name\":\"a\",\"routes\":[{\"n\":1,\"x\":true},"
                + "{\"n\":2,\"x\":true}]},{\"name\":\"b\",\"routes\":[{\"n\":3}]}]}"),
        // Removing several array items: later ones first, so the indexes stay right.
        org.junit.jupiter.params.provider.Arguments.of(
            "remove every match",
            doc,
            query("remove", "$.virtual_hosts[0].routes[*]", "", null),
            "{\"virtual_hosts\":[{\"name\":\"a\",\"routes\":[]},"
                + "{\"name\":\"b\",\"routes\":[{\"n\":3}]}]}"),
        // A recursive descent replaces every occurrence of a field.
        org.junit.jupiter.params.provider.Arguments.of(
            "replace by recursive descent",
            doc,
            query("replace", "$..n", "", "0"),
            "{\"virtual_hosts\":[{\"name\":\"a\",\"routes\":[{\"n\":0},{\"n\":0}]},"
                + "{\"name\":\"b\",\"routes\":[{\"n\":0}]}]}"));
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("jsonPathCases")
  void jsonPathSelectsWhereTheOperationApplies(
      String name, String doc, JsonPatchIr patch, String expected) throws Exception {
    assertThat(JsonPatches.applyOne(JSON.readTree(doc), patch)).isEqualTo(JSON.readTree(expected));
  }

  @Test
  void aJsonPathThatSelectsNothingOrIsMalformedFails() {
    String doc = "{\"a\":[1]}";
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> JsonPatches.applyOne(JSON.readTree(doc), query("remove", "$.b[*]", "", null)))
        .hasMessageContaining("selects nothing");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> JsonPatches.applyOne(JSON.readTree(doc), query("remove", "$.a[?(@ ==", "", null)))
        .hasMessageContaining("invalid jsonPath");
  }

  @Test
  void normalizedPathsBecomeEscapedPointers() {
    assertThat(JsonPathPointers.pointer("$['a'][0]['b/c~d']")).isEqualTo("/a/0/b~1c~0d");
    assertThat(JsonPathPointers.pointer("$")).isEmpty();
  }
}
