package io.eg4j.translator.core.policy.extension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.extension.ExtensionIr;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates an EnvoyExtensionPolicy into the {@link ExtensionIr} its routes carry. Each feature
 * (Lua, external processing, Wasm, dynamic modules) has its own class beside this one that lists
 * the spec fields it enforces and builds its IR. A policy that sets a field no feature enforces is
 * not applied (fail closed, DESIGN.md invariant 9): its {@link Result} has an error naming those
 * fields.
 */
public final class EnvoyExtensionPolicyTranslator {
  /** Checksums of downloaded Wasm modules, shared by every translation of this process. */
  private static final class Shared {
    static final WasmCodeSource HTTP = new WasmCodeSource.Http();
  }

  private final PolicyEnv env;
  private final boolean luaEnabled;
  private final WasmCodeSource wasmSource;
  private final boolean wasmMock;

  /**
   * @param env references the policy resolves (ConfigMaps of Lua scripts)
   * @param luaEnabled the EnvoyGateway config's {@code extensionApis.enableLua}
   * @param wasmCache the test setting {@code x-eg4j-test.wasmCache} ({@code mock}), or null
   */
  public EnvoyExtensionPolicyTranslator(PolicyEnv env, boolean luaEnabled, String wasmCache) {
    this(env, luaEnabled, "mock".equals(wasmCache) ? null : Shared.HTTP, "mock".equals(wasmCache));
  }

  /**
   * @param wasmSource where checksums of Wasm modules without a {@code sha256} come from
   * @param wasmMock true for the test setting's mock Wasm cache
   */
  EnvoyExtensionPolicyTranslator(
      PolicyEnv env, boolean luaEnabled, WasmCodeSource wasmSource, boolean wasmMock) {
    this.env = env;
    this.luaEnabled = luaEnabled;
    this.wasmSource = wasmSource;
    this.wasmMock = wasmMock;
  }

  /**
   * The translation of one policy.
   *
   * @param ir the extensions, null when the policy is not applied
   * @param error why the policy is not Accepted, or null
   * @param failOpen true when the policy is not Accepted only because of extensions that set {@code
   *     failOpen}: they are left out and {@code ir} holds the others, which the policy's routes
   *     still get (Envoy Gateway's fail-open behaviour)
   */
  public record Result(ExtensionIr ir, String error, boolean failOpen) {
    public Result(ExtensionIr ir, String error) {
      this(ir, error, false);
    }
  }

  /**
   * Translates {@code policy}.
   *
   * @param luaValidation how Lua scripts are checked: {@code Strict}, {@code InsecureSyntax} or
   *     {@code Disabled} (the EnvoyProxy's {@code lua.validationType} of the policy's Gateway)
   */
  public Result translate(ObjectNode policy, JsonNode spec, String luaValidation) {
    return translate(policy, spec, luaValidation, List.of());
  }

  /**
   * Translates {@code policy}.
   *
   * @param luaValidation how Lua scripts are checked (see above)
   * @param envoyProxies the specs of the EnvoyProxies in effect for the Gateways the policy reaches
   *     (an element is null for a Gateway without one): its dynamic modules must be registered in
   *     each; the IR holds them as the first registers them (see {@link
   *     DynamicModuleTranslator#translate} for the routes of the others)
   */
  public Result translate(
      ObjectNode policy, JsonNode spec, String luaValidation, List<JsonNode> envoyProxies) {
    List<String> supported = new ArrayList<>(FieldSupport.ATTACHMENT);
    supported.addAll(LuaTranslator.SUPPORTED);
    supported.addAll(ExtProcTranslator.SUPPORTED);
    supported.addAll(WasmTranslator.SUPPORTED);
    supported.addAll(DynamicModuleTranslator.SUPPORTED);
    String unsupported = FieldSupport.message(FieldSupport.unsupported(spec, supported));
    if (unsupported != null) {
      return new Result(null, unsupported);
    }
    String id = id(policy);
    try {
      List<ExtensionIr.LuaIr> lua =
          LuaTranslator.translate(spec, policy, id, env, luaEnabled, luaValidation);
      List<String> skipped = new ArrayList<>();
      List<ExtensionIr.ExtProcIr> extProc =
          ExtProcTranslator.translate(spec, policy, id, env, skipped);
      List<ExtensionIr.WasmIr> wasm =
          WasmTranslator.translate(spec, policy, id, env, wasmSource, wasmMock, skipped);
      List<ExtensionIr.DynamicModuleIr> dynamicModules = List.of();
      if (DynamicModuleTranslator.present(spec)) {
        // Checked against every Gateway's registry: one that lacks a module fails the policy.
        java.util.LinkedHashSet<String> errors = new java.util.LinkedHashSet<>();
        boolean first = true;
        for (JsonNode ep : envoyProxies) {
          try {
            List<ExtensionIr.DynamicModuleIr> dm = DynamicModuleTranslator.translate(spec, id, ep);
            if (first) {
              dynamicModules = dm;
            }
          } catch (PolicyException e) {
            errors.add(e.getMessage());
          }
          first = false;
        }
        if (!errors.isEmpty()) {
          throw new PolicyException(String.join("; ", errors));
        }
      }
      ExtensionIr ir = new ExtensionIr(id, lua, extProc, wasm, dynamicModules);
      return new Result(
          ir,
          skipped.isEmpty()
              ? null
              : String.join("; ", skipped)
                  + " (failOpen: the route is served without "
                  + (skipped.size() == 1 ? "it" : "them")
                  + ")",
          !skipped.isEmpty());
    } catch (PolicyException e) {
      return new Result(null, e.getMessage());
    }
  }

  /** The policy's id in filter names: {@code envoyextensionpolicy/<namespace>/<name>}. */
  public static String id(ObjectNode policy) {
    return "envoyextensionpolicy/"
        + policy.path("metadata").path("namespace").asText("")
        + "/"
        + policy.path("metadata").path("name").asText("");
  }
}
