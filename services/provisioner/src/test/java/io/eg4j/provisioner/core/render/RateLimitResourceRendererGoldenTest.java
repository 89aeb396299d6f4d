package io.eg4j.provisioner.core.render;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden tests of the global rate limit service's objects: {@code golden-ratelimit/<case>.in.yaml}
 * (controller namespace, EnvoyGateway configuration, configuration files) renders to {@code
 * <case>.out.yaml}. {@code -Dgolden.update=true} rewrites the outputs; the review reads the diff.
 */
class RateLimitResourceRendererGoldenTest {
  private static final boolean UPDATE = Boolean.getBoolean("golden.update");

  /** Numbers-as-strings stay quoted, so the files apply with kubectl as they are. */
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
    try (Stream<Path> files = Files.list(goldenDir())) {
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
  void rendersAsGolden(String name) throws Exception {
    JsonNode in = Json.YAML.readTree(Files.readString(goldenDir().resolve(name + ".in.yaml")));
    String actual = render(in);
    Path out = sourceGoldenDir().resolve(name + ".out.yaml");
    if (UPDATE) {
      Files.writeString(out, actual, StandardCharsets.UTF_8);
    }
    assertThat(Files.exists(out)).as("golden file %s (-Dgolden.update=true)", out).isTrue();
    assertThat(actual).isEqualTo(Files.readString(out));
  }

  /** The ConfigMap alone carries exactly the files it is given, under their names. */
  @Test
  void configMapCarriesTheFiles() {
    var renderer = new RateLimitResourceRenderer("ns");
    DesiredObject cm = renderer.configMapObject(Map.of("b.yaml", "domain: b\n", "a.yaml", "x"));
    assertThat(cm.name()).isEqualTo(RateLimitResourceRenderer.CONFIG_MAP);
    assertThat(cm.body().path("data").fieldNames())
        .toIterable()
        .containsExactly("a.yaml", "b.yaml");
    assertThat(cm.body().path("data").path("b.yaml").asText()).isEqualTo("domain: b\n");
  }

  /** Without rateLimit there is no infrastructure; with it, Envoy Gateway's defaults. */
  @Test
  void infraFollowsTheConfiguration() throws Exception {
    assertThat(RateLimitInfra.from(EnvoyGatewayConfig.defaults())).isNull();
    RateLimitInfra on =
        RateLimitInfra.from(
            EnvoyGatewayConfig.from(
                Json.YAML.readTree(
                    "rateLimit: {backend: {type: Redis, redis: {url: 'r:6379'}}}\n")));
    assertThat(on.redisUrl()).isEqualTo("r:6379");
    assertThat(on.image()).isEqualTo(RateLimitInfra.DEFAULT_IMAGE);
    assertThat(on.replicas()).isEqualTo(1);
    assertThat(on.serviceTls()).isNull();
    assertThat(on.redisTls()).isFalse();
  }

  static String render(JsonNode in) throws IOException {
    EnvoyGatewayConfig config = EnvoyGatewayConfig.from(in.get("config"));
    Map<String, String> files = new TreeMap<>();
    in.path("files").fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue().asText()));
    var objects =
        new RateLimitResourceRenderer(in.get("namespace").asText())
            .render(RateLimitInfra.from(config), files);
    StringBuilder sb = new StringBuilder();
    for (DesiredObject o : objects) {
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
    return Paths.get(
        RateLimitResourceRendererGoldenTest.class.getResource("/golden-ratelimit").toURI());
  }

  private static Path sourceGoldenDir() throws URISyntaxException {
    Path src = Paths.get("src/test/resources/golden-ratelimit");
    return UPDATE && Files.isDirectory(src) ? src : goldenDir();
  }
}
