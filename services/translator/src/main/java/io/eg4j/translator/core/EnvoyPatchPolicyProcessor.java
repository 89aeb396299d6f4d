package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Status of EnvoyPatchPolicies. A patch applies to one xDS IR: the Gateway named by {@code
 * spec.targetRef.name} in the policy's own namespace, or, when the class merges its Gateways, the
 * GatewayClass's merged IR. A policy whose IR does not exist is ignored (no status). Otherwise it
 * is Disabled when the extension API is off, Invalid when its target is not of the kind the mode
 * needs (or, merged, not our class), and Accepted otherwise. The patches themselves are not applied
 * to the xDS yet, so a policy with patches is Accepted=False (fail closed).
 */
final class EnvoyPatchPolicyProcessor {
  private final TranslationContext ctx;

  EnvoyPatchPolicyProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  void process() {
    List<ObjectNode> policies = new ArrayList<>(ctx.envoyPatchPolicies);
    // Lower priority first; a stable sort keeps age order among equal priorities.
    policies.sort(Comparator.comparingInt(p -> priority(p)));
    for (GatewayClassProcessor.GatewayClassContext gc : ctx.translatedClasses) {
      for (ObjectNode p : policies) {
        try {
          process(gc, p);
        } catch (RuntimeException e) {
          // A policy of an unexpected shape gets no status rather than stopping translation.
        }
      }
    }
  }

  private void process(GatewayClassProcessor.GatewayClassContext gc, ObjectNode p) {
    JsonNode target = Nodes.obj(Nodes.spec(p), "targetRef");
    String group = Nodes.text(target, "group", "");
    String kind = Nodes.text(target, "kind", "");
    String name = Nodes.text(target, "name", "");
    String ns = Nodes.namespace(p);
    boolean merged = gc.mergeGateways();
    String targetKind = merged ? "GatewayClass" : "Gateway";
    String irKey = merged ? gc.name() : ns + "/" + name;
    boolean irExists = false;
    for (GatewayContext g : ctx.acceptedGateways) {
      if (irKey.equals(g.irKey) && g.className.equals(gc.name())) {
        irExists = true;
        break;
      }
    }
    if (!irExists) {
      return;
    }
    ObjectNode ancestor = Nodes.object();
    ancestor.put("group", TranslationContext.GATEWAY_GROUP);
    ancestor.put("kind", targetKind);
    if (!merged) {
      ancestor.put("namespace", ns);
    }
    ancestor.put("name", name);
    StatusCollector.RefStatus rs =
        ctx.statuses.entry(p).ancestor(ancestor, ancestor.toString(), ctx.config.controllerName());
    if (!ctx.config.extensionApis().enableEnvoyPatchPolicy()) {
      rs.conditions.set(
          Condition.isFalse(
              "Accepted",
              "Disabled",
              "EnvoyPatchPolicy is disabled in the EnvoyGateway configuration"));
      return;
    }
    if (!group.equals(TranslationContext.GATEWAY_GROUP) || !kind.equals(targetKind)) {
      rs.conditions.set(
          Condition.isFalse(
              "Accepted",
              "Invalid",
              "TargetRef.Group:"
                  + group
                  + " TargetRef.Kind:"
                  + kind
                  + ", only TargetRef.Group:"
                  + TranslationContext.GATEWAY_GROUP
                  + " and TargetRef.Kind:"
                  + targetKind
                  + " is supported."));
      return;
    }
    if (merged && !name.equals(gc.name())) {
      rs.conditions.set(
          Condition.isFalse(
              "Accepted",
              "Invalid",
              "TargetRef.Name:" + name + " does not match the GatewayClass " + gc.name()));
      return;
    }
    // Fail closed (DESIGN.md invariant 9): the patches do not reach Envoy yet, so a policy that
    // carries any is not Accepted.
    int patches = Nodes.list(Nodes.spec(p), "jsonPatches").size();
    if (patches > 0) {
      rs.conditions.set(
          Condition.isFalse(
              "Accepted",
              "Invalid",
              "not supported by eg4j yet, so the policy is not applied: spec.jsonPatches ("
                  + patches
                  + " patches)"));
      return;
    }
    rs.conditions.set(Condition.isTrue("Accepted", "Accepted", "Policy has been accepted."));
  }

  private static int priority(ObjectNode p) {
    Integer v = Nodes.integer(Nodes.spec(p), "priority");
    return v == null ? 0 : v;
  }
}
