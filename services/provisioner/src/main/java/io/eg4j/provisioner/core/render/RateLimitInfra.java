package io.eg4j.provisioner.core.render;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.config.EnvoyGatewayConfig;

/**
 * What the global rate limit service's Kubernetes objects are made from: the {@code rateLimit}
 * section of the EnvoyGateway configuration and {@code provider.kubernetes.rateLimitDeployment}, as
 * Envoy Gateway reads them.
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
 */
public record RateLimitInfra(
    String redisUrl,
    String redisUrlSecret,
    String redisUrlKey,
    String redisTlsSecret,
    boolean redisTls,
    String image,
    int replicas,
    EnvoyGatewayConfig.ServiceTls serviceTls) {

  /** The image Envoy Gateway v1.9.0 runs the rate limit service from. */
  public static final String DEFAULT_IMAGE = "docker.io/envoyproxy/ratelimit:17b1956c";

  public RateLimitInfra {
    image = image == null || image.isBlank() ? DEFAULT_IMAGE : image;
    replicas = replicas < 0 ? 1 : replicas;
  }

  /** The rate limit infrastructure the configuration asks for, or null when it is off. */
  public static RateLimitInfra from(EnvoyGatewayConfig config) {
    if (config == null || config.rateLimit() == null) {
      return null;
    }
    JsonNode raw = config.raw();
    JsonNode redis = raw.path("rateLimit").path("backend").path("redis");
    JsonNode ref = redis.path("urlRef").path("secretKeyRef");
    JsonNode deployment = raw.path("provider").path("kubernetes").path("rateLimitDeployment");
    JsonNode replicas = deployment.path("replicas");
    return new RateLimitInfra(
        text(redis.path("url")),
        text(ref.path("name")),
        text(ref.path("key")),
        text(redis.path("tls").path("certificateRef").path("name")),
        redis.path("tls").isObject(),
        text(deployment.path("container").path("image")),
        replicas.canConvertToInt() ? replicas.asInt() : 1,
        config.rateLimit().serviceTls());
  }

  private static String text(JsonNode n) {
    return n.isValueNode() && !n.isNull() && !n.asText().isEmpty() ? n.asText() : null;
  }
}
