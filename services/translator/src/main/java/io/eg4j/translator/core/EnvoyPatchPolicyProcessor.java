package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.XdsIr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * EnvoyPatchPolicies. A patch applies to one xDS IR: the Gateway named by {@code
 * spec.targetRef.name} in the policy's own namespace, or, when the class merges its Gateways, the
 * GatewayClass's merged IR. A policy whose IR does not exist is ignored (no status). Otherwise it
 * is Disabled when the extension API is off, Invalid when its target is not of the kind the mode
 * needs (or, merged, not our class) or when a patch is malformed (an unknown resource type or
 * operation, a missing path, value or from, a {@code jsonPath} that is not a query from the root),
 * and Accepted otherwise. A {@code jsonPath} is evaluated by the xds-server on the resource: the
 * operation applies at each location it selects, with {@code path} appended. An accepted policy's
 * operations go into the IR in priority order (lower first, then oldest); the xds-server applies
 * them to the JSON form of the resources it built.
 */
final class EnvoyPatchPolicyProcessor {
  private final TranslationContext ctx;

  EnvoyPatchPolicyProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** The xDS resource types a patch may name. */
  static final java.util.Set<String> TYPES =
      java.util.Set.of(
          "type.googleapis.com/envoy.config.listener.v3.Listener",
          "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
          "type.googleapis.com/envoy.config.cluster.v3.Cluster",
          "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
          "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret");

  private static final java.util.Set<String> OPS =
      java.util.Set.of("add", "remove", "replace", "move", "copy", "test");

  private java.util.Map<String, IrBuilders.XdsBuilder> xds = java.util.Map.of();

  void process(java.util.Map<String, IrBuilders.XdsBuilder> xds) {
    this.xds = xds;
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
    String patchType = Nodes.text(Nodes.spec(p), "type", "JSONPatch");
    if (!patchType.equals("JSONPatch")) {
      rs.conditions.set(
          Condition.isFalse(
              "Accepted", "Invalid", "spec.type: unsupported patch type " + patchType));
      return;
    }
    List<XdsIr.JsonPatchIr> ops = new ArrayList<>();
    String policyKey = ns + "/" + Nodes.name(p);
    List<JsonNode> patches = Nodes.list(Nodes.spec(p), "jsonPatches");
    for (int i = 0; i < patches.size(); i++) {
      String where = "spec.jsonPatches[" + i + "]";
      try {
        ops.add(operation(policyKey, patches.get(i), where));
      } catch (IllegalArgumentException e) {
        rs.conditions.set(Condition.isFalse("Accepted", "Invalid", e.getMessage()));
        return;
      }
    }
    IrBuilders.XdsBuilder builder = xds.get(irKey);
    if (builder != null) {
      builder.jsonPatches.addAll(ops);
    }
    rs.conditions.set(Condition.isTrue("Accepted", "Accepted", "Policy has been accepted."));
  }

  /** One patch of the policy as an IR operation; a malformed one throws, saying why. */
  static XdsIr.JsonPatchIr operation(String policyKey, JsonNode patch, String where) {
    String type = Nodes.text(patch, "type", "");
    if (!TYPES.contains(type)) {
      throw new IllegalArgumentException(where + ".type: unsupported resource type " + type);
    }
    String name = Nodes.text(patch, "name", "");
    JsonNode op = Nodes.obj(patch, "operation");
    String jsonPath = Nodes.text(op, "jsonPath");
    if (jsonPath != null && !jsonPath.startsWith("$")) {
      // RFC 9535: a query starts at the root, $.
      throw new IllegalArgumentException(
          where + ".operation.jsonPath: a JSONPath query starting with $ is required");
    }
    String verb = Nodes.text(op, "op", "");
    if (!OPS.contains(verb)) {
      throw new IllegalArgumentException(where + ".operation.op: unsupported operation " + verb);
    }
    String path = Nodes.text(op, "path");
    if (path == null && jsonPath != null) {
      // The locations the query selects, with nothing appended.
      path = "";
    }
    if (path == null || (!path.isEmpty() && !path.startsWith("/"))) {
      throw new IllegalArgumentException(
          where + ".operation.path: a JSON pointer (empty or starting with /) is required");
    }
    String from = Nodes.text(op, "from");
    if ((verb.equals("move") || verb.equals("copy"))
        && (from == null || (!from.isEmpty() && !from.startsWith("/")))) {
      throw new IllegalArgumentException(where + ".operation.from: required for " + verb);
    }
    JsonNode value = op.get("value");
    boolean needsValue = verb.equals("add") || verb.equals("replace") || verb.equals("test");
    if (needsValue && (value == null || value.isNull())) {
      throw new IllegalArgumentException(where + ".operation.value: required for " + verb);
    }
    if (name.isEmpty() && !(verb.equals("add") && path.isEmpty() && jsonPath == null)) {
      throw new IllegalArgumentException(where + ".name: required");
    }
    return new XdsIr.JsonPatchIr(
        policyKey,
        type,
        name,
        verb,
        path,
        verb.equals("move") || verb.equals("copy") ? from : null,
        needsValue ? value.toString() : null,
        jsonPath);
  }

  private static int priority(ObjectNode p) {
    Integer v = Nodes.integer(Nodes.spec(p), "priority");
    return v == null ? 0 : v;
  }
}
