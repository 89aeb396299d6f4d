package io.eg4j.statuswriter.kafka;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.statuswriter.core.StatusSink;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Hands {@code eg4j.status} records to a {@link StatusSink}: a status to write, or a tombstone to
 * remove. A record whose payload is not a status throws, so the loop dead-letters it.
 */
public final class StatusRecordHandler implements BusConsumerLoop.Handler {
  private final StatusSink sink;
  private boolean replaying;

  /** A handler writing to {@code sink}. */
  public StatusRecordHandler(StatusSink sink) {
    this.sink = sink;
  }

  @Override
  public void onAssigned(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
    // A replica given no partition replays nothing, so it must not judge what is stale.
    replaying = !partitions.isEmpty();
    if (replaying) {
      sink.replayStarted();
    }
  }

  @Override
  public void onCaughtUp() {
    if (replaying) {
      replaying = false;
      sink.replayFinished();
    }
  }

  @Override
  public void onRecord(ConsumerRecord<String, byte[]> record, Envelope envelope) {
    ResourceKey key = ResourceKey.parse(record.key());
    if (envelope == null) {
      sink.remove(key);
      return;
    }
    ResourceStatus status;
    try {
      status = Json.MAPPER.treeToValue(envelope.payload(), ResourceStatus.class);
    } catch (Exception e) {
      throw new IllegalArgumentException("payload is not a ResourceStatus: " + e.getMessage(), e);
    }
    if (status == null || !key.equals(status.key())) {
      throw new IllegalArgumentException("status key does not match record key " + key);
    }
    sink.accept(status);
  }
}
