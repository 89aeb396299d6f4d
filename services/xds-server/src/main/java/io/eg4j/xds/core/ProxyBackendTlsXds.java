package io.eg4j.xds.core;

import io.eg4j.model.ir.ProxyBackendTlsIr;
import io.eg4j.model.ir.RouteDestinationIr.ClientTlsIr;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import java.util.List;

/**
 * The EnvoyProxy {@code backendTLS} in Envoy: the ALPN protocols, cipher suites, curves, signature
 * algorithms and versions every upstream TLS context of a backend offers, unless the backend (a
 * Backend's {@code spec.tls}) sets its own, and the SDS secret of the client certificate that
 * {@link UpstreamTlsXds} presents to backends without one of their own. Clusters made from a URL (a
 * JWKS or OIDC endpoint) are not backends and keep their TLS.
 */
final class ProxyBackendTlsXds {
  private ProxyBackendTlsXds() {}

  /** The client certificate's SDS secret, or null when none is set. */
  static Secret clientCertificate(ProxyBackendTlsIr tls) {
    if (tls == null || tls.clientCertificate() == null) {
      return null;
    }
    return Secret.newBuilder()
        .setName(tls.clientCertificate().name())
        .setTlsCertificate(
            TlsCertificate.newBuilder()
                .setCertificateChain(Protos.inline(tls.clientCertificate().certificateChain()))
                .setPrivateKey(Protos.inline(tls.clientCertificate().privateKey())))
        .build();
  }

  /**
   * Writes the TLS parameters into an upstream context: each one the backend sets ({@code own}),
   * else the EnvoyProxy's ({@code proxy}); an empty ALPN list of the backend offers none.
   */
  static void applyParameters(
      CommonTlsContext.Builder common, ClientTlsIr own, ProxyBackendTlsIr proxy) {
    List<String> alpn =
        own != null && own.alpnProtocols() != null
            ? own.alpnProtocols()
            : proxy == null ? List.of() : proxy.alpnProtocols();
    common.clearAlpnProtocols().addAllAlpnProtocols(alpn);
    TlsParameters.Builder params = common.getTlsParamsBuilder();
    params.addAllCipherSuites(
        pick(own == null ? null : own.ciphers(), proxy == null ? null : proxy.ciphers()));
    params.addAllEcdhCurves(
        pick(own == null ? null : own.ecdhCurves(), proxy == null ? null : proxy.ecdhCurves()));
    params.addAllSignatureAlgorithms(
        pick(
            own == null ? null : own.signatureAlgorithms(),
            proxy == null ? null : proxy.signatureAlgorithms()));
    String min =
        own != null && own.minVersion() != null
            ? own.minVersion()
            : proxy == null ? null : proxy.minVersion();
    String max =
        own != null && own.maxVersion() != null
            ? own.maxVersion()
            : proxy == null ? null : proxy.maxVersion();
    if (min != null) {
      params.setTlsMinimumProtocolVersion(version(min));
    }
    if (max != null) {
      params.setTlsMaximumProtocolVersion(version(max));
    }
  }

  private static List<String> pick(List<String> own, List<String> proxy) {
    if (own != null && !own.isEmpty()) {
      return own;
    }
    return proxy == null ? List.of() : proxy;
  }

  private static TlsParameters.TlsProtocol version(String v) {
    return switch (v) {
      case "1.0" -> TlsParameters.TlsProtocol.TLSv1_0;
      case "1.1" -> TlsParameters.TlsProtocol.TLSv1_1;
      case "1.2" -> TlsParameters.TlsProtocol.TLSv1_2;
      default -> TlsParameters.TlsProtocol.TLSv1_3;
    };
  }
}
