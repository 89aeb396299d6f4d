package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.RouteDestinationIr.ClientTlsIr;
import io.eg4j.model.ir.RouteDestinationIr.UpstreamTlsIr;
import io.eg4j.model.ir.TlsIr;
import io.eg4j.translator.core.policy.traffic.TlsSettingsTranslator;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Backend's {@code spec.tls}: how Envoy originates TLS to the Backend's endpoints, wherever the
 * Backend is used (a route's, a policy's or an EnvoyProxy telemetry sink's backendRef). Envoy
 * Gateway's rules, from the Backend API:
 *
 * <ul>
 *   <li>the backend is verified with the CAs of {@code caCertificateRefs} (ConfigMaps or Secrets in
 *       the Backend's namespace) or the system trust store ({@code wellKnownCACertificates:
 *       System}), not at all with {@code insecureSkipVerify}; one of the three is needed unless a
 *       BackendTLSPolicy targets the Backend;
 *   <li>the SNI is {@code sni}, else each endpoint's host name ({@code
 *       autoSNIFromEndpointHostname}), else the request's host;
 *   <li>a BackendTLSPolicy of the Backend takes precedence where both set something: its hostname
 *       is the SNI, its CAs and SANs verify the backend (unless {@code insecureSkipVerify});
 *   <li>the client side ({@code clientCertificateRef}, {@code alpnProtocols}, ciphers, curves,
 *       signature algorithms, versions) replaces, field by field, the Gateway's EnvoyProxy {@code
 *       backendTLS}.
 * </ul>
 */
final class BackendTls {
  /** The runtime flag that gives each Backend's system trust store a secret of its own. */
  static final String PER_RESOURCE_SYSTEM_CA = "PerResourceSystemCASecret";

  /** A Backend's TLS that cannot be used; routes to it fail with InvalidBackendRef. */
  static final class InvalidException extends Exception {
    InvalidException(String message) {
      super(message);
    }
  }

  private final TranslationContext ctx;
  private final BackendTlsPolicyProcessor policies;

  BackendTls(TranslationContext ctx, BackendTlsPolicyProcessor policies) {
    this.ctx = ctx;
    this.policies = policies;
  }

  private static JsonNode tls(ObjectNode backend) {
    return Nodes.obj(Nodes.spec(backend), "tls");
  }

  /** True when the TLS says how to verify the backend (or not to). */
  private static boolean validates(JsonNode tls) {
    return !Nodes.list(tls, "caCertificateRefs").isEmpty()
        || !Nodes.text(tls, "wellKnownCACertificates", "").isEmpty()
        || tls.path("insecureSkipVerify").asBoolean(false);
  }

  /**
   * Why the Backend's TLS is invalid on its own (it sets neither CAs, the system store nor {@code
   * insecureSkipVerify}, and no BackendTLSPolicy targets the Backend or one of its ports), or null.
   */
  String validationError(ObjectNode backend) {
    JsonNode tls = tls(backend);
    if (tls.isMissingNode() || tls.isNull() || validates(tls)) {
      return null;
    }
    Set<String> ports = new LinkedHashSet<>();
    for (JsonNode ep : Nodes.list(Nodes.spec(backend), "endpoints")) {
      for (String kind : List.of("ip", "fqdn")) {
        Integer p = Nodes.integer(Nodes.obj(ep, kind), "port");
        if (p != null) {
          ports.add(String.valueOf(p));
        }
      }
    }
    if (policies.targetsBackend(Nodes.namespace(backend), Nodes.name(backend), ports)) {
      return null;
    }
    return "must specify either CACertificateRefs or WellKnownCACertificates when"
        + " InsecureSkipVerify is unset or false";
  }

