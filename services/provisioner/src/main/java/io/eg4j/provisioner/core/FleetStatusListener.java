package io.eg4j.provisioner.core;

import io.eg4j.model.ir.InfraIr;
import java.time.Duration;

/**
 * Hears how applying each fleet went, so that a Gateway's status can name why its fleet is missing
 * (in Kubernetes mode it is published on {@code eg4j.fleet-status}). Called on the provisioner's
 * threads; implementations must not block for long.
 */
public interface FleetStatusListener {

  /**
   * The fleet now matches its infra IR.
   *
   * @param ir the fleet's infra IR
   */
  default void applied(InfraIr ir) {}

  /**
   * The fleet could not be applied.
   *
   * @param ir the fleet's infra IR
   * @param cause why, for people (the API server's answer, or what is wrong with the fleet)
   * @param retryIn when the next attempt is due, or null when the fleet is not retried until its
   *     infra IR changes (the fleet itself is invalid)
   */
  default void failed(InfraIr ir, String cause, Duration retryIn) {}

  /**
   * The fleet is gone: its status is no longer of interest.
   *
   * @param fleet the fleet name
   */
  default void removed(String fleet) {}

  /** Hears nothing. */
  FleetStatusListener NONE = new FleetStatusListener() {};
}
