package io.eg4j.model.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Multi-document manifests as kubectl reads them. */
class ManifestReaderTest {
  private static List<ObjectNode> read(String yaml) throws java.io.IOException {
    return ManifestReader.read(
        "test.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
  }

  private static final String NS = "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n";

  @Test
  void emptyDocumentsAreSkipped() throws Exception {
    String yaml =
        "---\n"
            + NS.formatted("a")
            + "---\n---\n"
            + "# only a comment\n---\n"
            + NS.formatted("b")
            + "---\n";
    assertThat(read(yaml))
        .extracting(o -> o.path("metadata").path("name").asText())
        .containsExactly("a", "b");
  }

  @Test
  void aDocumentThatIsNotAMappingIsRefusedWithItsLine() {
    assertThatThrownBy(() -> read(NS.formatted("a") + "---\n- just\n- a list\n"))
        .hasMessageContaining("test.yaml:5")
        .hasMessageContaining("a document must be a mapping");
    assertThatThrownBy(() -> read(NS.formatted("a") + "---\nplain text\n"))
        .hasMessageContaining("a document must be a mapping");
  }
}
