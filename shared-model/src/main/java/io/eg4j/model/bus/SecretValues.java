package io.eg4j.model.bus;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;

/**
 * Secret material inside the IR: the IR's fields that hold a Secret's data (private keys, client
 * secrets, API keys, htpasswd files, credentials) are written and read through these, so the bus
 * can seal them value by value and then compress the document that holds them ({@link
 * SecretBox#sealCompressed}; DESIGN.md invariants 5 and 6).
 *
 * <p>Every other writer and reader (the CLI's IR output, tests, the hash of the content) sees the
 * plain string: the writer seals only when it is given a {@link SecretBox} as the attribute {@code
 * SecretBox.class} ({@code ObjectWriter.withAttribute}); a reader opens a sealed value only with
 * one, and refuses a sealed value without it.
 *
 * <p>A field is marked with {@link SecretMaterial} (a map's values with {@link
 * SecretMaterial.Values}). {@code SecretValuesOffTheBusTest} (translator) checks, on every golden
 * and corpus input, that no Secret's data is left in the document that is compressed.
 */
public final class SecretValues {
  private SecretValues() {}

  /**
   * Counts the secret values written by a writer given it as the attribute {@code Seen.class}: zero
   * means the document holds no Secret material.
   */
  public static final class Seen {
    private int count;

    /** How many secret values were written. */
    public int count() {
      return count;
    }
  }

  /** Writes a secret value, sealed when the writer holds a {@link SecretBox}. */
  public static final class Writer extends StdSerializer<String> {
    public Writer() {
      super(String.class);
    }

    @Override
    public void serialize(String value, JsonGenerator g, SerializerProvider provider)
        throws IOException {
      if (provider.getAttribute(SecretBox.class) instanceof SecretBox box) {
        g.writeString(box.sealValue(value));
        return;
      }
      if (provider.getAttribute(Seen.class) instanceof Seen seen) {
        seen.count++;
      }
      g.writeString(value);
    }
  }

  /** Reads a secret value, opening it when it was sealed. */
  public static final class Reader extends StdDeserializer<String> {
    public Reader() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String value = p.getValueAsString();
      if (!SecretBox.isSealedValue(value)) {
        return value;
      }
      if (!(ctxt.getAttribute(SecretBox.class) instanceof SecretBox box)) {
        return ctxt.reportInputMismatch(
            String.class, "a sealed secret value, and no bus key to open it with");
      }
      try {
        return box.openValue(value);
      } catch (IllegalStateException e) {
        return ctxt.reportInputMismatch(String.class, e.getMessage());
      }
    }
  }
}
