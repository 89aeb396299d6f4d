package io.eg4j.xds.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.EnvelopeSerde;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes Envoy NACKs to {@code eg4j.xds-nacks}, keyed by IR key, so the status side can report
 * that a Gateway's configuration was rejected.
 */
public final class NackPublisher {
  private static final Logger log = LoggerFactory.getLogger(NackPublisher.class);

  private final Producer<String, byte[]> producer;
  private final EnvelopeSerde.EnvelopeSerializer serializer =
      new EnvelopeSerde.EnvelopeSerializer();

  public NackPublisher(Producer<String, byte[]> producer) {
    this.producer = producer;
  }

  /** Publishes one NACK. */
  public void publish(String irKey, String typeUrl, String version, String error, String node) {
    ObjectNode payload = Json.MAPPER.createObjectNode();
    payload.put("type_url", typeUrl);
    payload.put("version", version);
    payload.put("error_message", error);
    payload.put("node", node);
    byte[] value =
        serializer.serialize(Topics.XDS_NACKS, Envelope.wrap("nack", "xds-server", payload));
    producer.send(
        new ProducerRecord<>(Topics.XDS_NACKS, irKey, value),
        (meta, err) -> {
          if (err != null) {
            log.error("cannot publish NACK of {}", irKey, err);
          }
        });
  }
}
