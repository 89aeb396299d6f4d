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
   * @param failClosed {@code rateLimit.failClosed}: requests are refused when the rate limit
   *     service cannot be reached
   * @param timeoutMillis {@code rateLimit.timeout} in milliseconds, or null for Envoy's default
   * @param serviceAddress {@code x-eg4j.rateLimitService} ({@code host:port}): where the proxies
   *     reach the rate limit service, or null for the provider's default ({@link
   *     EnvoyGatewayConfig#rateLimitService})
   * @param serviceTls {@code x-eg4j.rateLimitTls}: the files the proxies call the rate limit
   *     service over mutual TLS with, or null for plaintext
   */
  public record RateLimit(
      String backendType,
      String redisUrl,
      boolean failClosed,
      Long timeoutMillis,
      String serviceAddress,
      ServiceTls serviceTls) {
    /** Redis only, everything else at Envoy Gateway's defaults. */
    public RateLimit(String backendType, String redisUrl) {
      this(backendType, redisUrl, false, null, null, null);
    }
  }

  /**
   * Mutual TLS between the proxies and the rate limit service ({@code x-eg4j.rateLimitTls}), as
   * Envoy Gateway always runs it: the proxy presents its certificate and checks the service's
   * against the CA; the service checks the proxy's against the same CA. Envoy Gateway uses the
   * proxies' xDS client certificate ({@code /certs}), and so does the eg4j chart. Paths are files
   * on the proxies' side.
   *
   * @param caFile the CA that signed the rate limit service's certificate
   * @param certFile the proxy's client certificate chain
   * @param keyFile the proxy's private key
   * @param secretName the Secret (tls.crt, tls.key, ca.crt) with the rate limit service's own
   *     certificate, mounted into its Deployment in Kubernetes mode ({@code envoy-rate-limit},
   *     Envoy Gateway's, when not given)
   */
  public record ServiceTls(String caFile, String certFile, String keyFile, String secretName) {
    public ServiceTls {
      caFile = caFile == null || caFile.isEmpty() ? "/certs/ca.crt" : caFile;
      certFile = certFile == null || certFile.isEmpty() ? "/certs/tls.crt" : certFile;
      keyFile = keyFile == null || keyFile.isEmpty() ? "/certs/tls.key" : keyFile;
      secretName = secretName == null || secretName.isEmpty() ? "envoy-rate-limit" : secretName;
    }
  }

  /** The port the rate limit service serves gRPC on (Envoy Gateway's). */
  public static final int RATE_LIMIT_GRPC_PORT = 8081;

  /**
   * Where the proxies reach the global rate limit service, {@code host:port}, or null when rate
   * limiting is off: the configured address; with the Kubernetes provider Envoy Gateway's Service
   * {@code envoy-ratelimit} in the controller namespace; on a host, 127.0.0.1.
   */
  public String rateLimitService() {
    if (rateLimit == null) {
      return null;
    }
    if (rateLimit.serviceAddress() != null) {
      return rateLimit.serviceAddress();
    }
    String host =
        "Kubernetes".equals(provider.type())
            ? "envoy-ratelimit." + controllerNamespace + ".svc.cluster.local"
            : "127.0.0.1";
    return host + ":" + RATE_LIMIT_GRPC_PORT;
  }

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
                text(rl.path("backend").path("redis").path("url")),
                rl.path("failClosed").asBoolean(false),
                durationMillis(text(rl.path("timeout"))),
                text(doc.path("x-eg4j").path("rateLimitService")),
                serviceTls(doc.path("x-eg4j").path("rateLimitTls")))
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

  /** {@code x-eg4j.rateLimitTls}: an object (missing files take /certs), true, or absent. */
  private static ServiceTls serviceTls(JsonNode n) {
    if (n.isBoolean()) {
      return n.asBoolean() ? new ServiceTls(null, null, null, null) : null;
    }
    if (!n.isObject()) {
      return null;
    }
    return new ServiceTls(
        text(n.path("caFile")),
        text(n.path("certFile")),
        text(n.path("keyFile")),
        text(n.path("secretName")));
  }

  /** A Go duration such as {@code 50ms}, {@code 1s} or {@code 1m30s} in milliseconds, or null. */
  static Long durationMillis(String d) {
    if (d == null || d.isEmpty()) {
      return null;
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)").matcher(d);
    double total = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double v = Double.parseDouble(m.group(1));
      total +=
          switch (m.group(2)) {
            case "h" -> v * 3_600_000;
            case "m" -> v * 60_000;
            case "s" -> v * 1000;
            default -> v;
          };
      end = m.end();
    }
    return end == d.length() && end > 0 ? Math.round(total) : null;
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
