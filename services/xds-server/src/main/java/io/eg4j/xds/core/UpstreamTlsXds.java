package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.ads;
import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.ProxyBackendTlsIr;
import io.eg4j.model.ir.RouteDestinationIr.UpstreamTlsIr;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/**
 * Upstream TLS origination in Envoy, the one place that builds it: from the IR's {@link
 * UpstreamTlsIr} (a BackendTLSPolicy's and a Backend's {@code spec.tls}, merged by the translator)
 * and the Gateway's EnvoyProxy {@code backendTLS}, the transport socket of a cluster (or of one of
 * its transport socket matches) and the validation secret it reads over SDS. As Envoy Gateway has
 * it:
 *
 * <ul>
 *   <li>the CA comes over SDS, named after its source (a policy's or Backend's {@code
 *       <name>/<namespace>-ca}, or the shared {@code system_ca_certificates} that points at the
 *       system trust store); the accepted SANs are the policy's, else the SNI;
 *   <li>without a fixed SNI the certificate is checked against the SNI Envoy sends ({@code
 *       auto_sni_san_validation}): the request's host over HTTP ({@code auto_sni}, see {@link
 *       #autoSni}), or each endpoint's host name ({@code auto_host_sni});
 *   <li>{@code insecureSkipVerify} leaves the validation out;
 *   <li>TLS 1.2 to 1.3 unless the Backend or the EnvoyProxy says otherwise; the Backend's own ALPN,
 *       ciphers, curves, signature algorithms, versions and client certificate take precedence over
 *       the EnvoyProxy's ({@link ProxyBackendTlsXds}).
 * </ul>
 */
public final class UpstreamTlsXds {
  /** Where system CA certificates live in the Envoy image, for upstream TLS without a CA. */
  static final String SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt";

  /** The SDS secret of the system trust store, shared by every cluster that uses it. */
  static final String SYSTEM_CA_SECRET = "system_ca_certificates";

  private UpstreamTlsXds() {}

  /**
   * True when Envoy is to send the request's host as SNI ({@code auto_sni} in the cluster's HTTP
   * protocol options): the TLS fixes no SNI and does not take it from the endpoint's host name.
   */
  public static boolean autoSni(UpstreamTlsIr tls) {
    return tls != null && tls.sni() == null && !tls.autoHostSni();
  }

  static boolean hasOwnCa(UpstreamTlsIr tls) {
    return tls.caCertificates() != null && !tls.caCertificates().isBlank();
  }

  /**
   * The SDS secret a cluster verifies its backend with: the IR's name, else {@code scope/ca} for
   * its own CA bundle or the shared system store; null when the backend is not verified.
   *
   * @param scope the cluster (or transport socket match) name, unique per backend
   */
  public static String caSecretName(String scope, UpstreamTlsIr tls) {
    if (tls.insecureSkipVerify()) {
      return null;
    }
    if (tls.caName() != null) {
      return tls.caName();
    }
    return hasOwnCa(tls) ? scope + "/ca" : SYSTEM_CA_SECRET;
  }

  /** The validation secret of {@link #caSecretName}, or null when the backend is not verified. */
  public static Secret caSecret(String scope, UpstreamTlsIr tls) {
    String name = caSecretName(scope, tls);
    if (name == null) {
      return null;
    }
    return Secret.newBuilder()
        .setName(name)
        .setValidationContext(CertificateValidationContext.newBuilder().setTrustedCa(trust(tls)))
        .build();
  }

  private static DataSource trust(UpstreamTlsIr tls) {
    return hasOwnCa(tls)
        ? Protos.inline(tls.caCertificates())
        : DataSource.newBuilder().setFilename(SYSTEM_CA_FILE).build();
  }

  /**
   * The TLS transport socket to a backend.
   *
   * @param caSecret the validation secret over SDS ({@link #caSecretName}); null to put the CA
   *     inline (a cluster made from a URL, as Envoy Gateway serves those)
   * @param proxy the EnvoyProxy's backendTLS, or null (none, or a cluster it does not apply to)
   */
  public static TransportSocket socket(
      UpstreamTlsIr tls, String caSecret, ProxyBackendTlsIr proxy) {
    CommonTlsContext.Builder common =
        CommonTlsContext.newBuilder()
            .setTlsParams(
                TlsParameters.newBuilder()
                    .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
                    .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3));
    UpstreamTlsContext.Builder ctx = UpstreamTlsContext.newBuilder();
    if (!tls.insecureSkipVerify()) {
      CertificateValidationContext.Builder v = CertificateValidationContext.newBuilder();
      List<String> sans =
          tls.subjectAltNames().isEmpty() && tls.sni() != null
              ? List.of(tls.sni())
              : tls.subjectAltNames();
      for (String san : sans) {
        // A BackendTLSPolicy SAN is a Hostname or a URI; a hostname never holds a colon, so a
        // value with a scheme is a URI SAN (spiffe://...), matched against the certificate's URIs.
        v.addMatchTypedSubjectAltNames(
            SubjectAltNameMatcher.newBuilder()
                .setSanType(
                    san.contains(":")
                        ? SubjectAltNameMatcher.SanType.URI
                        : SubjectAltNameMatcher.SanType.DNS)
                .setMatcher(StringMatcher.newBuilder().setExact(san)));
      }
      if (caSecret == null) {
        common.setValidationContext(v.setTrustedCa(trust(tls)));
      } else {
        common.setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(v)
                .setValidationContextSdsSecretConfig(
                    SdsSecretConfig.newBuilder().setName(caSecret).setSdsConfig(ads())));
      }
      if (tls.sni() == null) {
        // No fixed name: the certificate must match the SNI Envoy sends (the request's host, or
        // the endpoint's host name).
        ctx.setAutoSniSanValidation(true);
      }
    }
    if (tls.autoHostSni()) {
      ctx.setAutoHostSni(true);
    }
    // Mutual TLS: the backend's own certificate, else the EnvoyProxy's; one per client context,
    // over SDS as every certificate Envoy holds.
    var cert =
        tls.clientCertificate() != null
            ? tls.clientCertificate()
            : proxy == null ? null : proxy.clientCertificate();
    if (cert != null) {
      common.addTlsCertificateSdsSecretConfigs(
          SdsSecretConfig.newBuilder().setName(cert.name()).setSdsConfig(ads()));
    }
    ProxyBackendTlsXds.applyParameters(common, tls.client(), proxy);
    if (tls.sni() != null) {
      ctx.setSni(tls.sni());
    }
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(any(ctx.setCommonTlsContext(common).build()))
        .build();
  }
}
