package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.config.RateLimitTelemetry;

/**
 * What the global rate limit service's Kubernetes objects are made from: the {@code rateLimit}
 * section of the EnvoyGateway configuration and {@code provider.kubernetes.rateLimitDeployment},
 * {@code rateLimitHpa} and {@code rateLimitPDB}, as Envoy Gateway reads them.
 *
 * @param redisUrl {@code rateLimit.backend.redis.url}, or null when {@code urlRef} gives it
 * @param redisUrlSecret {@code rateLimit.backend.redis.urlRef.secretKeyRef.name}, or null
 * @param redisUrlKey {@code rateLimit.backend.redis.urlRef.secretKeyRef.key}, or null
 * @param redisTlsSecret {@code rateLimit.backend.redis.tls.certificateRef.name}: the client
 *     certificate for TLS to Redis, or null; {@code tls: {}} alone turns TLS to Redis on with no
 *     client certificate ({@link #redisTls})
 * @param redisTls true when {@code rateLimit.backend.redis.tls} is set
 * @param image {@code rateLimitDeployment.container.image}, or Envoy Gateway v1.9.0's image
 * @param replicas {@code rateLimitDeployment.replicas}, or 1
 * @param serviceTls mutual TLS with the proxies ({@code x-eg4j.rateLimitTls}), or null for
 *     plaintext gRPC
 * @param telemetry {@code rateLimit.telemetry}: Prometheus metrics and tracing
 * @param hpa {@code rateLimitHpa}, or null for no HorizontalPodAutoscaler
 * @param pdb {@code rateLimitPDB}, or null for no PodDisruptionBudget
 */
