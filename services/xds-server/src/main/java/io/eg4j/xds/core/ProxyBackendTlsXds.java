package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.InvalidProtocolBufferException;
import io.eg4j.model.ir.ProxyBackendTlsIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The EnvoyProxy {@code backendTLS} in Envoy: every upstream TLS context of a backend cluster
 * presents the client certificate (over SDS, named after its Secret) and offers the ALPN protocols,
 * cipher suites, curves, signature algorithms and versions it sets, as Envoy Gateway does. Clusters
 * made from a URL (a JWKS or OIDC endpoint) are not backends and keep their TLS.
 */
final class ProxyBackendTlsXds {
  private ProxyBackendTlsXds() {}

  /** The clusters with the backend TLS settings applied; unchanged when {@code tls} is null. */
  static List<Cluster> apply(List<Cluster> clusters, ProxyBackendTlsIr tls) {
    if (tls == null) {
      return clusters;
    }
    List<Cluster> out = new ArrayList<>();
    for (Cluster c : clusters) {
      if (ClusterXdsTranslator.uriCluster(c.getName())
          || (!c.hasTransportSocket() && c.getTransportSocketMatchesCount() == 0)) {
        out.add(c);
        continue;
      }
      Cluster.Builder b = c.toBuilder();
      if (b.hasTransportSocket()) {
        b.setTransportSocket(withSettings(b.getTransportSocket(), tls));
      }
      for (Cluster.TransportSocketMatch.Builder m : b.getTransportSocketMatchesBuilderList()) {
        m.setTransportSocket(withSettings(m.getTransportSocket(), tls));
      }
      out.add(b.build());
    }
    return out;
  }

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

  private static TransportSocket withSettings(TransportSocket socket, ProxyBackendTlsIr tls) {
    if (!socket.getTypedConfig().is(UpstreamTlsContext.class)) {
      return socket;
    }
    UpstreamTlsContext ctx;
    try {
      ctx = socket.getTypedConfig().unpack(UpstreamTlsContext.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot read back an upstream TLS context", e);
    }
    UpstreamTlsContext.Builder b = ctx.toBuilder();
    CommonTlsContext.Builder common = b.getCommonTlsContextBuilder();
    if (tls.clientCertificate() != null && common.getTlsCertificateSdsSecretConfigsCount() == 0) {
      // Envoy takes one certificate in a client context: the cluster may already present the
      // same EnvoyProxy certificate (the translator's upstream TLS), then it is not added twice.
      common.addTlsCertificateSdsSecretConfigs(
          SdsSecretConfig.newBuilder()
              .setName(tls.clientCertificate().name())
              .setSdsConfig(Protos.ads()));
    }
    if (!tls.alpnProtocols().isEmpty()) {
      // The EnvoyProxy's ALPN list replaces the one chosen for the backend's protocol.
      common.clearAlpnProtocols().addAllAlpnProtocols(tls.alpnProtocols());
    }
    TlsParameters.Builder params = common.getTlsParamsBuilder();
    params.addAllCipherSuites(tls.ciphers());
    params.addAllEcdhCurves(tls.ecdhCurves());
    params.addAllSignatureAlgorithms(tls.signatureAlgorithms());
    if (tls.minVersion() != null) {
      params.setTlsMinimumProtocolVersion(version(tls.minVersion()));
    }
    if (tls.maxVersion() != null) {
      params.setTlsMaximumProtocolVersion(version(tls.maxVersion()));
    }
    return socket.toBuilder().setTypedConfig(any(b.build())).build();
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
