package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.XdsIr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden tests: {@code golden/<case>.ir.yaml} translates to {@code golden/<case>.xds.yaml}
 * (listeners, routes, clusters, endpoints, secrets). {@code -Dgolden.update=true} rewrites the
 * expected files; review the diff.
 */
class XdsGoldenTest {
  static final Path DIR = Path.of("src/test/resources/golden");

  static Stream<String> cases() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".ir.yaml"))
          .map(n -> n.substring(0, n.length() - ".ir.yaml".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  /** Reads a golden IR, optionally replacing text in it first. */
  static XdsIr readIr(String name, String... replacements) throws IOException {
    String text = Files.readString(DIR.resolve(name + ".ir.yaml"));
    for (int i = 0; i + 1 < replacements.length; i += 2) {
      text = text.replace(replacements[i], replacements[i + 1]);
    }
    return Json.YAML.readValue(text, XdsIr.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void irTranslatesToGoldenResources(String name) throws IOException {
    XdsIr ir = readIr(name);
    String actual = XdsOutput.resources(new XdsTranslator().translate(ir));
    Path expected = DIR.resolve(name + ".xds.yaml");
    if (Boolean.getBoolean("golden.update") || !Files.exists(expected)) {
      Files.writeString(expected, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(expected));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void sameIrGivesByteIdenticalResourcesAndVersions(String name) throws IOException {
    XdsResources a = new XdsTranslator().translate(readIr(name));
    XdsResources b = new XdsTranslator().translate(readIr(name));
    assertThat(XdsOutput.resources(a)).isEqualTo(XdsOutput.resources(b));
    assertThat(XdsResources.versionOf(a.routes())).isEqualTo(XdsResources.versionOf(b.routes()));
    assertThat(XdsResources.versionOf(a.clusters()))
        .isEqualTo(XdsResources.versionOf(b.clusters()));
    assertThat(XdsOutput.configDump(readIr(name))).isEqualTo(XdsOutput.configDump(readIr(name)));
  }
}
