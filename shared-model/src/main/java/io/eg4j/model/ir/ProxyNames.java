package io.eg4j.model.ir;

import io.eg4j.model.bus.ContentHash;
import java.util.Locale;

/**
 * The names of a proxy fleet's Kubernetes objects, shared by the provisioner (which creates them)
 * and the translator (which reads the fleet's own EndpointSlices). Envoy Gateway's scheme: {@code
 * envoy-<IR key, sanitized and cut to 48 characters>-<first 8 hex digits of its SHA-256>}, so one
 * name never collides with another fleet's and never exceeds 63 characters.
 */
public final class ProxyNames {
  /**
   * The port of the readiness listener that comes with the configuration over xDS (Envoy Gateway's
   * {@code envoy-gateway-proxy-ready-0.0.0.0-19003}); the kubelet's readiness probe asks it.
   */
  public static final int READY_PORT = 19003;

  /** The path the readiness listener answers. */
  public static final String READY_PATH = "/ready";

  private ProxyNames() {}

  /** The name of the Deployment, Service and other objects of the fleet of an IR key. */
  public static String fleetResourceName(String irKey) {
    return "envoy-" + hashedName(irKey, 48);
  }

  /** A name made of {@code name} sanitized and cut to {@code maxPrefix}, then a hash of it. */
  public static String hashedName(String name, int maxPrefix) {
    String trimmed = name.replace('/', '-').toLowerCase(Locale.ROOT);
    trimmed = trimmed.replaceAll("[^a-z0-9.-]", "-");
    if (trimmed.length() > maxPrefix) {
      trimmed = trimmed.substring(0, maxPrefix);
    }
    return trimmed + "-" + ContentHash.sha256(name).substring(0, 8);
  }
}
