package io.eg4j.translator.core.policy.extension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.extension.ExtensionIr.LuaIr;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * EnvoyExtensionPolicy {@code lua}: scripts run by Envoy's Lua filter, one filter per script, each
 * given inline or by a ConfigMap in the policy's namespace (its key {@code lua}, or its only key),
 * with an optional {@code filterContext} handed to the script on the policy's routes. Lua
 * extensions must be enabled in the EnvoyGateway config ({@code extensionApis.enableLua}); scripts
 * are checked before they reach Envoy, or served in a guard when the Gateway's EnvoyProxy disables
 * validation (see {@link LuaCheck}).
 */
final class LuaTranslator {
  static final List<String> SUPPORTED =
      List.of(
          "lua[].type",
          "lua[].inline",
          "lua[].valueRef.group",
          "lua[].valueRef.kind",
          "lua[].valueRef.name",
          "lua[].filterContext.**");

  private LuaTranslator() {}

  static List<LuaIr> translate(
      JsonNode spec,
      ObjectNode policy,
      String id,
      PolicyEnv env,
      boolean enabled,
      String validation)
      throws PolicyException {
    JsonNode list = spec.path("lua");
    if (!list.isArray() || list.isEmpty()) {
      return List.of();
    }
    if (!enabled) {
      throw new PolicyException(
          "Lua extensions are disabled: set extensionApis.enableLua in the EnvoyGateway config");
    }
    String ns = policy.path("metadata").path("namespace").asText("");
    List<LuaIr> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode lua = list.get(i);
      String name = id + "/lua/" + i;
      String where = "spec.lua[" + i + "]";
      String source;
      if ("ValueRef".equals(lua.path("type").asText("Inline"))) {
        JsonNode ref = lua.path("valueRef");
        if (!ref.isObject()) {
          throw new PolicyException(where + ": type ValueRef needs valueRef");
        }
        Map<String, String> data =
            env.configMap(
                policy,
                new ObjectRef(
                    ref.path("group").asText(""),
                    ref.path("kind").asText("ConfigMap"),
                    ref.path("name").asText(""),
                    ns,
                    null));
        source = data.get("lua");
        if (source == null && data.size() == 1) {
          source = data.values().iterator().next();
        }
        if (source == null) {
          throw new PolicyException(
              where + ": ConfigMap " + ns + "/" + ref.path("name").asText("") + " has no key lua");
        }
      } else {
        if (!lua.hasNonNull("inline")) {
          throw new PolicyException(where + ": type Inline needs inline");
        }
        source = lua.path("inline").asText();
      }
      String problem = LuaCheck.check(source, validation);
      if (problem != null) {
        throw new PolicyException(
            "validation failed for lua body in policy with name " + name + ": " + problem);
      }
      JsonNode ctx = lua.path("filterContext");
      if (!"Strict".equals(validation)) {
        // Below Strict, what runs when Envoy loads the script is not checked: a failure there
        // answers 500 on the policy's routes instead of Envoy refusing the whole listener.
        source = LuaCheck.guarded(source, name);
      }
      out.add(new LuaIr(name, source, ctx.isObject() && !ctx.isEmpty() ? ctx.toString() : null));
    }
    return out;
  }
}
