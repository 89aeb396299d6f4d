package io.eg4j.provisioner.kafka;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.provisioner.core.FleetStatusListener;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes why a fleet could not be applied on the compacted topic {@value #TOPIC}, keyed by fleet
 * name, for the Gateway's status ({@code Programmed=False}, the cause in the message): a value
 * while the fleet fails, a tombstone once it is applied or gone. A state is published only when it
 * changes (a retry that fails the same way publishes nothing), and the first state of each fleet
 * after a start always, so a failure left on the topic by an earlier run is cleared.
 *
 * <p>The value is an envelope of type {@value #TYPE} with {@code fleet}, {@code gatewayNamespace}
 * (null when gateways are merged), {@code gatewayName} (the GatewayClass when merged), {@code
 * cause} and {@code retryInMillis} (null when not retried until the Gateway changes).
 */
public final class FleetStatusPublisher implements FleetStatusListener {
  /** The topic. */
  public static final String TOPIC = "eg4j.fleet-status";

  /** The envelope type of its values. */
  public static final String TYPE = "fleet-status";

  private static final Logger LOG = LoggerFactory.getLogger(FleetStatusPublisher.class);
  private static final String APPLIED = "";

  private final Producer<String, Envelope> producer;
  private final Map<String, String> published = new ConcurrentHashMap<>();

  /** A publisher sending with {@code producer} (which it does not close). */
  public FleetStatusPublisher(Producer<String, Envelope> producer) {
    this.producer = Objects.requireNonNull(producer, "producer");
  }

  @Override
  public void applied(InfraIr ir) {
    if (!APPLIED.equals(published.put(ir.name(), APPLIED))) {
      send(ir.name(), null);
    }
  }

  @Override
  public void failed(InfraIr ir, String cause, Duration retryIn) {
    String c = cause == null ? "unknown" : cause;
    if (c.equals(published.put(ir.name(), c))) {
      return;
    }
    ObjectNode p = Json.MAPPER.createObjectNode();
    p.put("fleet", ir.name());
    p.put("gatewayNamespace", ir.ownerGatewayNamespace());
    p.put("gatewayName", ir.ownerGatewayName());
    p.put("cause", c);
    if (retryIn == null) {
      p.putNull("retryInMillis");
    } else {
      p.put("retryInMillis", retryIn.toMillis());
    }
    send(ir.name(), Envelope.wrap(TYPE, "provisioner", p));
  }

  @Override
  public void removed(String fleet) {
    if (published.remove(fleet) != null) {
      send(fleet, null);
    }
  }

  private void send(String fleet, Envelope value) {
    try {
      producer.send(
          new ProducerRecord<>(TOPIC, fleet, value),
          (meta, e) -> {
            if (e != null) {
              // The next change of the fleet publishes again; the apply itself is unaffected.
              published.remove(fleet);
              LOG.warn("fleet status of {} not published: {}", fleet, e.toString());
            }
          });
    } catch (RuntimeException e) {
      published.remove(fleet);
      LOG.warn("fleet status of {} not published: {}", fleet, e.toString());
    }
  }
}
