package io.eg4j.model.ir;

import java.util.Comparator;
import java.util.List;

/**
 * Downstream TLS termination settings.
 *
 * @param certificates server certificates, chosen by SNI
 * @param alpnProtocols ALPN protocols offered, empty for Envoy's default
 */
public record TlsIr(List<CertificateIr> certificates, List<String> alpnProtocols) {
  public TlsIr {
    certificates = XdsIr.sorted(certificates, Comparator.comparing(CertificateIr::name));
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("TLS needs at least one certificate");
    }
    alpnProtocols = XdsIr.copy(alpnProtocols);
  }

  /**
   * A certificate and its private key, both PEM. Served to Envoy through SDS under {@code name}.
   *
   * @param name secret name, {@code namespace/secret}
   * @param certificateChain PEM certificate chain
   * @param privateKey PEM private key
   * @param serverNames DNS names the certificate covers, used for SNI filter-chain matching
   */
  public record CertificateIr(
      String name, String certificateChain, String privateKey, List<String> serverNames) {
    public CertificateIr {
      IrValidation.requireName(name, "certificate");
      serverNames = XdsIr.copy(serverNames);
    }

    @Override
    public String toString() {
      return "CertificateIr[name=" + name + ", serverNames=" + serverNames + "]";
    }
  }
}
