package io.eg4j.model.ir;

import java.util.Comparator;
import java.util.List;

/**
 * Downstream TLS termination settings.
 *
 * @param certificates server certificates, chosen by SNI
 * @param alpnProtocols ALPN protocols offered, empty for Envoy's default
 * @param frontendValidation how the listener verifies client certificates by its Gateway's {@code
 *     spec.tls.frontend} (GEP-91), or null for not at all
 */
public record TlsIr(
    List<CertificateIr> certificates,
    List<String> alpnProtocols,
    FrontendValidationIr frontendValidation) {
  public TlsIr {
    certificates = XdsIr.sorted(certificates, Comparator.comparing(CertificateIr::name));
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("TLS needs at least one certificate");
    }
    alpnProtocols = XdsIr.copy(alpnProtocols);
  }

  /** TLS without client certificate validation. */
  public TlsIr(List<CertificateIr> certificates, List<String> alpnProtocols) {
    this(certificates, alpnProtocols, null);
  }

  /**
   * Client certificate validation from the Gateway's {@code spec.tls.frontend}: the CA bundle the
   * client's certificate must chain to, served to Envoy through SDS under {@code name}.
   *
   * @param name the CA secret's name, {@code gateway/<namespace>/<gateway>/<default|port>/ca.crt}
   * @param caCertificates PEM CA certificates (every {@code caCertificateRefs} entry, in order)
   * @param insecureFallback true for mode {@code AllowInsecureFallback}: a certificate is asked
   *     for, but a client without one, or with one that does not verify, is let in
   */
  public record FrontendValidationIr(String name, String caCertificates, boolean insecureFallback) {
    public FrontendValidationIr {
      IrValidation.requireName(name, "client CA");
      if (caCertificates == null || caCertificates.isBlank()) {
        throw new IllegalArgumentException("client certificate validation needs CA certificates");
      }
    }

    @Override
    public String toString() {
      return "FrontendValidationIr[name=" + name + ", insecureFallback=" + insecureFallback + "]";
    }
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
      String name,
      String certificateChain,
      @io.eg4j.model.bus.SecretMaterial String privateKey,
      List<String> serverNames) {
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
