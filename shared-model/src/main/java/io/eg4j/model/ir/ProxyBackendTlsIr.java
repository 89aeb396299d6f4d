package io.eg4j.model.ir;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * The EnvoyProxy {@code spec.backendTLS}: how the proxy speaks TLS to every backend it reaches over
 * TLS (a BackendTLSPolicy's, a Backend's, a telemetry collector's), on top of each backend's own
 * verification settings.
 *
 * @param clientCertificate the certificate the proxy presents to backends that ask for one, or
 *     null; named {@code namespace/name} after its Secret
 * @param alpnProtocols the ALPN protocols offered, in order; empty for the backend's default
 * @param ciphers cipher suites; empty for Envoy's default
 * @param ecdhCurves ECDH curves; empty for Envoy's default
 * @param signatureAlgorithms signature algorithms; empty for Envoy's default
 * @param minVersion the minimum TLS version ({@code 1.0} to {@code 1.3}), or null for 1.2
 * @param maxVersion the maximum TLS version, or null for 1.3
 */
public record ProxyBackendTlsIr(
    TlsIr.CertificateIr clientCertificate,
    List<String> alpnProtocols,
    List<String> ciphers,
    List<String> ecdhCurves,
    List<String> signatureAlgorithms,
    String minVersion,
    String maxVersion) {
  public ProxyBackendTlsIr {
    alpnProtocols = XdsIr.copy(alpnProtocols);
    ciphers = XdsIr.copy(ciphers);
    ecdhCurves = XdsIr.copy(ecdhCurves);
    signatureAlgorithms = XdsIr.copy(signatureAlgorithms);
  }

  /** True when nothing differs from Envoy Gateway's default upstream TLS. */
  @JsonIgnore
  public boolean isEmpty() {
    return clientCertificate == null
        && alpnProtocols.isEmpty()
        && ciphers.isEmpty()
        && ecdhCurves.isEmpty()
        && signatureAlgorithms.isEmpty()
        && minVersion == null
        && maxVersion == null;
  }
}
