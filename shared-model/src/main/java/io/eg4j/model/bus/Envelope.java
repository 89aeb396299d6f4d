package io.eg4j.model.bus;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The envelope around every value on the bus. Readers ignore unknown fields, so a newer writer can
 * add fields without breaking an older reader; a reader that sees a {@code schemaVersion} newer
 * than it knows still reads the fields it knows.
 *
 * @param schemaVersion the envelope schema version, {@link #CURRENT_SCHEMA}
 * @param type what the payload is: {@code resource}, {@code xds-ir}, {@code infra-ir}, {@code
 *     status}, {@code nack}
 * @param contentHash SHA-256 of the payload's canonical JSON; an unchanged hash means nothing to
 *     publish (DESIGN.md invariant 3)
 * @param producer the service that wrote it, for debugging
 * @param encrypted true when {@code payload} is a {@link SecretBox} ciphertext
 * @param payload the value
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Envelope(
    int schemaVersion,
    String type,
    String contentHash,
    String producer,
    boolean encrypted,
    JsonNode payload) {

  /** The schema version this build writes. */
  public static final int CURRENT_SCHEMA = 1;

  public Envelope {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
  }

  /** Wraps a payload, computing its content hash. */
  public static Envelope wrap(String type, String producer, JsonNode payload) {
    return new Envelope(CURRENT_SCHEMA, type, ContentHash.of(payload), producer, false, payload);
  }
}
