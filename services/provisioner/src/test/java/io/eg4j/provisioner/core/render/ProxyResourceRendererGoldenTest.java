package io.eg4j.provisioner.core.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.InfraIr;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden tests: {@code golden/<case>.in.yaml} (settings, owner, infra IR) renders to {@code
 * golden/<case>.out.yaml}. Run with {@code -Dgolden.update=true} to rewrite the outputs; the review
 * reads the diff.
 */
class ProxyResourceRendererGoldenTest {
  private static final boolean UPDATE = Boolean.getBoolean("golden.update");

  /**
   * Like {@link Json#YAML}, but strings that look like numbers stay quoted, so the golden files can
   * be applied with kubectl as they are ({@code args: ["60"]}, not {@code [60]}).
   */
  private static final ObjectMapper YAML =
      YAMLMapper.builder(
              YAMLFactory.builder()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                  .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                  .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
                  .build())
          .build();

  static Stream<String> cases() throws IOException, URISyntaxException {
    Path dir = goldenDir();
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".in.yaml"))
              .map(n -> n.substring(0, n.length() - ".in.yaml".length()))
              .sorted()
              .toList();
      return names.stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rendersAsGolden(String name) throws Exception {
    Path dir = goldenDir();
    JsonNode in = Json.YAML.readTree(Files.readString(dir.resolve(name + ".in.yaml")));
    String actual = render(in);
    Path out = sourceGoldenDir().resolve(name + ".out.yaml");
    if (UPDATE) {
      Files.writeString(out, actual, StandardCharsets.UTF_8);
    }
    assertThat(Files.exists(out))
        .as("golden file %s (run with -Dgolden.update=true)", out)
        .isTrue();
    assertThat(actual).isEqualTo(Files.readString(out));
  }

  /** Renders one case as multi-document YAML, deletions as comments. */
  static String render(JsonNode in) throws IOException {
    RenderSettings settings = Json.MAPPER.treeToValue(in.get("settings"), RenderSettings.class);
    OwnerRef owner =
        in.hasNonNull("owner") ? Json.MAPPER.treeToValue(in.get("owner"), OwnerRef.class) : null;
    ObjectNode infra = in.get("infra").deepCopy();
    // The IR carries the EnvoyProxy spec as JSON text; the case writes it as YAML for reading.
    if (infra.path("envoyProxy").isObject()) {
      infra.put("envoyProxy", Json.MAPPER.writeValueAsString(infra.get("envoyProxy")));
    }
    InfraIr ir = Json.MAPPER.treeToValue(infra, InfraIr.class);
    RenderedFleet fleet = new ProxyResourceRenderer(settings).render(ir, owner);
    StringBuilder sb = new StringBuilder();
    for (String w : fleet.warnings()) {
      sb.append("# warning: ").append(w).append('\n');
    }
    for (DesiredObject o : fleet.objects()) {
      sb.append("---\n");
      if (o.isDelete()) {
        sb.append("# delete ").append(o.apiVersion()).append(' ').append(o.describe()).append('\n');
      } else {
        sb.append(YAML.writeValueAsString(o.body()));
      }
    }
    return sb.toString();
  }

  private static Path goldenDir() throws URISyntaxException {
    return Paths.get(ProxyResourceRendererGoldenTest.class.getResource("/golden").toURI());
  }

  private static Path sourceGoldenDir() throws URISyntaxException {
    // Updates go to the source tree, not target/, so they show in the diff.
    Path src = Paths.get("src/test/resources/golden");
    return UPDATE && Files.isDirectory(src) ? src : goldenDir();
  }
}
