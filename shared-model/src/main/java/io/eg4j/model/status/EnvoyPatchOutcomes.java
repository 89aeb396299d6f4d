package io.eg4j.model.status;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Objects;

/**
 * What became of the EnvoyPatchPolicy operations of one xDS IR: the xds-server applies them to the
 * resources it builds and publishes this on {@code eg4j.xds-nacks} (envelope type {@link #TYPE},
 * record key {@link #recordKey}); the translator merges each policy's {@code Programmed} condition
 * into the status it writes. Every xds-server replica computes the same outcomes from the same IR,
 * so a duplicate changes nothing.
 *
 * @param irKey the IR key
 * @param irHash the content hash of the IR the outcomes come from (the {@code contentHash} of its
 *     {@code eg4j.xds-ir} envelope): an outcome counts only while that IR is the one published
 * @param policies one outcome per policy with operations in the IR, in the IR's order
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EnvoyPatchOutcomes(String irKey, String irHash, List<Policy> policies) {
  /** The envelope type. */
  public static final String TYPE = "envoy-patch-outcomes";

  /** Prefix of the record key: a record of its own, so NACK events do not compact it away. */
  public static final String KEY_PREFIX = "envoy-patch-outcomes/";

  public EnvoyPatchOutcomes {
    Objects.requireNonNull(irKey, "irKey");
    Objects.requireNonNull(irHash, "irHash");
    policies = policies == null ? List.of() : List.copyOf(policies);
  }

  /** The record key on {@code eg4j.xds-nacks} of an IR key's outcomes. */
  public static String recordKey(String irKey) {
    return KEY_PREFIX + irKey;
  }

  /**
   * The {@code Programmed} condition of one policy, as Envoy Gateway sets it.
   *
   * @param policy {@code namespace/name} of the EnvoyPatchPolicy
   * @param programmed true when every operation applied
   * @param reason {@code Programmed}, {@code Invalid} or {@code ResourceNotFound}
   * @param message what failed, or that the patches applied
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Policy(String policy, boolean programmed, String reason, String message) {
    public Policy {
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }
}
