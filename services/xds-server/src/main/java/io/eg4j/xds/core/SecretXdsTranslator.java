package io.eg4j.xds.core;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.TcpListenerIr;
import io.eg4j.model.ir.TlsIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.core.filters.FilterResources;
import io.eg4j.xds.core.filters.HttpFilters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the SDS resources: one secret per listener certificate, named like the IR certificate
 * ({@code namespace/secret}), shared by every listener that uses it.
 */
public final class SecretXdsTranslator {
  /** Translates the secrets of an IR. */
  public List<Secret> translate(XdsIr ir) {
    FilterResources filters = HttpFilters.resources(ir);
    return translate(ir, ClusterXdsTranslator.allRefs(ir, filters), filters);
  }

  /**
   * Translates the secrets of an IR whose cluster references and HTTP filter resources are already
   * gathered.
   */
  List<Secret> translate(
      XdsIr ir, Map<String, ClusterXdsTranslator.ClusterRef> refs, FilterResources filters) {
    Map<String, Secret> out = new TreeMap<>();
    for (HttpListenerIr l : ir.http()) {
      add(out, l.tls());
    }
    for (TcpListenerIr l : ir.tcp()) {
      for (TcpListenerIr.TcpRouteIr r : l.routes()) {
        add(out, r.tls());
      }
    }
    // The CAs that ClientTrafficPolicies verify client certificates with.
    java.util.List<io.eg4j.model.ir.traffic.ClientTrafficIr> clients = new java.util.ArrayList<>();
    ir.http().forEach(l -> clients.add(l.client()));
    ir.tcp().forEach(l -> clients.add(l.client()));
    for (var c : clients) {
      if (c != null
          && c.clientValidation() != null
          && c.clientValidation().caCertificates() != null) {
        String name = ListenerXdsTranslator.clientCaSecretName(c);
        out.putIfAbsent(
            name,
            Secret.newBuilder()
                .setName(name)
                .setValidationContext(
                    io.envoyproxy.envoy.extensions.transport_sockets.tls.v3
                        .CertificateValidationContext.newBuilder()
                        .setTrustedCa(Protos.inline(c.clientValidation().caCertificates())))
                .build());
      }
    }
    // The CAs clusters verify their TLS backends with (none for a backend not verified).
    for (ClusterXdsTranslator.ClusterRef ref : refs.values()) {
      if (!ref.localities().isEmpty()) {
        // Each TLS backendRef of a cluster with localities verifies with its own CA.
        ClusterXdsTranslator.tlsLocalities(ref)
            .forEach(
                (region, i) ->
                    addCa(
                        out,
                        UpstreamTlsXds.caSecret(
                            ClusterXdsTranslator.tlsMatchName(ref.name(), i),
                            ref.localities().get(i).tls())));
      } else if (ref.setting().tls() != null && !ClusterXdsTranslator.uriCluster(ref.name())) {
        addCa(out, UpstreamTlsXds.caSecret(ref.name(), ref.setting().tls()));
      }
    }
    // The client certificates clusters present to their TLS backends.
    for (ClusterXdsTranslator.ClusterRef ref : refs.values()) {
      List<RouteDestinationIr.DestinationSettingIr> groups =
          ref.localities().isEmpty() ? List.of(ref.setting()) : ref.localities();
      for (RouteDestinationIr.DestinationSettingIr g : groups) {
        if (g.tls() != null && g.tls().clientCertificate() != null) {
          TlsIr.CertificateIr c = g.tls().clientCertificate();
          out.putIfAbsent(c.name(), certificateSecret(c));
        }
      }
    }
    // Secrets the HTTP filters read over SDS (OIDC client and HMAC secrets).
    for (Secret s : filters.secrets()) {
      out.putIfAbsent(s.getName(), s);
    }
    // The client certificate the proxy presents to the global rate limit service.
    TlsIr.CertificateIr rateLimitClient =
        io.eg4j.xds.core.filters.GlobalRateLimitFilterXds.clientCertificate(ir);
    if (rateLimitClient != null) {
      out.putIfAbsent(rateLimitClient.name(), certificateSecret(rateLimitClient));
    }
    // The client certificate the EnvoyProxy's backendTLS presents to backends.
    Secret client = ProxyBackendTlsXds.clientCertificate(ir.backendTls());
    if (client != null) {
      out.putIfAbsent(client.getName(), client);
    }
    return List.copyOf(out.values());
  }

  private static void addCa(Map<String, Secret> out, Secret ca) {
    if (ca != null) {
      out.putIfAbsent(ca.getName(), ca);
    }
  }

  private static void add(Map<String, Secret> out, TlsIr tls) {
    if (tls == null) {
      return;
    }
    for (TlsIr.CertificateIr c : tls.certificates()) {
      out.putIfAbsent(c.name(), certificateSecret(c));
    }
    // The CA bundle of the Gateway's client certificate validation (spec.tls.frontend).
    TlsIr.FrontendValidationIr fv = tls.frontendValidation();
    if (fv != null) {
      out.putIfAbsent(
          fv.name(),
          Secret.newBuilder()
              .setName(fv.name())
              .setValidationContext(
                  io.envoyproxy.envoy.extensions.transport_sockets.tls.v3
                      .CertificateValidationContext.newBuilder()
                      .setTrustedCa(Protos.inline(fv.caCertificates())))
              .build());
    }
  }

  private static Secret certificateSecret(TlsIr.CertificateIr c) {
    return Secret.newBuilder()
        .setName(c.name())
        .setTlsCertificate(
            TlsCertificate.newBuilder()
                .setCertificateChain(Protos.inline(c.certificateChain()))
                .setPrivateKey(Protos.inline(c.privateKey())))
        .build();
  }
}
