package io.eg4j.provisioner.kafka;

import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.FleetSink;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Consumes {@code eg4j.infra-ir} (on a {@link BusConsumerLoop}) and hands each fleet to the {@link
 * FleetSink}.
 *
 * <p>Every assignment is read from the beginning: the compacted topic is the desired state, and
 * host-mode proxies die with the provisioner, so a restarted provisioner must see every live fleet
 * again. But the history is never replayed: until the loop has caught up with the end offsets found
 * at assignment, records only update the latest desired state per fleet; once caught up, that state
 * goes to the sink in one {@link FleetSink#reconcile} (which also removes fleets that are not in
 * it). After that a value applies its fleet and a tombstone removes it.
 *
 * <p>A record that is not valid infra IR throws, and the loop sends it to the dead-letter topic.
 * Failures to apply a valid fleet are the sink's to retry, never a dead letter.
 */
public class InfraIrListener implements BusConsumerLoop.Handler {
  /** The envelope type of infra IR records. */
  public static final String TYPE = "infra-ir";

  private static final Logger log = LoggerFactory.getLogger(InfraIrListener.class);

  private final FleetSink sink;
  private final Map<String, InfraIr> catchingUp = new LinkedHashMap<>();
  private volatile boolean caughtUp;

  /** A listener feeding {@code sink}. */
  public InfraIrListener(FleetSink sink) {
    this.sink = sink;
  }

  /** True once the desired state read at start has gone to the sink. */
  public boolean isCaughtUp() {
    return caughtUp;
  }

  @Override
  public void onAssigned(Collection<TopicPartition> partitions) {
    catchingUp.clear();
    caughtUp = false;
  }

  @Override
  public void onCaughtUp() {
    log.info("infra IR read: {} live fleets", catchingUp.size());
    Map<String, InfraIr> fleets = Map.copyOf(catchingUp);
    catchingUp.clear();
    caughtUp = true;
    sink.reconcile(fleets);
  }

  /**
   * One record. A payload that is not valid infra IR throws, and the loop sends the record to the
   * dead-letter topic.
   */
  @Override
  public void onRecord(ConsumerRecord<String, byte[]> record, Envelope env) {
    String fleet = record.key();
    MDC.put("key", fleet);
    MDC.put("offset", String.valueOf(record.offset()));
    try {
      if (fleet == null) {
        throw new IllegalArgumentException("infra IR record without a key");
      }
      if (env == null) {
        if (!caughtUp) {
          catchingUp.remove(fleet);
          return;
        }
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
      if (!caughtUp) {
        catchingUp.put(fleet, ir);
        return;
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
