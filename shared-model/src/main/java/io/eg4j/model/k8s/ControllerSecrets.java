package io.eg4j.model.k8s;

import java.util.List;

/**
 * The Secrets of the controller namespace that the translator reads by name, as Envoy Gateway does,
 * although no resource refers to them: the proxies' own client certificate and the OIDC cookie key.
 * The watcher publishes these whether or not anything references them (every other Secret only when
 * referenced), and in whatever namespaces it watches.
 */
public final class ControllerSecrets {
  /**
   * The proxies' client certificate ({@code tls.crt}, {@code tls.key}, {@code ca.crt}), presented
   * to the rate limit service and the Wasm module cache (Envoy Gateway's certgen makes it).
   */
  public static final String PROXY_CERTIFICATE = "envoy";

  /** The key OIDC signs its cookies with ({@code hmac-secret}). */
  public static final String OIDC_HMAC = "envoy-oidc-hmac";

  /** Both names. */
  public static final List<String> NAMES = List.of(PROXY_CERTIFICATE, OIDC_HMAC);

  private ControllerSecrets() {}
}
