package io.eg4j.translator.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The publisher hashes a sealed xDS IR straight from the record ({@link ContentHash#ofValue}); what
 * it reads back from the topic, and what the xds-servers tie EnvoyPatchPolicy outcomes to, is the
 * hash of the IR's tree. The two must agree on every IR the translator makes: checked on every
 * golden case's xDS and infra IR.
 */
class ContentHashOfValueTest {
  private static final Path DIR = Path.of("src/test/resources/testdata");

  static Stream<Path> cases() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(p -> p.toString().endsWith(".in.yaml")).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void valueHashIsTreeHash(Path input) throws IOException {
    EnvoyGatewayConfig config = EnvoyGatewayConfig.defaults();
    List<ObjectNode> resources = new ArrayList<>();
    for (ObjectNode d : ManifestReader.read(input)) {
      if ("EnvoyGateway".equals(d.path("kind").asText())) {
        config = EnvoyGatewayConfig.from(d);
      } else {
        resources.add(d);
      }
    }
    TranslateResult result =
        new Translator(config, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))
            .translate(ResourceSnapshot.of(resources));
    result
        .xdsIr()
        .forEach(
            (k, ir) ->
                assertThat(ContentHash.ofValue(ir))
                    .as(k)
                    .isEqualTo(ContentHash.of(Json.MAPPER.valueToTree(ir))));
    result
        .infraIr()
        .forEach(
            (k, ir) ->
                assertThat(ContentHash.ofValue(ir))
                    .as(k)
                    .isEqualTo(ContentHash.of(Json.MAPPER.valueToTree(ir))));
  }
}
