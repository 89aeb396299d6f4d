package io.eg4j.provisioner.core.render;

import java.util.Objects;

/**
 * What the Kubernetes provisioner knows besides the infra IR: where the control plane runs and how
 * proxies reach the xds-server.
 *
 * @param controllerNamespace the namespace of the control plane; fleets whose IR names no namespace
 *     run here
 * @param xdsHost the xds-server host as proxies resolve it (usually its in-cluster Service name)
 * @param xdsPort the xds-server ADS port
 * @param envoyImage the Envoy image, unless the EnvoyProxy overrides it
 * @param gatewayNamespaceMode true when each fleet runs in its Gateway's namespace and is named
 *     after the Gateway (Envoy Gateway's {@code GatewayNamespace} deploy type)
 * @param xdsTls the client certificate mount for mTLS to the xds-server, or null for plaintext
 * @param logLevel the Envoy log level, unless the EnvoyProxy sets one
 */
public record RenderSettings(
    String controllerNamespace,
    String xdsHost,
    int xdsPort,
    String envoyImage,
    boolean gatewayNamespaceMode,
    XdsTlsMount xdsTls,
    String logLevel) {

  /** The image Envoy Gateway's own release ships for its proxies. */
  public static final String DEFAULT_ENVOY_IMAGE = "docker.io/envoyproxy/envoy:distroless-v1.36.2";

  public RenderSettings {
    Objects.requireNonNull(controllerNamespace, "controllerNamespace");
    Objects.requireNonNull(xdsHost, "xdsHost");
    if (xdsPort < 1 || xdsPort > 65535) {
      throw new IllegalArgumentException("xdsPort out of range: " + xdsPort);
    }
    envoyImage = envoyImage == null || envoyImage.isBlank() ? DEFAULT_ENVOY_IMAGE : envoyImage;
    logLevel = logLevel == null || logLevel.isBlank() ? "warn" : logLevel;
  }

  /** Settings with the defaults: plaintext xDS, controller-namespace mode. */
  public static RenderSettings of(String controllerNamespace, String xdsHost, int xdsPort) {
    return new RenderSettings(controllerNamespace, xdsHost, xdsPort, null, false, null, null);
  }

  /** The same settings in gateway-namespace mode (or not). */
  public RenderSettings withGatewayNamespaceMode(boolean on) {
    return new RenderSettings(
        controllerNamespace, xdsHost, xdsPort, envoyImage, on, xdsTls, logLevel);
  }

  /** The same settings with mTLS to the xds-server. */
  public RenderSettings withXdsTls(XdsTlsMount tls) {
    return new RenderSettings(
        controllerNamespace, xdsHost, xdsPort, envoyImage, gatewayNamespaceMode, tls, logLevel);
  }

  /**
   * The Secret that holds the proxy's client certificate ({@code tls.crt}, {@code tls.key}) and the
   * CA of the xds-server ({@code ca.crt}), mounted into the Envoy container.
   *
   * @param secretName the Secret in the fleet's namespace
   * @param mountPath where it is mounted
   * @param serverName the name the xds-server's certificate carries, or null to check the chain
   *     only
   */
  public record XdsTlsMount(String secretName, String mountPath, String serverName) {
    public XdsTlsMount {
      Objects.requireNonNull(secretName, "secretName");
      mountPath = mountPath == null || mountPath.isBlank() ? "/certs" : mountPath;
    }
  }
}
