package io.eg4j.provisioner.core;

import io.eg4j.model.ir.InfraIr;
import java.util.Map;

/**
 * Where the provisioner sends the desired state of each proxy fleet. The Kafka consumer calls it
 * for every record of {@code eg4j.infra-ir}; the mode ({@code host} or {@code kubernetes}) decides
 * which implementation runs. Implementations must be idempotent: the same infra IR applied twice
 * changes nothing the second time.
 */
public interface FleetSink {

  /**
   * Makes the fleet look like {@code ir}: creates it when new, updates it when changed.
   *
   * @param ir the fleet's infra IR; its name is the fleet key
   */
  void apply(InfraIr ir);

  /**
   * Removes the fleet (its infra IR was tombstoned). Removing an unknown fleet does nothing.
   *
   * @param fleet the fleet name
   */
  void remove(String fleet);

  /**
   * The whole desired state at start (the latest infra IR of every live fleet, read to the end of
   * {@code eg4j.infra-ir}): make the world match it, including removing fleets that are not in it.
   * The history of each fleet is never replayed. The default applies every fleet; one that fails is
   * logged and does not keep the others from running.
   *
   * @param fleets the live fleets by name
   */
  default void reconcile(Map<String, InfraIr> fleets) {
    for (InfraIr ir : fleets.values()) {
      try {
        apply(ir);
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(FleetSink.class)
            .error("fleet {} not applied: {}", ir.name(), e.toString());
      }
    }
  }
}
