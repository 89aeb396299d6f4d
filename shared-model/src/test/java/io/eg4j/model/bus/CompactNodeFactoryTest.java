package io.eg4j.model.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CompactNodeFactoryTest {
  private static final ObjectMapper PLAIN = JsonMapper.builder().build();

  /** Random puts, replacements, removals (by key and through the iterator) and clears. */
  @Test
  void fieldMapBehavesLikeALinkedHashMap() {
    Random r = new Random(16);
    for (int round = 0; round < 300; round++) {
      var compact = new CompactNodeFactory.FieldMap();
      var reference = new LinkedHashMap<String, JsonNode>();
      int keys = 1 + r.nextInt(3 * CompactNodeFactory.LINEAR_MAX);
      for (int op = 0; op < 200; op++) {
        String k = "k" + r.nextInt(keys);
        JsonNode v = TextNode.valueOf("v" + op);
        switch (r.nextInt(10)) {
          case 0, 1, 2, 3, 4 -> assertThat(compact.put(k, v)).isEqualTo(reference.put(k, v));
          case 5, 6 -> assertThat(compact.remove(k)).isEqualTo(reference.remove(k));
          case 7 -> {
            Iterator<Map.Entry<String, JsonNode>> a = compact.entrySet().iterator();
            Iterator<Map.Entry<String, JsonNode>> b = reference.entrySet().iterator();
            while (a.hasNext()) {
              Map.Entry<String, JsonNode> ea = a.next();
              Map.Entry<String, JsonNode> eb = b.next();
              assertThat(ea).isEqualTo(eb);
              if (ea.getKey().hashCode() % 3 == 0) {
                a.remove();
                b.remove();
              } else if (ea.getKey().hashCode() % 3 == 1) {
                ea.setValue(v);
                eb.setValue(v);
              }
            }
            assertThat(b.hasNext()).isFalse();
          }
          case 8 -> assertThat(compact.get(k)).isEqualTo(reference.get(k));
          default -> {
            if (r.nextInt(20) == 0) {
              compact.clear();
              reference.clear();
            }
          }
        }
        assertThat(compact.size()).isEqualTo(reference.size());
        assertThat(List.copyOf(compact.keySet())).isEqualTo(List.copyOf(reference.keySet()));
        assertThat((Object) compact).isEqualTo(reference);
        assertThat(compact.hashCode()).isEqualTo(reference.hashCode());
        assertThat(compact.containsKey(k)).isEqualTo(reference.containsKey(k));
      }
    }
  }

  @Test
  void iteratorFailsFastAndRefusesADoubleRemove() {
    var m = new CompactNodeFactory.FieldMap();
    m.put("a", TextNode.valueOf("1"));
    m.put("b", TextNode.valueOf("2"));
    Iterator<Map.Entry<String, JsonNode>> it = m.entrySet().iterator();
    it.next();
    it.remove();
    assertThatThrownBy(it::remove).isInstanceOf(IllegalStateException.class);
    m.put("c", TextNode.valueOf("3"));
    assertThatThrownBy(it::next).isInstanceOf(ConcurrentModificationException.class);
  }

  /** The bus mapper reads and writes the same JSON, in the same field order, as plain Jackson. */
  @Test
  void treesReadByTheBusMapperEqualAndWriteLikePlainOnes() throws Exception {
    StringBuilder big = new StringBuilder("{");
    for (int i = 0; i < 3 * CompactNodeFactory.LINEAR_MAX; i++) {
      big.append(i == 0 ? "" : ",").append("\"z").append(i).append("\":").append(i);
    }
    big.append('}');
    List<String> docs =
        List.of(
            "{}",
            "[]",
            "{\"kind\":\"HTTPRoute\",\"metadata\":{\"name\":\"r\",\"labels\":{}},"
                + "\"spec\":{\"rules\":[{\"matches\":[{\"path\":{\"type\":\"PathPrefix\","
                + "\"value\":\"/\"}}],\"backendRefs\":[{\"name\":\"s\",\"port\":8080,"
                + "\"weight\":1.5}]}],\"hostnames\":[\"a\",\"b\",\"c\",\"d\"]}}",
            "{\"b\":1,\"a\":2,\"b\":3}",
            big.toString());
    for (String doc : docs) {
      JsonNode compact = Json.MAPPER.readTree(doc);
      JsonNode plain = PLAIN.readTree(doc);
      assertThat((Object) compact).isEqualTo(plain);
      assertThat((Object) plain).isEqualTo(compact);
      assertThat(compact.hashCode()).isEqualTo(plain.hashCode());
      assertThat(Json.MAPPER.writeValueAsString(compact))
          .isEqualTo(PLAIN.writeValueAsString(plain));
      assertThat(Json.CANONICAL.writeValueAsString(compact))
          .isEqualTo(Json.CANONICAL.writeValueAsString(plain));
      assertThat((Object) compact.deepCopy()).isEqualTo(plain);
    }
  }

  @Test
  void nodesMadeByTheFactoryAreEditableAsUsual() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    List<String> order = new ArrayList<>();
    for (int i = 0; i < 2 * CompactNodeFactory.LINEAR_MAX; i++) {
      o.put("f" + i, i);
      order.add("f" + i);
    }
    o.put("f3", "replaced");
    o.remove("f0");
    order.remove("f0");
    o.retain(order.subList(0, 10));
    assertThat(List.copyOf(o.properties().stream().map(Map.Entry::getKey).toList()))
        .isEqualTo(order.subList(0, 10));
    assertThat(o.get("f3").asText()).isEqualTo("replaced");
    ArrayNode a = Json.MAPPER.createArrayNode();
    for (int i = 0; i < 25; i++) {
      a.add(i);
    }
    assertThat(a.size()).isEqualTo(25);
    assertThat(a.get(24).asInt()).isEqualTo(24);
  }
}
