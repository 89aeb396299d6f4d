package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates one BackendTrafficPolicy into the {@link TrafficIr} its routes carry. Each feature is
 * its own class beside this one that lists the spec fields it enforces and builds its IR record. A
 * policy that sets a field no feature enforces yields an error: it is {@code Accepted=False} and
 * changes nothing (DESIGN.md invariant 9).
 */
public final class BackendTrafficPolicyTranslator {
  /** Every spec path a BackendTrafficPolicy may set and still be enforced. */
  public static final List<String> SUPPORTED = supported();

  private static List<String> supported() {
    List<String> all = new ArrayList<>(FieldSupport.ATTACHMENT);
    // The cluster settings, at the top of the spec.
    all.addAll(ClusterSettingsTranslator.FIELDS);
    return List.copyOf(all);
  }

  /**
   * The outcome: the IR, or the reason the policy cannot be enforced.
   *
   * @param ir the traffic settings, null on error
   * @param error the Accepted=False message, null on success
   */
  public record Result(TrafficIr ir, String error) {}

  private final PolicyEnv env;

  /** A translator that resolves references through {@code env}. */
  public BackendTrafficPolicyTranslator(PolicyEnv env) {
    this.env = env;
  }

  /**
   * Translates a policy whose spec may be the result of merging ({@code mergeType}).
   *
   * @param policy the policy object
   * @param spec the spec to translate
   */
  public Result translate(ObjectNode policy, JsonNode spec) {
    String unsupported = FieldSupport.message(FieldSupport.unsupported(spec, SUPPORTED));
    if (unsupported != null) {
      return new Result(null, unsupported);
    }
    String id =
        "backendtrafficpolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    if ("ConsistentHash".equals(spec.path("loadBalancer").path("type").asText(""))) {
      return new Result(
          null,
          "not supported by eg4j yet, so the policy is not applied: spec.loadBalancer.consistentHash");
    }
    try {
      return new Result(new TrafficIr(id, ClusterSettingsTranslator.translate(spec, "spec")), null);
    } catch (PolicyException e) {
      return new Result(null, e.getMessage());
    }
  }
}
