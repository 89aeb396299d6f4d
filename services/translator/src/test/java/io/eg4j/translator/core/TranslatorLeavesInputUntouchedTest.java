package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The translator never changes the objects it is given. The translator service relies on it: it
 * hands its own resource map to each translation instead of a deep copy of every object (at 5,000
 * routes that copy was megabytes per change). Checked on every golden input and, where the shared
 * conformance corpus sits beside the repository, on each of its cases.
 */
class TranslatorLeavesInputUntouchedTest {
  static Stream<Path> inputs() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/testdata"))) {
      files.filter(p -> p.getFileName().toString().endsWith(".in.yaml")).sorted().forEach(out::add);
    }
    // shared/ sits beside the repository (CI, the main checkout) or beside its parent (a worktree).
    Path corpus =
        Stream.of("../../../shared", "../../../../shared")
            .map(s -> Path.of(s, "conformance/eg-status/cases"))
            .filter(Files::isDirectory)
            .findFirst()
            .orElse(null);
    if (corpus != null) {
      try (Stream<Path> cases = Files.list(corpus)) {
        cases.map(c -> c.resolve("input.yaml")).filter(Files::exists).sorted().forEach(out::add);
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inputs")
  void translationLeavesTheSnapshotAsItWas(Path input) throws IOException {
    List<ObjectNode> docs;
    try {
      docs = ManifestReader.read(input);
    } catch (RuntimeException e) {
      return; // an input the reader refuses never reaches the translator
    }
    EnvoyGatewayConfig config = EnvoyGatewayConfig.defaults();
    Path configFile = input.resolveSibling("config.yaml");
    List<ObjectNode> resources = new ArrayList<>();
    for (ObjectNode d : docs) {
      if ("EnvoyGateway".equals(d.path("kind").asText())) {
        config = EnvoyGatewayConfig.from(d);
      } else {
        resources.add(d);
      }
    }
    if (Files.exists(configFile)) {
      for (ObjectNode d : ManifestReader.read(configFile)) {
        if ("EnvoyGateway".equals(d.path("kind").asText())) {
          config = EnvoyGatewayConfig.from(d);
        }
      }
    }
    List<ObjectNode> before = resources.stream().map(ObjectNode::deepCopy).toList();
    new Translator(config).translate(ResourceSnapshot.of(resources));
    assertThat(resources).isEqualTo(before);
  }
}