public record RateLimitInfra(
    String redisUrl,
    String redisUrlSecret,
    String redisUrlKey,
    String redisTlsSecret,
    boolean redisTls,
    String image,
    int replicas,
    EnvoyGatewayConfig.ServiceTls serviceTls,
    RateLimitTelemetry telemetry,
    JsonNode hpa,
    JsonNode pdb) {

  /** The image Envoy Gateway v1.9.0 runs the rate limit service from. */
  public static final String DEFAULT_IMAGE = "docker.io/envoyproxy/ratelimit:17b1956c";

  public RateLimitInfra {
    image = image == null || image.isBlank() ? DEFAULT_IMAGE : image;
    replicas = replicas < 0 ? 1 : replicas;
    telemetry = telemetry == null ? RateLimitTelemetry.DEFAULTS : telemetry;
    hpa = hpa == null || !hpa.isObject() ? null : hpa;
    pdb = pdb == null || !pdb.isObject() ? null : pdb;
  }

  /** Without telemetry, HPA or PDB settings (Envoy Gateway's defaults for them). */
  public RateLimitInfra(
      String redisUrl,
      String redisUrlSecret,
      String redisUrlKey,
      String redisTlsSecret,
      boolean redisTls,
      String image,
      int replicas,
      EnvoyGatewayConfig.ServiceTls serviceTls) {
    this(
        redisUrl,
        redisUrlSecret,
        redisUrlKey,
        redisTlsSecret,
        redisTls,
        image,
        replicas,
        serviceTls,
        null,
        null,
        null);
  }

  /**
   * The rate limit infrastructure the configuration asks for, or null when it is off.
   *
   * @throws IllegalArgumentException naming the field, when {@code rateLimit.telemetry}, {@code
   *     rateLimitHpa} or {@code rateLimitPDB} has a field or value Envoy Gateway rejects (the
   *     Kubernetes API would refuse such an HPA or PDB too)
   */
  public static RateLimitInfra from(EnvoyGatewayConfig config) {
    if (config == null || config.rateLimit() == null) {
      return null;
    }
    JsonNode raw = config.raw();
    JsonNode redis = raw.path("rateLimit").path("backend").path("redis");
    JsonNode ref = redis.path("urlRef").path("secretKeyRef");
    JsonNode deployment = raw.path("provider").path("kubernetes").path("rateLimitDeployment");
    JsonNode replicas = deployment.path("replicas");
    JsonNode k8s = raw.path("provider").path("kubernetes");
    JsonNode hpa = k8s.get("rateLimitHpa");
    JsonNode pdb = k8s.get("rateLimitPDB");
    validateHpa(hpa);
    validatePdb(pdb);
    return new RateLimitInfra(
        text(redis.path("url")),
        text(ref.path("name")),
        text(ref.path("key")),
        text(redis.path("tls").path("certificateRef").path("name")),
        redis.path("tls").isObject(),
        text(deployment.path("container").path("image")),
        replicas.canConvertToInt() ? replicas.asInt() : 1,
        config.rateLimit().serviceTls(),
        RateLimitTelemetry.from(raw.path("rateLimit")),
        hpa,
        pdb);
  }

  /** The checks of Envoy Gateway's HPA type (its CEL rules; the API server checks the same). */
  private static void validateHpa(JsonNode hpa) {
    if (hpa == null || hpa.isNull()) {
      return;
    }
    String at = "provider.kubernetes.rateLimitHpa";
    if (!hpa.isObject()) {
      throw new IllegalArgumentException(at + " must be an object");
    }
    JsonNode max = hpa.get("maxReplicas");
    if (max == null || max.isNull()) {
      throw new IllegalArgumentException(at + ".maxReplicas is required");
    }
    if (!max.isIntegralNumber() || !max.canConvertToInt() || max.asInt() <= 0) {
      throw new IllegalArgumentException(at + ".maxReplicas must be greater than 0, not " + max);
    }
    JsonNode min = hpa.get("minReplicas");
    if (min != null && !min.isNull()) {
      if (!min.isIntegralNumber() || !min.canConvertToInt() || min.asInt() <= 0) {
        throw new IllegalArgumentException(at + ".minReplicas must be greater than 0, not " + min);
      }
      if (max.asInt() < min.asInt()) {
        throw new IllegalArgumentException(
            at + ".maxReplicas (" + max + ") cannot be less than minReplicas (" + min + ")");
      }
    }
    validatePatch(hpa, at);
    JsonNode metrics = hpa.get("metrics");
    if (metrics != null && !metrics.isNull() && !metrics.isArray()) {
      throw new IllegalArgumentException(at + ".metrics must be a list");
    }
  }

  /** The check of Envoy Gateway's PDB type: one of minAvailable and maxUnavailable. */
  private static void validatePdb(JsonNode pdb) {
    if (pdb == null || pdb.isNull()) {
      return;
    }
    String at = "provider.kubernetes.rateLimitPDB";
    if (!pdb.isObject()) {
      throw new IllegalArgumentException(at + " must be an object");
    }
    validatePatch(pdb, at);
    boolean min = pdb.hasNonNull("minAvailable");
    boolean max = pdb.hasNonNull("maxUnavailable");
    if (min && max) {
      throw new IllegalArgumentException(
          at + ": only one of minAvailable or maxUnavailable can be specified");
    }
    for (String f : new String[] {"minAvailable", "maxUnavailable"}) {
      JsonNode v = pdb.get(f);
      if (v != null
          && !v.isNull()
          && !(v.isIntegralNumber() && v.canConvertToInt() && v.asInt() >= 0)
          && !(v.isTextual() && v.asText().matches("\\d+%"))) {
        throw new IllegalArgumentException(
            at + "." + f + " must be a non-negative integer or a percentage, not " + v);
      }
    }
  }

  private static void validatePatch(JsonNode spec, String at) {
    JsonNode patch = spec.get("patch");
    if (patch == null || patch.isNull()) {
      return;
    }
    JsonNode type = patch.path("type");
    if (!type.isMissingNode()
        && !type.isNull()
        && !"JSONMerge".equals(type.asText())
        && !"StrategicMerge".equals(type.asText())) {
      throw new IllegalArgumentException(
          at + ".patch.type must be JSONMerge or StrategicMerge, not " + type);
    }
    if (!patch.path("value").isObject()) {
      throw new IllegalArgumentException(at + ".patch.value must be an object");
    }
  }

  private static String text(JsonNode n) {
    return n.isValueNode() && !n.isNull() && !n.asText().isEmpty() ? n.asText() : null;
  }
}
