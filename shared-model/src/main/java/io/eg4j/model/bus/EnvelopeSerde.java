package io.eg4j.model.bus;

import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for {@link Envelope}. A null record value is a tombstone and stays null. A value that
 * is not a valid envelope throws {@link SerializationException}; consumers route such records to
 * the dead-letter topic and move on (DESIGN.md invariant 7).
 */
public final class EnvelopeSerde implements Serde<Envelope> {

  @Override
  public Serializer<Envelope> serializer() {
    return new EnvelopeSerializer();
  }

  @Override
  public Deserializer<Envelope> deserializer() {
    return new EnvelopeDeserializer();
  }

  /** Writes an envelope as JSON. */
  public static final class EnvelopeSerializer implements Serializer<Envelope> {
    @Override
    public byte[] serialize(String topic, Envelope data) {
      if (data == null) {
        return null;
      }
      try {
        return Json.MAPPER.writeValueAsBytes(data);
      } catch (IOException e) {
        throw new SerializationException("cannot write envelope for " + topic, e);
      }
    }
  }

  /** Reads an envelope from JSON; fails clearly on anything else. */
  public static final class EnvelopeDeserializer implements Deserializer<Envelope> {
    @Override
    public Envelope deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      try {
        Envelope e = Json.MAPPER.readValue(data, Envelope.class);
        if (e.schemaVersion() < 1) {
          throw new SerializationException("envelope without schemaVersion on " + topic);
        }
        return e;
      } catch (IOException | RuntimeException e) {
        if (e instanceof SerializationException se) {
          throw se;
        }
        throw new SerializationException(
            "record on " + topic + " is not an eg4j envelope: " + e.getMessage(), e);
      }
    }
  }
}
