package io.eg4j.model.bus;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContentHashTest {
  /** Components deliberately out of alphabetical order, a map, nulls and an omitted empty list. */
  record Inner(String zeta, long big, Map<String, String> labels, Boolean flag) {}

  record Outer(
      String name,
      List<Inner> items,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> maybe,
      Inner single,
      double ratio,
      byte[] raw) {}

  private static Outer sample(String label) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("z", label);
    labels.put("a", "first");
    labels.put("m", null);
    return new Outer(
        "outer",
        List.of(new Inner("b", 1L << 40, labels, null), new Inner("a", -3, Map.of(), true)),
        List.of(),
        null,
        0.25,
        new byte[] {1, 2, 3});
  }

  @Test
  void ofValueIsTheHashOfTheValuesTree() {
    Outer v = sample("x");
    assertThat(ContentHash.ofValue(v)).isEqualTo(ContentHash.of(Json.MAPPER.valueToTree(v)));
  }

  @Test
  void ofValueChangesWithTheContent() {
    assertThat(ContentHash.ofValue(sample("x"))).isNotEqualTo(ContentHash.ofValue(sample("y")));
  }

  @Test
  void sealedJsonOpensToTheSameDocument() {
    SecretBox box = new SecretBox("k1", new byte[32]);
    byte[] plain = "{\"b\":1,\"a\":[true,null]}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    var sealed = box.sealJson(plain);
    assertThat(box.openJson(sealed)).isEqualTo(plain);
    assertThat(box.open(sealed))
        .isEqualTo(
            Json.MAPPER
                .createObjectNode()
                .put("b", 1)
                .set("a", Json.MAPPER.createArrayNode().add(true).addNull()));
  }
}
