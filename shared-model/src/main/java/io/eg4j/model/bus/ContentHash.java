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