  /**
   * The upstream TLS of a Backend merged with {@code policy}, the BackendTLSPolicy that applies to
   * it (null for none); null when neither asks for TLS.
   */
  UpstreamTlsIr apply(ObjectNode backend, UpstreamTlsIr policy) throws InvalidException {
    JsonNode tls = tls(backend);
    if (tls.isMissingNode() || tls.isNull() || !tls.isObject()) {
      return policy;
    }
    if (policy == null && !validates(tls)) {
      throw new InvalidException(
          "must specify either CACertificateRefs or WellKnownCACertificates when"
              + " InsecureSkipVerify is unset or false");
    }
    String ns = Nodes.namespace(backend);
    String name = Nodes.name(backend);
    boolean insecure = tls.path("insecureSkipVerify").asBoolean(false);
    String sni = Nodes.text(tls, "sni");
    boolean autoHostSni = sni == null && tls.path("autoSNIFromEndpointHostname").asBoolean(false);
    String ca = null;
    String caName = null;
    List<String> sans = List.of();
    if (policy != null) {
      // The policy's validation and hostname take precedence over the Backend's.
      sni = policy.sni();
      autoHostSni = false;
      ca = policy.caCertificates();
      caName = policy.caName();
      sans = policy.subjectAltNames();
    } else if (!insecure) {
      List<JsonNode> refs = Nodes.list(tls, "caCertificateRefs");
      if (!refs.isEmpty()) {
        try {
          ca = policies.caBundle(ns, refs);
        } catch (BackendTlsPolicyProcessor.PolicyError e) {
          throw new InvalidException(e.getMessage());
        }
        caName = name + "/" + ns + "-ca";
      } else if (ctx.config.runtimeFlag(PER_RESOURCE_SYSTEM_CA)) {
        caName = name + "/" + ns + "-ca";
      }
    }
    ClientTlsIr client = client(tls);
    return new UpstreamTlsIr(
        sni,
        insecure ? null : ca,
        insecure ? List.of() : sans,
        clientCertificate(backend, tls),
        insecure ? null : caName,
        insecure,
        autoHostSni,
        client.isEmpty() ? null : client);
  }

  /** The Backend's own client certificate, or null when it sets none. */
  private TlsIr.CertificateIr clientCertificate(ObjectNode backend, JsonNode tls)
      throws InvalidException {
    JsonNode ref = Nodes.obj(tls, "clientCertificateRef");
    if (ref.isMissingNode() || ref.isNull()) {
      return null;
    }
    String fromNs = Nodes.namespace(backend);
    String name = Nodes.text(ref, "name", "");
    String ns = Nodes.text(ref, "namespace", fromNs);
    String kind = Nodes.text(ref, "kind", "Secret");
    if (!kind.equals("Secret") || !Nodes.text(ref, "group", "").isEmpty()) {
      throw new InvalidException("the Backend's tls.clientCertificateRef must be a Secret");
    }
    if (!ns.equals(fromNs)
        && !ctx.referenceAllowed(
            TranslationContext.EG_GROUP, "Backend", fromNs, "", "Secret", ns, name)) {
      throw new InvalidException(
          "the Backend's client certificate Secret "
              + ns
              + "/"
              + name
              + " is in another namespace and no ReferenceGrant allows it");
    }
    ObjectNode secret = ctx.secret(ns, name);
    if (secret == null) {
      throw new InvalidException(
          "failed to locate the Backend's client certificate Secret " + ns + "/" + name);
    }
    TlsIr.CertificateIr cert = CertificateValidator.certificate(secret);
    if (cert == null) {
      // Envoy refuses a certificate whose key does not match: none could be presented.
      throw new InvalidException(
          "the Backend's client certificate Secret "
              + ns
              + "/"
              + name
              + " has no usable tls.crt and tls.key");
    }
    return cert;
  }

  /** The Backend's ALPN, ciphers, curves, signature algorithms and versions. */
  private static ClientTlsIr client(JsonNode tls) {
    JsonNode alpn = tls.get("alpnProtocols");
    List<String> alpnProtocols =
        alpn == null || !alpn.isArray() ? null : texts(tls, "alpnProtocols");
    return new ClientTlsIr(
        alpnProtocols,
        texts(tls, "ciphers").stream().filter(BackendTls::knownCipher).toList(),
        texts(tls, "ecdhCurves").stream().filter(TlsSettingsTranslator.CURVES::contains).toList(),
        texts(tls, "signatureAlgorithms").stream()
            .filter(
                s ->
                    TlsSettingsTranslator.SIGNATURE_ALGORITHMS.contains(s)
                        || TlsSettingsTranslator.KEY_AND_HASH.matcher(s).matches())
            .toList(),
        version(Nodes.text(tls, "minVersion")),
        version(Nodes.text(tls, "maxVersion")));
  }

  /**
   * A name BoringSSL knows (or an equal-preference group of them). Envoy refuses a whole cluster
   * for one name it does not know; an unknown one is left out so the backend stays reachable.
   */
  static boolean knownCipher(String c) {
    for (String alt : c.replace("[", "").replace("]", "").split("\\|")) {
      if (!TlsSettingsTranslator.CIPHERS.contains(alt)) {
        return false;
      }
    }
    return true;
  }

  /** {@code 1.0} to {@code 1.3}; {@code Auto} and anything else leave the default. */
  static String version(String v) {
    return v != null && v.matches("1\\.[0-3]") ? v : null;
  }

  private static List<String> texts(JsonNode holder, String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : Nodes.list(holder, field)) {
      out.add(v.asText());
    }
    return out;
  }
}
