package io.eg4j.statuswriter.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Why proxy fleets could not be applied, as the provisioner publishes it on {@value #TOPIC} (keyed
 * by fleet; a tombstone once the fleet applies or is gone), so that a Gateway's {@code
 * Programmed=False} condition names the cause. Fed by a {@link BusConsumerLoop} that reads the
 * whole topic on every replica; read by {@link KubernetesStatusWriter}.
 */
public final class FleetFailures implements BusConsumerLoop.Handler {
  /** The provisioner's topic. */
  public static final String TOPIC = "eg4j.fleet-status";

  /** The envelope type of its values. */
  public static final String TYPE = "fleet-status";

  /** One failing fleet: its Gateway (namespace null when merged: name is the class) and why. */
  record Failure(String gatewayNamespace, String gatewayName, String cause) {}

  private final Map<String, Failure> byFleet = new ConcurrentHashMap<>();
  private volatile Runnable onChange = () -> {};

  /** Called after each change, e.g. to rewrite the Gateways' statuses. */
  public void onChange(Runnable r) {
    this.onChange = Objects.requireNonNull(r, "r");
  }

  @Override
  public void onRecord(ConsumerRecord<String, byte[]> record, Envelope envelope) {
    String fleet = record.key();
    if (fleet == null) {
      throw new IllegalArgumentException("fleet status without a key");
    }
    Failure before;
    if (envelope == null) {
      before = byFleet.remove(fleet);
      if (before == null) {
        return;
      }
    } else {
      if (!TYPE.equals(envelope.type())) {
        throw new IllegalArgumentException(
            "expected an envelope of type " + TYPE + ", got " + envelope.type());
      }
      JsonNode p = envelope.payload();
      String name = p.path("gatewayName").asText("");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("fleet status of " + fleet + " without a gatewayName");
      }
      Failure f =
          new Failure(
              p.path("gatewayNamespace").isTextual() ? p.path("gatewayNamespace").asText() : null,
              name,
              p.path("cause").asText("unknown"));
      before = byFleet.put(fleet, f);
      if (f.equals(before)) {
        return;
      }
    }
    onChange.run();
  }

  /**
   * Why the fleet of a Gateway could not be applied, or null.
   *
   * @param namespace the Gateway's namespace
   * @param name the Gateway's name
   * @param className its GatewayClass (the owner when gateways are merged), or empty
   */
  public String cause(String namespace, String name, String className) {
    for (Failure f : byFleet.values()) {
      if (f.gatewayNamespace() == null
          ? f.gatewayName().equals(className)
          : f.gatewayNamespace().equals(namespace) && f.gatewayName().equals(name)) {
        return f.cause();
      }
    }
    return null;
  }
}
