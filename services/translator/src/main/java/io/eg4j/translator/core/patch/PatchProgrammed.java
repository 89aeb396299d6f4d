package io.eg4j.translator.core.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.translator.core.TranslateResult;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code Programmed} condition of EnvoyPatchPolicies. Their operations are applied by the
 * xds-server, which reports what became of each policy's operations ({@link EnvoyPatchOutcomes}),
 * tied to the content hash of the IR they were applied to. This merges the outcome into each
 * ancestor of the policy's status that is {@code Accepted=True}, as Envoy Gateway does after its
 * xDS translation, when it came from the IR published for that ancestor. While the outcome of a
 * changed IR is on its way, the same generation of the policy keeps the outcome it had (so an
 * endpoint change does not make the condition come and go); a new generation never carries the
 * outcome of an older IR: it waits for the outcome of its own.
 *
 * <p>A policy accepted for an IR that carries none of its operations (it has none) has nothing that
 * could fail: it is {@code Programmed=True} at once, as in Envoy Gateway.
 *
 * <p>Not thread-safe: the translator's consumer loop owns it. The offline CLI never uses it: Envoy
 * Gateway's golden statuses come from its gatewayapi layer only.
 */
public final class PatchProgrammed {
  /** Hashes remembered per IR key: outcomes may arrive for an IR just replaced. */
  static final int HASHES_PER_KEY = 4;

  /** IR keys remembered at most; the oldest are forgotten first. */
  static final int MAX_KEYS = 10_000;

  private static final String GATEWAY_GROUP = "gateway.networking.k8s.io";

  // IR key -> IR hash -> outcomes, oldest first at both levels.
  private final LinkedHashMap<String, LinkedHashMap<String, EnvoyPatchOutcomes>> known =
      new LinkedHashMap<>();

  /** The outcome last merged for a policy and IR key, and the policy generation it was for. */
  private record Merged(EnvoyPatchOutcomes.Policy outcome, JsonNode generation) {}

