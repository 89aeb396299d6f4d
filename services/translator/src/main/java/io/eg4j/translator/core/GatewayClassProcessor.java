package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Selects the GatewayClasses this controller owns ({@code spec.controllerName} equals the
 * configured controller name) and resolves their {@code parametersRef} to an EnvoyProxy.
 */
final class GatewayClassProcessor {
  /** The warning on an EnvoyProxy that sets the deprecated {@code luaValidation}. */
  static final Condition LUA_VALIDATION_DEPRECATED =
      Condition.isTrue(
          "Warning",
          "DeprecatedField",
          "The luaValidation field is deprecated, use lua.validationType instead");

  /**
   * A GatewayClass of ours with the EnvoyProxy spec it carries, the namespace of that EnvoyProxy
   * (the controller's for the EnvoyGateway default) and, when its parametersRef names an EnvoyProxy
   * that is missing or invalid, why: its Gateways that do not bring their own EnvoyProxy are then
   * not accepted.
   */
  record GatewayClassContext(
      ObjectNode gatewayClass,
      String name,
      JsonNode envoyProxy,
      String envoyProxyNamespace,
      String envoyProxyError) {
    /** True when the class's EnvoyProxy merges all its Gateways into one fleet. */
    boolean mergeGateways() {
      return Nodes.bool(envoyProxy, "mergeGateways", false);
    }
  }

  private final TranslationContext ctx;

  GatewayClassProcessor(TranslationContext ctx) {
    this.ctx = ctx;
  }

  /** Our GatewayClasses, oldest first; sets their status when they carry parameters. */
  List<GatewayClassContext> process() {
    List<GatewayClassContext> out = new ArrayList<>();
    for (ObjectNode gc : ctx.gatewayClasses) {
      String controller = Nodes.text(Nodes.spec(gc), "controllerName", "");
      if (!controller.equals(ctx.config.controllerName())) {
        continue;
      }
      JsonNode envoyProxy = defaultEnvoyProxy();
      String epNamespace = ctx.config.controllerNamespace();
      String epError = null;
      JsonNode ref = Nodes.obj(Nodes.spec(gc), "parametersRef");
      if (!ref.isMissingNode()) {
        StatusCollector.Entry status = ctx.statuses.entry(gc).withConditions();
        // The status replaces the status-writer's default one, so it carries the features too.
        status.supportedFeatures = io.eg4j.model.k8s.SupportedFeatures.toJson();
        String kind = Nodes.text(ref, "kind", "");
        String group = Nodes.text(ref, "group", "");
        String ns = Nodes.text(ref, "namespace", "");
        ObjectNode ep =
            kind.equals("EnvoyProxy") && group.equals(TranslationContext.EG_GROUP)
                ? ctx.envoyProxies.get(ns + "/" + Nodes.text(ref, "name", ""))
                : null;
        String invalid =
            ep == null
                ? "the referenced EnvoyProxy was not found"
                : EnvoyProxyValidator.validate(ep);
        if (invalid != null) {
          epError = invalid;
          status.conditions.set(
              Condition.isFalse(
                  "Accepted", "InvalidParameters", "Invalid GatewayClass parameters: " + invalid));
        } else {
          status.conditions.set(Condition.isTrue("Accepted", "Accepted", "Valid GatewayClass"));
          envoyProxy = Nodes.spec(ep);
          epNamespace = Nodes.namespace(ep);
        }
        if (ep != null) {
          // The EnvoyProxy says, per GatewayClass that uses it, whether it was accepted.
          ObjectNode classRef = Nodes.object();
          classRef.put("group", TranslationContext.GATEWAY_GROUP);
          classRef.put("kind", "GatewayClass");
          classRef.put("name", Nodes.name(gc));
          var conditions =
              ctx.statuses
                  .entry(ep)
                  .ancestor(classRef, "GatewayClass/" + Nodes.name(gc), "")
                  .conditions;
          conditions.set(
              invalid != null
                  ? Condition.isFalse("Accepted", "InvalidParameters", invalid)
                  : Condition.isTrue("Accepted", "Accepted", "EnvoyProxy has been accepted."));
          if (invalid == null && Nodes.has(Nodes.spec(ep), "luaValidation")) {
            conditions.set(LUA_VALIDATION_DEPRECATED);
          }
        }
      }
      out.add(new GatewayClassContext(gc, Nodes.name(gc), envoyProxy, epNamespace, epError));
    }
    return out;
  }

  private JsonNode defaultEnvoyProxy() {
    JsonNode ep = ctx.config.envoyProxy();
    return ep == null || ep.isMissingNode() ? MissingNode.getInstance() : ep;
  }
}
