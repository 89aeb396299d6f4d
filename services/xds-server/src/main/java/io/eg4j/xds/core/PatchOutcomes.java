package io.eg4j.xds.core;

import io.eg4j.model.ir.XdsIr.JsonPatchIr;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code Programmed} condition of each EnvoyPatchPolicy of one IR, from the operations that did
 * not apply ({@link JsonPatches}), as Envoy Gateway sets it after its xDS translation:
 *
 * <ul>
 *   <li>an operation whose resource does not exist: {@code False}, reason {@code ResourceNotFound},
 *       "Unable to find xds resources: " and the {@code type/name} of each, comma-separated;
 *   <li>otherwise an operation that does not apply, or whose result is not a valid resource: {@code
 *       False}, reason {@code Invalid}, the errors one a line, the first letter capitalized and a
 *       full stop at the end;
 *   <li>otherwise {@code True}, reason {@code Programmed}, "Patches have been successfully
 *       applied.".
 * </ul>
 *
 * Messages longer than Kubernetes accepts in a condition (32,768 characters) are cut, saying so.
 */
public final class PatchOutcomes {
  /** The message of a policy whose operations all applied. */
  public static final String APPLIED = "Patches have been successfully applied.";

  /** The longest condition message the Kubernetes API accepts. */
  static final int MAX_MESSAGE = 32768;

  private static final String TRUNCATED = " (message truncated).";

  private PatchOutcomes() {}

  /**
   * One outcome per policy that has operations in {@code patches}, in their order.
   *
   * @param patches the IR's operations
   * @param failures the operations that did not apply
   */
  public static List<EnvoyPatchOutcomes.Policy> of(
      List<JsonPatchIr> patches, List<JsonPatches.Failure> failures) {
    Map<String, List<String>> notFound = new LinkedHashMap<>();
    Map<String, List<String>> invalid = new LinkedHashMap<>();
    Map<String, Boolean> policies = new LinkedHashMap<>();
    for (JsonPatchIr p : patches) {
      policies.put(policyOf(p), true);
    }
    for (JsonPatches.Failure f : failures) {
      String policy = policyOf(f.patch());
      (f.notFound() ? notFound : invalid)
          .computeIfAbsent(policy, k -> new ArrayList<>())
          .add(f.message());
    }
    List<EnvoyPatchOutcomes.Policy> out = new ArrayList<>();
    for (String policy : policies.keySet()) {
      if (notFound.containsKey(policy)) {
        out.add(
            new EnvoyPatchOutcomes.Policy(
                policy,
                false,
                "ResourceNotFound",
                truncate(
                    "Unable to find xds resources: " + String.join(",", notFound.get(policy)))));
      } else if (invalid.containsKey(policy)) {
        out.add(
            new EnvoyPatchOutcomes.Policy(
                policy,
                false,
                "Invalid",
                truncate(conditionMessage(String.join("\n", invalid.get(policy))))));
      } else {
        out.add(new EnvoyPatchOutcomes.Policy(policy, true, "Programmed", APPLIED));
      }
    }
    return out;
  }

  private static String policyOf(JsonPatchIr p) {
    return p.policy() == null ? "" : p.policy();
  }

  /** An error as a condition message: first letter capitalized, ending with a full stop. */
  static String conditionMessage(String error) {
    if (error.isEmpty()) {
      return error;
    }
    String m = error;
    int first = m.codePointAt(0);
    if (Character.isLetter(first)) {
      m =
          new String(Character.toChars(Character.toUpperCase(first)))
              + m.substring(Character.charCount(first));
    }
    return m.endsWith(".") ? m : m + ".";
  }

  static String truncate(String message) {
    if (message.length() <= MAX_MESSAGE) {
      return message;
    }
    return message.substring(0, MAX_MESSAGE - TRUNCATED.length()) + TRUNCATED;
  }
}