  // "policy|irKey" -> the outcome last merged: kept, for the same generation of the policy, while
  // the outcome of a newer IR (an endpoint change, another route) is on its way.
  private final LinkedHashMap<String, Merged> merged =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Merged> eldest) {
          return size() > MAX_KEYS;
        }
      };

  /**
   * Takes in the outcomes of one IR. Returns false when they were known already (every xds-server
   * replica publishes the same).
   */
  public boolean offer(EnvoyPatchOutcomes outcomes) {
    LinkedHashMap<String, EnvoyPatchOutcomes> byHash = known.remove(outcomes.irKey());
    if (byHash == null) {
      byHash = new LinkedHashMap<>();
    }
    // Re-inserted: the most recently reported key is the last one forgotten.
    known.put(outcomes.irKey(), byHash);
    EnvoyPatchOutcomes before = byHash.remove(outcomes.irHash());
    byHash.put(outcomes.irHash(), outcomes);
    while (byHash.size() > HASHES_PER_KEY) {
      Iterator<String> it = byHash.keySet().iterator();
      it.next();
      it.remove();
    }
    while (known.size() > MAX_KEYS) {
      Iterator<String> it = known.keySet().iterator();
      it.next();
      it.remove();
    }
    return !outcomes.equals(before);
  }

  /** Whether outcomes for this IR key and hash are known. */
  public boolean knows(String irKey, String irHash) {
    var byHash = known.get(irKey);
    return byHash != null && byHash.containsKey(irHash);
  }

  /**
   * The translation with the {@code Programmed} condition merged into its EnvoyPatchPolicy
   * statuses.
   *
   * @param result what is about to be published
   * @param irHash the content hash of an IR key's IR in {@code result}, as published on {@code
   *     eg4j.xds-ir}; asked only for keys that carry operations of a policy
   * @param now the time written in a condition that changes (RFC 3339)
   */
  public TranslateResult apply(
      TranslateResult result, Function<String, String> irHash, String now) {
    List<ResourceStatus> statuses = null;
    Map<String, String> hashes = new LinkedHashMap<>();
    for (int i = 0; i < result.statuses().size(); i++) {
      ResourceStatus s = result.statuses().get(i);
      if (!s.key().kind().equals("EnvoyPatchPolicy")) {
        continue;
      }
      ResourceStatus merged = merge(s, result.xdsIr(), irHash, hashes, now);
      if (merged != s) {
        if (statuses == null) {
          statuses = new ArrayList<>(result.statuses());
        }
        statuses.set(i, merged);
      }
    }
    return statuses == null
        ? result
        : new TranslateResult(
            statuses,
            result.xdsIr(),
            result.infraIr(),
            result.endpointSources(),
            result.endpointIndex());
  }

  private ResourceStatus merge(
      ResourceStatus s,
      Map<String, XdsIr> irs,
      Function<String, String> irHash,
      Map<String, String> hashes,
      String now) {
    String policy = s.key().namespace() + "/" + s.key().name();
    ObjectNode status = null;
    JsonNode ancestors = s.status().path("ancestors");
    for (int i = 0; i < ancestors.size(); i++) {
      JsonNode a = ancestors.get(i);
      JsonNode accepted = condition(a, "Accepted");
      if (accepted == null || !accepted.path("status").asText().equals("True")) {
        continue;
      }
      String irKey = irKey(a.path("ancestorRef"), s.key().namespace());
      XdsIr ir = irKey == null ? null : irs.get(irKey);
      if (ir == null) {
        continue;
      }
      EnvoyPatchOutcomes.Policy outcome;
      if (ir.jsonPatches().stream().noneMatch(p -> policy.equals(p.policy()))) {
        outcome = new EnvoyPatchOutcomes.Policy(policy, true, "Programmed", APPLIED);
      } else {
        String hash = hashes.computeIfAbsent(irKey, irHash);
        outcome = outcome(irKey, hash, policy);
      }
      JsonNode generation = accepted.path("observedGeneration");
      String mergedKey = policy + "|" + irKey;
      if (outcome != null) {
        merged.put(mergedKey, new Merged(outcome, generation));
      } else {
        // The IR changed and its outcome is not in yet: the same generation of the policy keeps
        // the outcome it had; a new generation waits for its own.
        Merged last = merged.get(mergedKey);
        if (last == null || !last.generation().equals(generation)) {
          continue;
        }
        outcome = last.outcome();
      }
      if (status == null) {
        status = s.status().deepCopy();
      }
      setProgrammed((ObjectNode) status.path("ancestors").get(i), outcome, generation, now);
    }
    return status == null
        ? s
        : new ResourceStatus(s.key(), s.apiVersion(), s.observedGeneration(), status);
  }

  /** The message of a policy whose operations all applied. */
  static final String APPLIED = "Patches have been successfully applied.";

  private EnvoyPatchOutcomes.Policy outcome(String irKey, String hash, String policy) {
    var byHash = known.get(irKey);
    EnvoyPatchOutcomes o = byHash == null || hash == null ? null : byHash.get(hash);
    if (o == null) {
      return null;
    }
    for (EnvoyPatchOutcomes.Policy p : o.policies()) {
      if (p.policy().equals(policy)) {
        return p;
      }
    }
    return null;
  }

  /** The IR key an ancestor of an EnvoyPatchPolicy stands for: a Gateway, or a merged class. */
  static String irKey(JsonNode ref, String policyNamespace) {
    if (!ref.path("group").asText(GATEWAY_GROUP).equals(GATEWAY_GROUP)) {
      return null;
    }
    String name = ref.path("name").asText("");
    return switch (ref.path("kind").asText("Gateway")) {
      case "Gateway" -> ref.path("namespace").asText(policyNamespace) + "/" + name;
      case "GatewayClass" -> name;
      default -> null;
    };
  }

  private static JsonNode condition(JsonNode holder, String type) {
    for (JsonNode c : holder.path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return null;
  }

  private static void setProgrammed(
      ObjectNode ancestor, EnvoyPatchOutcomes.Policy outcome, JsonNode generation, String now) {
    ArrayNode conditions =
        ancestor.get("conditions") instanceof ArrayNode c ? c : ancestor.putArray("conditions");
    ObjectNode c = null;
    for (JsonNode n : conditions) {
      if (n instanceof ObjectNode o && "Programmed".equals(o.path("type").asText())) {
        c = o;
      }
    }
    if (c == null) {
      c = conditions.addObject();
      c.put("type", "Programmed");
    }
    String status = outcome.programmed() ? "True" : "False";
    boolean transition = !status.equals(c.path("status").asText());
    c.put("status", status);
    c.put("reason", outcome.reason());
    c.put("message", outcome.message());
    if (transition || !c.has("lastTransitionTime")) {
      c.put("lastTransitionTime", now);
    }
    if (generation.isNumber()) {
      c.set("observedGeneration", generation);
    }
  }
}
