package io.eg4j.xds.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes Envoy NACKs to {@code eg4j.xds-nacks}, keyed by IR key, so the translator can trace
 * each rejection to the object that caused it and withhold that object (DESIGN.md invariant 10).
 * After a NACK, the versions Envoy accepts are published too (envelope type {@code xds-recovered}),
 * so a withheld object that is retried (a listener that could not bind) is known to be in place.
 * The EnvoyPatchPolicy outcomes of each IR go to the same topic under a key of their own ({@link
 * #publishPatchOutcomes}).
 */
public final class NackPublisher {
  private static final Logger log = LoggerFactory.getLogger(NackPublisher.class);

  private final Producer<String, byte[]> producer;
  private final EnvelopeSerde.EnvelopeSerializer serializer =
      new EnvelopeSerde.EnvelopeSerializer();

  public NackPublisher(Producer<String, byte[]> producer) {
    this.producer = producer;
  }

  /** Publishes one acceptance that follows a NACK of the same IR key and type. */
  public void publishRecovered(String irKey, String typeUrl, String version, String node) {
    ObjectNode payload = Json.MAPPER.createObjectNode();
    payload.put("type_url", typeUrl);
    payload.put("version", version);
    payload.put("node", node);
    send(irKey, Envelope.wrap("xds-recovered", "xds-server", payload));
  }

  // IR key -> the EnvoyPatchPolicy outcomes this replica last published for it.
  private final java.util.Map<String, EnvoyPatchOutcomes> outcomes =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Publishes the EnvoyPatchPolicy outcomes of an IR key (envelope type {@link
   * EnvoyPatchOutcomes#TYPE}, record key {@link EnvoyPatchOutcomes#recordKey}), or a tombstone when
   * {@code result} is null, and nothing when this replica already published the same. Compacted: a
   * translator that takes over reads the last outcomes of every key.
   */
  public void publishPatchOutcomes(String irKey, EnvoyPatchOutcomes result) {
    if (result == null) {
      if (outcomes.remove(irKey) != null) {
        producer.send(
            new ProducerRecord<>(Topics.XDS_NACKS, EnvoyPatchOutcomes.recordKey(irKey), null),
            (meta, err) -> {
              if (err != null) {
                log.error("cannot publish the end of patch outcomes of {}", irKey, err);
              }
            });
      }
      return;
    }
    if (result.equals(outcomes.put(irKey, result))) {
      return;
    }
    send(
        EnvoyPatchOutcomes.recordKey(irKey),
        Envelope.wrap(EnvoyPatchOutcomes.TYPE, "xds-server", Json.MAPPER.valueToTree(result)));
  }

  /** Publishes one NACK. */
  public void publish(String irKey, String typeUrl, String version, String error, String node) {
    ObjectNode payload = Json.MAPPER.createObjectNode();
    payload.put("type_url", typeUrl);
    payload.put("version", version);
    payload.put("error_message", error);
    payload.put("node", node);
    send(irKey, Envelope.wrap("nack", "xds-server", payload));
  }

  private void send(String irKey, Envelope envelope) {
    byte[] value = serializer.serialize(Topics.XDS_NACKS, envelope);
    producer.send(
        new ProducerRecord<>(Topics.XDS_NACKS, irKey, value),
        (meta, err) -> {
          if (err != null) {
            log.error("cannot publish {} of {}", envelope.type(), irKey, err);
          }
        });
  }
}
