package io.eg4j.model.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ApiVersionsTest {
  @Test
  void refusesVersionsNoApiServerServes() {
    assertThat(ApiVersions.refusal("gateway.networking.k8s.io/v9", "HTTPRoute"))
        .contains("no matches for kind HTTPRoute in version gateway.networking.k8s.io/v9")
        .contains("gateway.networking.k8s.io/v1");
    assertThat(ApiVersions.refusal("gateway.envoyproxy.io/v1", "SecurityPolicy"))
        .contains("gateway.envoyproxy.io/v1alpha1");
    assertThat(ApiVersions.refusal("v2", "Service")).contains("use one of: v1");
    assertThat(ApiVersions.refusal("gateway.networking.k8s.io/v1", "HTTPRoutes"))
        .contains("no kind HTTPRoutes");
  }

  @Test
  void acceptsPublishedVersionsAndLeavesOtherGroupsAlone() {
    assertThat(ApiVersions.refusal("gateway.networking.k8s.io/v1beta1", "HTTPRoute")).isNull();
    assertThat(ApiVersions.refusal("gateway.networking.k8s.io/v1alpha2", "GRPCRoute")).isNull();
    assertThat(ApiVersions.refusal("gateway.networking.k8s.io/v1alpha3", "TLSRoute")).isNull();
    assertThat(ApiVersions.refusal("apps/v1", "Deployment")).isNull();
    assertThat(ApiVersions.refusal("v1", "Pod")).isNull();
    assertThat(ApiVersions.reads("v1", "Pod")).isFalse();
    assertThat(ApiVersions.reads("v1", "Service")).isTrue();
  }

  /** Every version a CRD of third_party/crds serves is accepted: the table cannot fall behind. */
  @Test
  void acceptsEveryVersionTheCrdsServe() throws Exception {
    Path crds = Path.of("..", "third_party", "crds");
    YAMLMapper yaml = new YAMLMapper();
    int checked = 0;
    try (Stream<Path> files = Files.walk(crds)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        for (JsonNode crd :
            yaml.readValues(yaml.createParser(f.toFile()), JsonNode.class).readAll()) {
          if (!"CustomResourceDefinition".equals(crd.path("kind").asText())) {
            continue;
          }
          String group = crd.path("spec").path("group").asText();
          if (group.endsWith("x-k8s.io")) {
            continue; // experimental groups eg4j does not read
          }
          String kind = crd.path("spec").path("names").path("kind").asText();
          for (JsonNode v : crd.path("spec").path("versions")) {
            if (v.path("served").asBoolean()) {
              assertThat(ApiVersions.refusal(group + "/" + v.path("name").asText(), kind))
                  .as(group + "/" + v.path("name").asText() + " " + kind)
                  .isNull();
              checked++;
            }
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(20);
  }

  @Test
  void manifestReaderRefusesTheDocumentWithItsLine() {
    String text =
        """
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        ---
        apiVersion: gateway.networking.k8s.io/v9
        kind: HTTPRoute
        metadata: {name: r}
        """;
    assertThatThrownBy(
            () ->
                ManifestReader.read(
                    "routes.yaml", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(ManifestReader.ManifestException.class)
        .hasMessageContaining("routes.yaml")
        .hasMessageContaining("gateway.networking.k8s.io/v9");
  }
}
