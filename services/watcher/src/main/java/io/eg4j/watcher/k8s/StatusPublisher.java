package io.eg4j.watcher.k8s;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.status.ResourceStatus;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the status of an unreadable object to {@code eg4j.status}, in the envelope the
 * translator uses for statuses (type {@code status}, payload a {@link ResourceStatus}).
 */
public final class StatusPublisher implements Consumer<ResourceStatus> {
  private static final Logger LOG = LoggerFactory.getLogger(StatusPublisher.class);

  private final Producer<String, Envelope> producer;

  /** A publisher on a producer of envelopes. */
  public StatusPublisher(Producer<String, Envelope> producer) {
    this.producer = Objects.requireNonNull(producer, "producer");
  }

  @Override
  public void accept(ResourceStatus status) {
    Envelope env = Envelope.wrap("status", "watcher", Json.MAPPER.valueToTree(status));
    producer.send(
        new ProducerRecord<>(Topics.STATUS, status.key().toString(), env),
        (md, e) -> {
          if (e != null) {
            LOG.warn("status of {} not published: {}", status.key(), e.toString());
          }
        });
  }

  /** Removes the status of an unreadable object that was deleted. */
  public void tombstone(io.eg4j.model.bus.ResourceKey key) {
    producer.send(
        new ProducerRecord<>(Topics.STATUS, key.toString(), null),
        (md, e) -> {
          if (e != null) {
            LOG.warn("status tombstone of {} not published: {}", key, e.toString());
          }
        });
  }
}
