package io.eg4j.provisioner.kafka;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.FleetSink;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;

/**
 * Consumes {@code eg4j.infra-ir} and hands each fleet to the {@link FleetSink}: a value applies the
 * fleet, a tombstone removes it.
 *
 * <p>It reads the compacted topic from the beginning on every assignment instead of resuming from a
 * committed offset: host-mode proxies die with the provisioner, so a restarted provisioner must see
 * every live fleet again. Applying is idempotent, so re-reading is harmless in Kubernetes mode.
 */
public class InfraIrListener implements ConsumerSeekAware {
  /** The envelope type of infra IR records. */
  public static final String TYPE = "infra-ir";

  private static final Logger log = LoggerFactory.getLogger(InfraIrListener.class);

  private final FleetSink sink;

  /** A listener feeding {@code sink}. */
  public InfraIrListener(FleetSink sink) {
    this.sink = sink;
  }

  @Override
  public void onPartitionsAssigned(
      Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
    callback.seekToBeginning(assignments.keySet());
  }

  /**
   * Applies one record. A payload that is not valid infra IR throws, and the container's error
   * handler sends the record to the dead-letter topic.
   */
  @KafkaListener(
      id = "eg4j-provisioner-infra-ir",
      topics = Topics.INFRA_IR,
      // One group per replica (POD_NAME): in Kubernetes mode every replica must read every fleet,
      // because the Lease, not the group, picks the replica that writes.
      groupId = "${eg4j.provisioner.group-id:eg4j-provisioner-${POD_NAME:local}}",
      containerFactory = "infraIrContainerFactory")
  public void onRecord(ConsumerRecord<String, Envelope> record) {
    String fleet = record.key();
    MDC.put("key", fleet);
    MDC.put("offset", String.valueOf(record.offset()));
    try {
      if (fleet == null) {
        throw new IllegalArgumentException("infra IR record without a key");
      }
      Envelope env = record.value();
      if (env == null) {
        log.info("fleet {} is gone", fleet);
        sink.remove(fleet);
        return;
      }
      if (!TYPE.equals(env.type())) {
        throw new IllegalArgumentException(
            "expected an envelope of type " + TYPE + ", got " + env.type());
      }
      InfraIr ir = decode(env);
      if (!fleet.equals(ir.name())) {
        throw new IllegalArgumentException(
            "record key " + fleet + " differs from the fleet name " + ir.name());
      }
      sink.apply(ir);
    } finally {
      MDC.remove("key");
      MDC.remove("offset");
    }
  }

  /** Reads the infra IR out of an envelope. */
  static InfraIr decode(Envelope env) {
    try {
      return Json.MAPPER.treeToValue(env.payload(), InfraIr.class);
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalArgumentException("not valid infra IR: " + e.getMessage(), e);
    }
  }
}
