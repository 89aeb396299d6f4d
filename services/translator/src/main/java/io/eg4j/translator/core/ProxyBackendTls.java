package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.ProxyBackendTlsIr;
import io.eg4j.model.ir.TlsIr;
import io.eg4j.translator.core.policy.traffic.TlsSettingsTranslator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The EnvoyProxy {@code spec.backendTLS} of a Gateway, in the IR: the client certificate its
 * proxies present to TLS backends and the TLS parameters they offer.
 */
final class ProxyBackendTls {
  private final TranslationContext ctx;
  private final BackendRefProcessor backends;

  ProxyBackendTls(TranslationContext ctx) {
    this.ctx = ctx;
    this.backends = new BackendRefProcessor(ctx, new BackendTlsPolicyProcessor(ctx));
  }

  /**
   * The backendTLS of the Gateway's EnvoyProxy, or null when it sets none. A client certificate
   * that cannot be used is left out: the routes to TLS backends then fail with ResolvedRefs=False
   * (see {@link BackendRefProcessor}), so no backend is called without it.
   */
  ProxyBackendTlsIr translate(GatewayContext g) {
    // Envoy Gateway reads these fields case-insensitively (Go's JSON decoding).
    JsonNode spec = EnvoyProxyValidator.normalizedRef(Nodes.obj(g.envoyProxy, "backendTLS"));
    if (spec.isEmpty()) {
      return null;
    }
    TlsIr.CertificateIr cert = null;
    JsonNode ref = EnvoyProxyValidator.normalizedRef(Nodes.obj(spec, "clientCertificateRef"));
    if (!ref.isEmpty() && backends.proxyClientCertificateError(g) == null) {
      String epNs =
          g.envoyProxyNamespace == null ? ctx.config.controllerNamespace() : g.envoyProxyNamespace;
      String ns = Nodes.text(ref, "namespace", epNs);
      String name = Nodes.text(ref, "name", "");
      ObjectNode secret = ctx.secret(ns, name);
      byte[] crt = CertificateValidator.secretData(secret, "tls.crt");
      byte[] key = CertificateValidator.secretData(secret, "tls.key");
      cert = usable(crt, key) ? certificate(ns + "/" + name, crt, key) : null;
    }
    ProxyBackendTlsIr ir =
        new ProxyBackendTlsIr(
            cert,
            texts(spec, "alpnProtocols"),
            known(texts(spec, "ciphers"), BackendTls::knownCipher),
            known(texts(spec, "ecdhCurves"), TlsSettingsTranslator.CURVES::contains),
            known(
                texts(spec, "signatureAlgorithms"),
                s ->
                    TlsSettingsTranslator.SIGNATURE_ALGORITHMS.contains(s)
                        || TlsSettingsTranslator.KEY_AND_HASH.matcher(s).matches()),
            BackendTls.version(Nodes.text(spec, "minVersion")),
            BackendTls.version(Nodes.text(spec, "maxVersion")));
    return ir.isEmpty() ? null : ir;
  }

  /**
   * The names BoringSSL knows. Envoy refuses a whole cluster for one name it does not know, and
   * Envoy Gateway passes them through unchecked; eg4j leaves an unknown name out so that the
   * backends stay reachable with the rest.
   */
  private static List<String> known(List<String> names, java.util.function.Predicate<String> ok) {
    return names.stream().filter(ok).toList();
  }

  /**
   * True when the certificate and key parse and belong together. Envoy refuses every cluster that
   * names an unreadable certificate; without it, a backend that asks for one refuses the handshake
   * instead, and nothing reaches a backend that should not.
   */
  private static boolean usable(byte[] crt, byte[] key) {
    try {
      CertificateValidator.parseKeyPair(crt, key);
      return true;
    } catch (CertificateValidator.InvalidException e) {
      return false;
    }
  }

  private static TlsIr.CertificateIr certificate(String name, byte[] crt, byte[] key) {
    return new TlsIr.CertificateIr(
        name,
        new String(crt, StandardCharsets.UTF_8),
        new String(key, StandardCharsets.UTF_8),
        List.of());
  }

  private static List<String> texts(JsonNode holder, String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : Nodes.list(holder, field)) {
      out.add(v.asText());
    }
    return out;
  }
}
