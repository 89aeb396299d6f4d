package io.eg4j.model.bootstrap;

import java.util.Objects;

/**
 * What an Envoy bootstrap needs to know: who the proxy is, where the xds-server is, where the admin
 * interface listens, and (optionally) the client certificate for mTLS to the xds-server.
 *
 * @param nodeId the node id, {@code <ir key>/<instance>} (common.md "Node naming")
 * @param nodeCluster the node cluster, the xDS IR key the proxy serves
 * @param xdsHost the xds-server host name or IP address
 * @param xdsPort the xds-server gRPC (ADS) port
 * @param adminAddress the admin interface bind address, {@code 127.0.0.1} unless set
 * @param adminPort the admin interface port
 * @param delta true to use incremental (delta) ADS, false for state-of-the-world
 * @param tls client TLS to the xds-server, or null for plaintext gRPC
 * @param metrics the EnvoyProxy's bootstrap metrics (Prometheus endpoint, stats matcher, stats
 *     sinks), or null for none (only the admin interface serves stats)
 */
public record EnvoyBootstrapSpec(
    String nodeId,
    String nodeCluster,
    String xdsHost,
    int xdsPort,
    String adminAddress,
    int adminPort,
    boolean delta,
    XdsTls tls,
    ProxyMetrics metrics) {

  public EnvoyBootstrapSpec {
    requireText(nodeId, "nodeId");
    requireText(nodeCluster, "nodeCluster");
    requireText(xdsHost, "xdsHost");
    requirePort(xdsPort, "xdsPort");
    adminAddress = adminAddress == null || adminAddress.isBlank() ? "127.0.0.1" : adminAddress;
    requirePort(adminPort, "adminPort");
  }

  /** A spec for state-of-the-world ADS without TLS. */
  public static EnvoyBootstrapSpec of(
      String nodeId, String nodeCluster, String xdsHost, int xdsPort, int adminPort) {
    return new EnvoyBootstrapSpec(
        nodeId, nodeCluster, xdsHost, xdsPort, "127.0.0.1", adminPort, false, null, null);
  }

  /** The same spec with mTLS to the xds-server. */
  public EnvoyBootstrapSpec withTls(XdsTls newTls) {
    return new EnvoyBootstrapSpec(
        nodeId, nodeCluster, xdsHost, xdsPort, adminAddress, adminPort, delta, newTls, metrics);
  }

  /** The same spec with delta (incremental) ADS switched on or off. */
  public EnvoyBootstrapSpec withDelta(boolean newDelta) {
    return new EnvoyBootstrapSpec(
        nodeId, nodeCluster, xdsHost, xdsPort, adminAddress, adminPort, newDelta, tls, metrics);
  }

  /** The same spec with the EnvoyProxy's bootstrap metrics (null for none). */
  public EnvoyBootstrapSpec withMetrics(ProxyMetrics newMetrics) {
    return new EnvoyBootstrapSpec(
        nodeId, nodeCluster, xdsHost, xdsPort, adminAddress, adminPort, delta, tls, newMetrics);
  }

  /**
   * File paths (as Envoy sees them) of the proxy's client certificate, its key, and the CA that
   * signed the xds-server's certificate.
   *
   * @param certFile PEM client certificate chain
   * @param keyFile PEM client private key
   * @param caFile PEM CA bundle used to verify the xds-server
   * @param serverName SNI sent to the xds-server and the SAN its certificate must carry, or null to
   *     send the xds host as SNI and verify only the chain
   */
  public record XdsTls(String certFile, String keyFile, String caFile, String serverName) {
    public XdsTls {
      requireText(certFile, "certFile");
      requireText(keyFile, "keyFile");
      requireText(caFile, "caFile");
    }
  }

  private static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " is required");
    }
    Objects.requireNonNull(value);
  }

  private static void requirePort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " out of range: " + port);
    }
  }
}
