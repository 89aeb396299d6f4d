package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.traffic.ClientTrafficIr;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyEnv;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates one ClientTrafficPolicy into the {@link ClientTrafficIr} its listeners carry. Each
 * feature is its own class beside this one that lists the spec fields it enforces and builds its IR
 * record. A policy that sets a field no feature enforces yields an error: it is {@code
 * Accepted=False} and changes nothing (DESIGN.md invariant 9).
 */
public final class ClientTrafficPolicyTranslator {
  /** Every spec path a ClientTrafficPolicy may set and still be enforced. */
  public static final List<String> SUPPORTED = supported();

  private static List<String> supported() {
    List<String> all = new ArrayList<>(FieldSupport.ATTACHMENT);
    return List.copyOf(all);
  }

  /**
   * The outcome: the IR, or the reason the policy cannot be enforced.
   *
   * @param ir the client traffic settings, null on error
   * @param error the Accepted=False message, null on success
   */
  public record Result(ClientTrafficIr ir, String error) {}

  private final PolicyEnv env;

  /** A translator that resolves references through {@code env}. */
  public ClientTrafficPolicyTranslator(PolicyEnv env) {
    this.env = env;
  }

  /** Translates a policy. */
  public Result translate(ObjectNode policy, JsonNode spec) {
    String unsupported = FieldSupport.message(FieldSupport.unsupported(spec, SUPPORTED));
    if (unsupported != null) {
      return new Result(null, unsupported);
    }
    String id =
        "clienttrafficpolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    return new Result(new ClientTrafficIr(id), null);
  }
}
