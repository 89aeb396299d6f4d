package io.eg4j.model.bus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 over canonical JSON (object keys sorted), so equal content gives an equal hash. */
public final class ContentHash {
  private ContentHash() {}

  /** The hex SHA-256 of the canonical JSON form of {@code node}. */
  public static String of(JsonNode node) {
    try {
      byte[] bytes =
          Json.CANONICAL.writeValueAsBytes(Json.CANONICAL.treeToValue(node, Object.class));
      return sha256(bytes);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot hash payload", e);
    }
  }

  // CANONICAL, but a record's properties sorted by name like every other object's (Jackson puts
  // creator properties, hence all of a record's, first and in declaration order by default): a
  // value written by it is byte for byte what CANONICAL writes from the value's tree.
  private static final com.fasterxml.jackson.databind.ObjectMapper VALUES =
      ((com.fasterxml.jackson.databind.json.JsonMapper) Json.CANONICAL)
          .rebuild()
          .disable(com.fasterxml.jackson.databind.MapperFeature.SORT_CREATOR_PROPERTIES_FIRST)
          .build();

  /**
   * The hash {@link #of} gives for {@code Json.MAPPER.valueToTree(value)}, written straight from
   * the value: no tree, no untyped copy of it (issue #16: at a thousand routes, building both for
   * the whole xDS IR on every change cost more than translating it). For values of eg4j's own
   * records (the IR, statuses), whose JSON has no floats and no annotations but
   * {@code @JsonInclude} and {@code @JsonIgnore}; {@code ContentHashTest} and the translator's
   * {@code ContentHashOfValueTest} hold the two equal.
   */
  public static String ofValue(Object value) {
    return sha256(canonicalJson(value));
  }

  /**
   * The canonical JSON (keys sorted) of a value, written straight from it: what {@link #ofValue}
   * hashes, and a JSON document like any other for a reader that binds it by property name.
   */
  public static byte[] canonicalJson(Object value) {
    try {
      return VALUES.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write value", e);
    }
  }

  /**
   * A builder of the mapper {@link #canonicalJson} writes with, for a writer that must write the
   * same bytes with a module of its own (the translator's, which copies unchanged routes' JSON).
   */
  public static com.fasterxml.jackson.databind.json.JsonMapper.Builder canonicalValues() {
    return ((com.fasterxml.jackson.databind.json.JsonMapper) VALUES).rebuild();
  }

  /**
   * {@link #canonicalJson(Object)} written with one writer attribute: {@link SecretValues} reads
   * {@code SecretBox.class} (seal each secret value) and {@code SecretValues.Seen.class} (count
   * them).
   */
  public static byte[] canonicalJson(Object value, Object attributeKey, Object attribute) {
    try {
      return VALUES.writer().withAttribute(attributeKey, attribute).writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write value", e);
    }
  }

  /** The hex SHA-256 of some bytes. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The hex SHA-256 of a UTF-8 string. */
  public static String sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }
}
