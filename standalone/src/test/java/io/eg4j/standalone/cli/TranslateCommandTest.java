package io.eg4j.standalone.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code translate} CLI contract: YAML statuses on stdout, exit codes, file:line errors. */
class TranslateCommandTest {
  private static final String MANIFESTS =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata:
        name: eg
      spec:
        controllerName: gateway.envoyproxy.io/gatewayclass-controller
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        namespace: default
        name: eg
      spec:
        gatewayClassName: eg
        listeners:
        - name: http
          protocol: HTTP
          port: 80
      ---
      apiVersion: v1
      kind: Namespace
      metadata:
        name: default
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata:
        namespace: default
        name: web
      spec:
        parentRefs:
        - name: eg
        rules:
        - backendRefs:
          - name: missing
            port: 8080
      """;

  private record Run(int code, String out, String err) {}

  private static Run run(InputStream stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        TranslateCommand.run(
            List.of(args),
            stdin,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static List<JsonNode> docs(String yaml) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    Json.YAML
        .readerFor(JsonNode.class)
        .readValues(yaml)
        .forEachRemaining(d -> out.add((JsonNode) d));
    return out;
  }

  private static JsonNode find(List<JsonNode> docs, String kind, String name) {
    return docs.stream()
        .filter(d -> d.path("kind").asText().equals(kind))
        .filter(d -> d.path("metadata").path("name").asText().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void printsStatusesForFiles(@TempDir Path dir) throws IOException {
    Path input = dir.resolve("in.yaml");
    Files.writeString(input, MANIFESTS);
    Path config = dir.resolve("config.yaml");
    Files.writeString(
        config,
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\ngateway:\n"
            + "  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n");
    Run r =
        run(
            InputStream.nullInputStream(),
            "--config",
            config.toString(),
            "--output",
            "status",
            input.toString());
    assertThat(r.code()).isZero();
    List<JsonNode> docs = docs(r.out());
    JsonNode gw = find(docs, "Gateway", "eg");
    assertThat(gw.path("apiVersion").asText()).isEqualTo("gateway.networking.k8s.io/v1");
    assertThat(gw.path("metadata").path("namespace").asText()).isEqualTo("default");
    JsonNode listener = gw.path("status").path("listeners").get(0);
    assertThat(listener.path("attachedRoutes").asInt()).isEqualTo(1);
    JsonNode route = find(docs, "HTTPRoute", "web").path("status").path("parents").get(0);
    assertThat(route.path("conditions").toString()).contains("BackendNotFound");
  }

  @Test
  void writtenStatusAddsTheGatewaysAcceptedConditionAsTheStatusWriterDoes(@TempDir Path dir)
      throws IOException {
    Path input = dir.resolve("in.yaml");
    Files.writeString(input, MANIFESTS);
    JsonNode plain =
        find(docs(run(InputStream.nullInputStream(), input.toString()).out()), "Gateway", "eg");
    assertThat(plain.path("status").path("conditions").isMissingNode()).isTrue();
    Run r = run(InputStream.nullInputStream(), "--output", "written-status", input.toString());
    assertThat(r.code()).isZero();
    JsonNode accepted =
        find(docs(r.out()), "Gateway", "eg").path("status").path("conditions").get(0);
    assertThat(accepted.path("type").asText()).isEqualTo("Accepted");
    assertThat(accepted.path("status").asText()).isEqualTo("True");
  }

  @Test
  void withoutConfigTranslatesAsRunServes(@TempDir Path dir) throws IOException {
    // run DIR enables the Backend API by default; translating the same files must agree.
    Path input = dir.resolve("in.yaml");
    Files.writeString(
        input,
        MANIFESTS.replace(
                "- name: missing\n      port: 8080",
                "- group: gateway.envoyproxy.io\n      kind: Backend\n      name: local")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: Backend
            metadata:
              namespace: default
              name: local
            spec:
              endpoints:
              - ip: {address: 127.0.0.1, port: 3000}
            """);
    Run r = run(InputStream.nullInputStream(), "--output", "status", input.toString());
    assertThat(r.code()).isZero();
    List<JsonNode> docs = docs(r.out());
    JsonNode route = find(docs, "HTTPRoute", "web").path("status").path("parents").get(0);
    assertThat(route.path("conditions").toString())
        .contains("\"ResolvedRefs\"")
        .doesNotContain("not enabled")
        .doesNotContain("BackendNotFound");
    assertThat(find(docs, "Backend", "local").path("status").path("conditions").toString())
        .contains("Accepted");
  }

  @Test
  void readsStdinAndPrintsIr() throws IOException {
    Run r =
        run(
            new ByteArrayInputStream(MANIFESTS.getBytes(StandardCharsets.UTF_8)),
            "--output",
            "ir",
            "-");
    assertThat(r.code()).isZero();
    List<JsonNode> docs = docs(r.out());
    assertThat(docs).anySatisfy(d -> assertThat(d.path("key").asText()).isEqualTo("default/eg"));
    assertThat(r.out()).contains("default/eg/http");
  }

  @Test
  void badYamlNamesFileAndLine(@TempDir Path dir) throws IOException {
    Path input = dir.resolve("broken.yaml");
    Files.writeString(input, "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n");
    Run r = run(InputStream.nullInputStream(), input.toString());
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("broken.yaml:").containsPattern("broken\\.yaml:\\d+");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run(InputStream.nullInputStream()).code()).isEqualTo(2);
    assertThat(run(InputStream.nullInputStream(), "--output", "pdf", "x.yaml").code()).isEqualTo(2);
    assertThat(run(InputStream.nullInputStream(), "--bogus", "x.yaml").code()).isEqualTo(2);
  }

  @Test
  void missingFileIsAnError() {
    Run r = run(InputStream.nullInputStream(), "/nonexistent/input.yaml");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("/nonexistent/input.yaml");
  }
}
