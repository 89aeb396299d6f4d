package io.eg4j.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.eg4j.model.bus.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Envoy Gateway's own configuration file ({@code gateway.envoyproxy.io/v1alpha1}, kind {@code
 * EnvoyGateway}). eg4j reads the same file, so an existing Envoy Gateway installation's config
 * works unchanged. Unknown fields are kept in {@link #raw} and otherwise ignored; malformed values
 * fall back to Envoy Gateway's defaults.
 *
 * @param controllerName {@code gateway.controllerName}
 * @param raw the whole document, for fields not yet modelled here
 * @param provider {@code provider}
 * @param rateLimit {@code rateLimit}, or null when global rate limiting is off
 * @param extensionApis {@code extensionApis}
 * @param runtimeFlags {@code runtimeFlags.enabled}
 * @param envoyProxy {@code envoyProxy}: the default EnvoyProxy spec as JSON, or a missing node
 * @param controllerNamespace the namespace the controller runs in (Envoy Gateway reads it from its
 *     environment; eg4j from {@code x-eg4j-test.controllerNamespace}, default {@code
 *     envoy-gateway-system})
 * @param wasmCache {@code x-eg4j-test.wasmCache}: {@code mock} never fetches Wasm modules
 */
public record EnvoyGatewayConfig(
    String controllerName,
    JsonNode raw,
    Provider provider,
    RateLimit rateLimit,
    ExtensionApis extensionApis,
    List<String> runtimeFlags,
    JsonNode envoyProxy,
    String controllerNamespace,
    String wasmCache) {

  /** Envoy Gateway's default controller name. */
  public static final String DEFAULT_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

  /** Envoy Gateway's default controller namespace. */
  public static final String DEFAULT_NAMESPACE = "envoy-gateway-system";

  public EnvoyGatewayConfig {
    controllerName =
        controllerName == null || controllerName.isEmpty() ? DEFAULT_CONTROLLER : controllerName;
    raw = raw == null ? MissingNode.getInstance() : raw;
    provider = provider == null ? Provider.defaults() : provider;
    extensionApis =
        extensionApis == null ? new ExtensionApis(false, false, false, false) : extensionApis;
    runtimeFlags = runtimeFlags == null ? List.of() : List.copyOf(runtimeFlags);
    envoyProxy = envoyProxy == null ? MissingNode.getInstance() : envoyProxy;
    controllerNamespace =
        controllerNamespace == null || controllerNamespace.isEmpty()
            ? DEFAULT_NAMESPACE
            : controllerNamespace;
  }

  /** A config with only the controller name set (kept for existing callers). */
  public EnvoyGatewayConfig(String controllerName, JsonNode raw) {
    this(controllerName, raw, null, null, null, null, null, null, null);
  }

  /**
   * {@code provider}.
   *
   * @param type Kubernetes or Custom
   * @param deployType {@code provider.kubernetes.deploy.type}: ControllerNamespace (default) or
   *     GatewayNamespace
   * @param infrastructureType {@code provider.custom.infrastructure.type} (Host), or null
   */
  public record Provider(String type, String deployType, String infrastructureType) {
    /** The Kubernetes provider in ControllerNamespace mode. */
    public static Provider defaults() {
      return new Provider("Kubernetes", "ControllerNamespace", null);
    }

    /** True when proxies run in each Gateway's own namespace. */
    public boolean gatewayNamespaceMode() {
      return "GatewayNamespace".equals(deployType);
    }
  }

  /**
   * {@code rateLimit}.
   *
   * @param backendType {@code rateLimit.backend.type} (Redis)
   * @param redisUrl {@code rateLimit.backend.redis.url}
   */
  public record RateLimit(String backendType, String redisUrl) {}

  /**
   * {@code extensionApis}.
   *
   * @param enableEnvoyPatchPolicy EnvoyPatchPolicy is served
   * @param enableBackend the Backend kind is served
   * @param enableLua Lua extensions are allowed
   * @param enableSdsSecretRef SDS secret references are allowed
   */
  public record ExtensionApis(
      boolean enableEnvoyPatchPolicy,
      boolean enableBackend,
      boolean enableLua,
      boolean enableSdsSecretRef) {}

  /** True when a runtime flag is enabled. */
  public boolean runtimeFlag(String flag) {
    return runtimeFlags.contains(flag);
  }

  /** The configuration Envoy Gateway uses when no file is given. */
  public static EnvoyGatewayConfig defaults() {
    return new EnvoyGatewayConfig(DEFAULT_CONTROLLER, MissingNode.getInstance());
  }

  /** Parses a document; missing or malformed fields take Envoy Gateway's defaults. */
  public static EnvoyGatewayConfig from(JsonNode doc) {
    if (doc == null) {
      return defaults();
    }
    String controller = text(doc.path("gateway").path("controllerName"));
    JsonNode p = doc.path("provider");
    Provider provider =
        new Provider(
            orElse(text(p.path("type")), "Kubernetes"),
            orElse(text(p.path("kubernetes").path("deploy").path("type")), "ControllerNamespace"),
            text(p.path("custom").path("infrastructure").path("type")));
    JsonNode rl = doc.path("rateLimit");
    RateLimit rateLimit =
        rl.isObject()
            ? new RateLimit(
                text(rl.path("backend").path("type")),
                text(rl.path("backend").path("redis").path("url")))
            : null;
    JsonNode ext = doc.path("extensionApis");
    ExtensionApis apis =
        new ExtensionApis(
            ext.path("enableEnvoyPatchPolicy").asBoolean(false),
            ext.path("enableBackend").asBoolean(false),
            ext.path("enableLua").asBoolean(false),
            ext.path("enableSDSSecretRef").asBoolean(false));
    List<String> flags = new ArrayList<>();
    doc.path("runtimeFlags").path("enabled").forEach(f -> flags.add(f.asText()));
    JsonNode test = doc.path("x-eg4j-test");
    return new EnvoyGatewayConfig(
        controller,
        doc,
        provider,
        rateLimit,
        apis,
        flags,
        doc.path("envoyProxy").isObject() ? doc.path("envoyProxy") : MissingNode.getInstance(),
        text(test.path("controllerNamespace")),
        text(test.path("wasmCache")));
  }

  /** Loads a file. */
  public static EnvoyGatewayConfig load(Path file) throws IOException {
    return from(Json.YAML.readTree(file.toFile()));
  }

  private static String text(JsonNode n) {
    return n != null && n.isValueNode() && !n.isNull() ? n.asText() : null;
  }

  private static String orElse(String s, String def) {
    return s == null || s.isEmpty() ? def : s;
  }
}
