package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden tests: {@code testdata/<case>.in.yaml} (Kubernetes resources, optionally one {@code
 * EnvoyGateway} document for the configuration) is translated and compared with {@code
 * <case>.out.yaml} (statuses without timestamps, xDS IR, infra IR). Run with {@code
 * -Dgolden.update=true} to regenerate the expected files; review the diff.
 */
class TranslatorGoldenTest {
  private static final Path DIR = Path.of("src/test/resources/testdata");
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  static Stream<String> cases() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".in.yaml"))
          .map(n -> n.substring(0, n.length() - ".in.yaml".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void translatesAsRecorded(String name) throws IOException {
    String actual = render(DIR.resolve(name + ".in.yaml"));
    Path expectedFile = DIR.resolve(name + ".out.yaml");
    if (Boolean.getBoolean("golden.update") || !Files.exists(expectedFile)) {
      Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
    }
    assertThat(actual).isEqualTo(Files.readString(expectedFile, StandardCharsets.UTF_8));
  }

  /** Translates one input file and renders the result as stable YAML. */
  static String render(Path input) throws IOException {
    TranslatorInputs.Input in = TranslatorInputs.split(ManifestReader.read(input));
    EnvoyGatewayConfig config = in.config();
    List<ObjectNode> resources = in.resources();
    TranslateResult result =
        new Translator(config, CLOCK).translate(ResourceSnapshot.of(resources));
    // A second run must give the same IR: translation is deterministic.
    TranslateResult again = new Translator(config, CLOCK).translate(ResourceSnapshot.of(resources));
    assertThat(again.xdsIr()).isEqualTo(result.xdsIr());

    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ArrayNode statuses = out.putArray("statuses");
    for (ResourceStatus s : result.statuses()) {
      ObjectNode n = statuses.addObject();
      n.put("key", s.key().toString());
      n.set("status", stripTimes(s.status().deepCopy()));
    }
    Map<String, JsonNode> xds = new TreeMap<>();
    result.xdsIr().forEach((k, v) -> xds.put(k, Json.CANONICAL.valueToTree(v)));
    out.set("xdsIr", Json.CANONICAL.valueToTree(xds));
    Map<String, JsonNode> infra = new TreeMap<>();
    result.infraIr().forEach((k, v) -> infra.put(k, Json.CANONICAL.valueToTree(v)));
    out.set("infraIr", Json.CANONICAL.valueToTree(infra));
    return Json.YAML.writeValueAsString(out);
  }

  private static JsonNode stripTimes(JsonNode n) {
    if (n.isObject()) {
      ((ObjectNode) n).remove("lastTransitionTime");
      n.elements().forEachRemaining(TranslatorGoldenTest::stripTimes);
    } else if (n.isArray()) {
      n.elements().forEachRemaining(TranslatorGoldenTest::stripTimes);
    }
    return n;
  }
}
