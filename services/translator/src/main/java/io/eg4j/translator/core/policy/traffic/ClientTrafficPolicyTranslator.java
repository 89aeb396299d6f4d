package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.ClusterSettingsIr.TcpKeepaliveIr;
import io.eg4j.model.ir.traffic.ClientTrafficIr;
import io.eg4j.model.ir.traffic.ClientTrafficIr.ClientIpDetectionIr;
import io.eg4j.model.ir.traffic.ClientTrafficIr.ClientValidationIr;
import io.eg4j.model.ir.traffic.ClientTrafficIr.SanIr;
import io.eg4j.translator.core.policy.ClusterSettingsTranslator;
import io.eg4j.translator.core.policy.FieldSupport;
import io.eg4j.translator.core.policy.ObjectRef;
import io.eg4j.translator.core.policy.PolicyEnv;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates one ClientTrafficPolicy into the {@link ClientTrafficIr} its listeners carry. Each
 * feature is its own class beside this one that lists the spec fields it enforces and builds its IR
 * record. A policy that sets a field no feature enforces yields an error: it is {@code
 * Accepted=False} and changes nothing (DESIGN.md invariant 9).
 */
public final class ClientTrafficPolicyTranslator {
  /** Every spec path a ClientTrafficPolicy may set and still be enforced. */
  public static final List<String> SUPPORTED = supported();

  private static List<String> supported() {
    List<String> all = new ArrayList<>(FieldSupport.ATTACHMENT);
    all.addAll(
        List.of(
            "clientIPDetection",
            // The rate limits' x-ratelimit-* headers (BackendTrafficApplier).
            "headers.disableRateLimitHeaders",
            // HTTP connection and stream limits of the connection manager (httpLimits).
            "timeout.http.requestHeadersReceivedTimeout",
            "connection.connectionLimit.maxConnectionDuration",
            "connection.connectionLimit.maxRequestsPerConnection",
            "connection.connectionLimit.maxStreamDuration",
            "http1.disableSafeMaxConnectionDuration",
            "clientIPDetection.xForwardedFor.numTrustedHops",
            "clientIPDetection.xForwardedFor.trustedCIDRs[]",
            "clientIPDetection.xForwardedFor.disableXForwardedForAppend",
            "clientIPDetection.customHeader.name",
            "clientIPDetection.customHeader.failClosed",
            "clientIPDetection.directSourceIP",
            // An empty tcpKeepalive turns keepalive on with the system defaults; an empty
            // connection
            // object changes nothing.
            "tcpKeepalive",
            "connection",
            "tcpKeepalive.probes",
            "tcpKeepalive.idleTime",
            "tcpKeepalive.interval",
            "connection.bufferLimit",
            // Listener socket and TCP settings, and the scheme sent upstream (socket()).
            "connection.socketBufferLimit",
            "timeout.tcp.idleTimeout",
            "timeout.tcp.tlsHandshakeTimeout",
            "timeout.tcp.connectionInspectionTimeout",
            "scheme",
            "timeout.http.requestReceivedTimeout",
            "timeout.http.idleTimeout",
            "timeout.http.streamIdleTimeout",
            "http1.http10",
            "http1.enableTrailers",
            "http3",
            "tls",
            "tls.minVersion",
            "tls.maxVersion",
            "tls.ciphers[]",
            "tls.ecdhCurves[]",
            "tls.signatureAlgorithms[]",
            "tls.alpnProtocols[]",
            "tls.alpnProtocols",
            "tls.fingerprints[]",
            "tls.session.resumption.stateful",
            "tls.session.resumption.stateless",
            "tls.clientValidation.caCertificateRefs[].group",
            "tls.clientValidation.caCertificateRefs[].kind",
            "tls.clientValidation.caCertificateRefs[].name",
            "tls.clientValidation.caCertificateRefs[].namespace",
            "tls.clientValidation.optional",
            "tls.clientValidation.certificateHashes[]",
            "tls.clientValidation.spkiHashes[]",
            "tls.clientValidation.subjectAltNames.dnsNames[].type",
            "tls.clientValidation.subjectAltNames.dnsNames[].value",
            "tls.clientValidation.subjectAltNames.emailAddresses[].type",
            "tls.clientValidation.subjectAltNames.emailAddresses[].value",
            "tls.clientValidation.subjectAltNames.ipAddresses[].type",
            "tls.clientValidation.subjectAltNames.ipAddresses[].value",
            "tls.clientValidation.subjectAltNames.uris[].type",
            "tls.clientValidation.subjectAltNames.uris[].value",
            "tls.clientValidation.subjectAltNames.otherNames[].oid",
            "tls.clientValidation.subjectAltNames.otherNames[].type",
            "tls.clientValidation.subjectAltNames.otherNames[].value",
            "tls.clientValidation.allowExpiredCertificate",
            "tls.clientValidation.mode",
            "tls.clientValidation.crl.refs[].group",
            "tls.clientValidation.crl.refs[].kind",
            "tls.clientValidation.crl.refs[].name",
            "tls.clientValidation.crl.refs[].namespace",
            "tls.clientValidation.crl.onlyVerifyLeafCertificate"));
    all.addAll(ConnectionManagerTranslator.SUPPORTED);
    return List.copyOf(all);
  }

  /**
   * The outcome: the IR, or the reason the policy cannot be enforced.
   *
   * @param ir the client traffic settings, null on error
   * @param error the Accepted=False message, null on success
   */
  public record Result(ClientTrafficIr ir, String error, String warning) {
    /** A result without a warning. */
    public Result(ClientTrafficIr ir, String error) {
      this(ir, error, null);
    }
  }

  /** The Warning reason when HTTP/3 is not served because the policy validates clients. */
  public static final String UNSUPPORTED_HTTP3_CLIENT_VALIDATION =
      "UnsupportedHTTP3ClientValidation";

  private final PolicyEnv env;

  /** A translator that resolves references through {@code env}. */
  public ClientTrafficPolicyTranslator(PolicyEnv env) {
    this.env = env;
  }

  /** Translates a policy. */
  public Result translate(ObjectNode policy, JsonNode spec) {
    String unsupported = FieldSupport.message(FieldSupport.unsupported(spec, SUPPORTED));
    if (unsupported != null) {
      return new Result(null, unsupported);
    }
    String id =
        "clienttrafficpolicy/"
            + policy.path("metadata").path("namespace").asText("")
            + "/"
            + policy.path("metadata").path("name").asText("");
    ClientIpDetectionIr detection;
    try {
      detection = clientIpDetection(spec.path("clientIPDetection"));
    } catch (IllegalArgumentException e) {
      return new Result(null, e.getMessage());
    }
    // HTTP/3 and client certificate validation do not go together (Envoy Gateway's rule, which we
    // keep): QUIC connections would skip the validation, so HTTP/3 is left off and the policy
    // says so in a Warning.
    boolean http3 = spec.path("http3").isObject();
    String warning = null;
    if (http3 && spec.path("tls").path("clientValidation").isObject()) {
      http3 = false;
      warning =
          "spec.http3 is not applied: HTTP/3 does not support client certificate validation"
              + " (spec.tls.clientValidation), so the listeners serve HTTP/1.1 and HTTP/2 only";
    }
    try {
      JsonNode k = spec.path("tcpKeepalive");
      JsonNode http = spec.path("timeout").path("http");
      return new Result(
          new ClientTrafficIr(
              id,
              detection,
              k.isObject()
                  ? new TcpKeepaliveIr(
                      k.has("probes") ? k.path("probes").asInt() : null,
                      ClusterSettingsTranslator.duration(
                          k.get("idleTime"), "spec.tcpKeepalive.idleTime"),
                      ClusterSettingsTranslator.duration(
                          k.get("interval"), "spec.tcpKeepalive.interval"))
                  : null,
              spec.path("connection").has("bufferLimit")
                  ? ClusterSettingsTranslator.quantity(
                      spec.path("connection").path("bufferLimit").asText(),
                      "spec.connection.bufferLimit")
                  : null,
              ClusterSettingsTranslator.duration(
                  http.get("requestReceivedTimeout"), "spec.timeout.http.requestReceivedTimeout"),
              ClusterSettingsTranslator.duration(
                  http.get("idleTimeout"), "spec.timeout.http.idleTimeout"),
              ClusterSettingsTranslator.duration(
                  http.get("streamIdleTimeout"), "spec.timeout.http.streamIdleTimeout"),
              spec.path("http1").path("http10").isObject(),
              spec.path("http1").path("enableTrailers").asBoolean(false),
              clientValidation(policy, spec.path("tls").path("clientValidation")),
              TlsSettingsTranslator.translate(spec.path("tls")),
              ConnectionManagerTranslator.translate(spec),
              http3,
              spec.path("headers").path("disableRateLimitHeaders").asBoolean(false),
              httpLimits(spec),
              socket(spec)),
          null,
          warning);
    } catch (PolicyException e) {
      return new Result(null, e.getMessage());
    }
  }

  /**
   * {@code spec.tls.clientValidation}: the CA bundle from ConfigMaps and Secrets (key {@code
   * ca.crt}, across namespaces only with a ReferenceGrant), optional clients, certificate and SPKI
   * hashes, subject alternative names. Null when not set.
   */
  private ClientValidationIr clientValidation(ObjectNode policy, JsonNode v)
      throws PolicyException {
    if (!v.isObject()) {
      return null;
    }
    String pem =
        bundle(
            policy,
            v.path("caCertificateRefs"),
            "ca.crt",
            "-----BEGIN CERTIFICATE-----",
            "spec.tls.clientValidation.caCertificateRefs");
    String mode = v.path("mode").asText("RequireAndVerify");
    boolean verifies = !mode.equals("Request") && !mode.equals("RequireAny");
    if (pem.isEmpty() && verifies) {
      throw new PolicyException(
          "spec.tls.clientValidation.caCertificateRefs must name a CA bundle");
    }
    String crl = null;
    boolean crlLeafOnly = false;
    JsonNode c = v.path("crl");
    if (c.isObject()) {
      crl =
          bundle(
              policy,
              c.path("refs"),
              "ca.crl",
              "-----BEGIN X509 CRL-----",
              "spec.tls.clientValidation.crl.refs");
      if (crl.isEmpty()) {
        throw new PolicyException("spec.tls.clientValidation.crl.refs must name a CRL");
      }
      checkCrls(crl);
      crlLeafOnly = c.path("onlyVerifyLeafCertificate").asBoolean(false);
    }
    List<String> hashes = new ArrayList<>();
    v.path("certificateHashes").forEach(h -> hashes.add(h.asText()));
    List<String> spki = new ArrayList<>();
    v.path("spkiHashes").forEach(h -> spki.add(h.asText()));
    List<SanIr> sans = new ArrayList<>();
    String[][] kinds = {
      {"dnsNames", "DNS"},
      {"emailAddresses", "EMAIL"},
      {"ipAddresses", "IP_ADDRESS"},
      {"uris", "URI"},
      {"otherNames", "OTHER_NAME"}
    };
    for (String[] k : kinds) {
      for (JsonNode san : v.path("subjectAltNames").path(k[0])) {
        String type = san.path("type").asText("Exact");
        if (!List.of("Exact", "Prefix", "Suffix", "RegularExpression").contains(type)) {
          throw new PolicyException(
              "spec.tls.clientValidation.subjectAltNames." + k[0] + ": unknown type " + type);
        }
        String oid = k[1].equals("OTHER_NAME") ? san.path("oid").asText("") : null;
        if (oid != null && !oid.matches("[0-9]+(\\.[0-9]+)+")) {
          throw new PolicyException(
              "spec.tls.clientValidation.subjectAltNames.otherNames: invalid OID " + oid);
        }
        sans.add(new SanIr(k[1], type, san.path("value").asText(""), oid));
      }
    }
    // The mode: RequireAndVerify (the default), VerifyIfGiven (= optional), RequireAny and Request
    // (any certificate, not verified; Request does not require one).
    boolean optional = v.path("optional").asBoolean(false);
    boolean acceptUntrusted = false;
    switch (mode) {
      case "RequireAndVerify" -> {}
      case "VerifyIfGiven" -> optional = true;
      case "RequireAny" -> acceptUntrusted = true;
      case "Request" -> {
        acceptUntrusted = true;
        optional = true;
      }
      default ->
          throw new PolicyException(
              "spec.tls.clientValidation.mode: unknown mode " + v.path("mode").asText());
    }
    return new ClientValidationIr(
        pem.isEmpty() ? null : pem,
        optional,
        hashes,
        spki,
        sans,
        v.path("allowExpiredCertificate").asBoolean(false),
        crl,
        crlLeafOnly,
        acceptUntrusted);
  }

  /** Every CRL must parse and be current: Envoy refuses all clients once a CRL is out of date. */
  private static void checkCrls(String pem) throws PolicyException {
    try {
      var crls =
          java.security.cert.CertificateFactory.getInstance("X.509")
              .generateCRLs(
                  new java.io.ByteArrayInputStream(
                      pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
      for (var crl : crls) {
        var x = (java.security.cert.X509CRL) crl;
        if (x.getNextUpdate() != null && x.getNextUpdate().before(new java.util.Date())) {
          throw new PolicyException(
              "spec.tls.clientValidation.crl: the CRL of "
                  + x.getIssuerX500Principal().getName()
                  + " expired on "
                  + x.getNextUpdate().toInstant());
        }
      }
    } catch (java.security.cert.CertificateException | java.security.cert.CRLException e) {
      throw new PolicyException(
          "spec.tls.clientValidation.crl: not a valid CRL: " + e.getMessage());
    }
  }

  /**
   * The PEM blocks under {@code key} of the ConfigMaps and Secrets {@code refs} name (across
   * namespaces only with a ReferenceGrant), joined; each must hold at least one {@code marker}.
   */
  private String bundle(ObjectNode policy, JsonNode refs, String key, String marker, String field)
      throws PolicyException {
    StringBuilder pem = new StringBuilder();
    for (int i = 0; i < refs.size(); i++) {
      JsonNode r = refs.get(i);
      String kind = r.path("kind").asText("Secret");
      String where = field + "[" + i + "]";
      if (!r.path("group").asText("").isEmpty()
          || (!kind.equals("ConfigMap") && !kind.equals("Secret"))) {
        throw new PolicyException(where + ": unsupported kind " + kind + " (ConfigMap or Secret)");
      }
      ObjectRef ref =
          new ObjectRef(
              "",
              kind,
              r.path("name").asText(""),
              r.hasNonNull("namespace") ? r.path("namespace").asText() : null,
              null);
      java.util.Map<String, String> data =
          kind.equals("Secret") ? env.secret(policy, ref) : env.configMap(policy, ref);
      String value = data.get(key);
      if (value == null || !value.contains(marker)) {
        throw new PolicyException(where + ": " + kind + " " + ref.name() + " has no PEM " + key);
      }
      pem.append(value.strip()).append('\n');
    }
    return pem.toString();
  }

  /**
   * {@code spec.clientIPDetection}: the X-Forwarded-For hop count or trusted proxy ranges, a custom
   * header, or the connection's peer; exactly one. Null when not set.
   */
  static ClientIpDetectionIr clientIpDetection(JsonNode d) {
    if (!d.isObject()) {
      return null;
    }
    JsonNode xff = d.path("xForwardedFor");
    JsonNode custom = d.path("customHeader");
    boolean direct = d.has("directSourceIP");
    int ways = (xff.isObject() ? 1 : 0) + (custom.isObject() ? 1 : 0) + (direct ? 1 : 0);
    if (ways != 1) {
      throw new IllegalArgumentException(
          "spec.clientIPDetection: exactly one of xForwardedFor, customHeader, or directSourceIP"
              + " must be set");
    }
    if (xff.isObject()) {
      boolean hops = xff.has("numTrustedHops");
      List<String> cidrs = new ArrayList<>();
      xff.path("trustedCIDRs").forEach(c -> cidrs.add(c.asText()));
      if (hops && !cidrs.isEmpty()) {
        throw new IllegalArgumentException(
            "spec.clientIPDetection.xForwardedFor: only one of numTrustedHops or trustedCIDRs must"
                + " be set");
      }
      for (String c : cidrs) {
        if (!c.matches("^[0-9a-fA-F.:]+/[0-9]{1,3}$")) {
          throw new IllegalArgumentException(
              "spec.clientIPDetection.xForwardedFor.trustedCIDRs: invalid CIDR " + c);
        }
      }
      return new ClientIpDetectionIr(
          cidrs.isEmpty() ? xff.path("numTrustedHops").asInt(0) : null,
          cidrs,
          xff.path("disableXForwardedForAppend").asBoolean(false),
          null,
          false,
          false);
    }
    if (custom.isObject()) {
      String name = custom.path("name").asText("");
      if (!name.matches("^[A-Za-z0-9-]+$")) {
        throw new IllegalArgumentException(
            "spec.clientIPDetection.customHeader.name: not a header name: " + name);
      }
      return new ClientIpDetectionIr(
          null, List.of(), false, name, custom.path("failClosed").asBoolean(false), false);
    }
    return new ClientIpDetectionIr(null, List.of(), false, null, false, true);
  }

  /**
   * The listener's socket buffer size ({@code connection.socketBufferLimit}), its TCP timeouts
   * ({@code timeout.tcp}) and {@code scheme}, or null when none is set.
   */
  static ClientTrafficIr.SocketIr socket(JsonNode spec) throws PolicyException {
    JsonNode tcp = spec.path("timeout").path("tcp");
    Long buffer = null;
    if (spec.path("connection").hasNonNull("socketBufferLimit")) {
      buffer =
          ClusterSettingsTranslator.quantity(
              spec.path("connection").path("socketBufferLimit").asText(),
              "spec.connection.socketBufferLimit");
      if (buffer < 1 || buffer > Integer.MAX_VALUE) {
        throw new PolicyException(
            "spec.connection.socketBufferLimit: must be between 1 byte and 2Gi - 1");
      }
    }
    var idle =
        ClusterSettingsTranslator.duration(tcp.get("idleTimeout"), "spec.timeout.tcp.idleTimeout");
    var handshake =
        ClusterSettingsTranslator.duration(
            tcp.get("tlsHandshakeTimeout"), "spec.timeout.tcp.tlsHandshakeTimeout");
    var inspection =
        ClusterSettingsTranslator.duration(
            tcp.get("connectionInspectionTimeout"), "spec.timeout.tcp.connectionInspectionTimeout");
    String scheme = null;
    if (spec.hasNonNull("scheme")) {
      scheme = spec.path("scheme").asText();
      if (!scheme.equals("Preserve") && !scheme.equals("MatchBackend")) {
        throw new PolicyException("spec.scheme: must be Preserve or MatchBackend, not " + scheme);
      }
    }
    if (buffer == null
        && idle == null
        && handshake == null
        && inspection == null
        && scheme == null) {
      return null;
    }
    return new ClientTrafficIr.SocketIr(buffer, idle, handshake, inspection, scheme);
  }

  /**
   * The HTTP connection and stream limits ({@code connection.connectionLimit}'s HTTP limits, {@code
   * timeout.http.requestHeadersReceivedTimeout}), or null when none is set. An HTTP/1 connection
   * past its maximum duration is closed after the next response, with {@code Connection: close},
   * unless {@code http1.disableSafeMaxConnectionDuration}.
   */
  private static io.eg4j.model.ir.traffic.HttpConnectionLimitsIr httpLimits(JsonNode spec)
      throws PolicyException {
    JsonNode limit = spec.path("connection").path("connectionLimit");
    var headers =
        ClusterSettingsTranslator.duration(
            spec.path("timeout").path("http").get("requestHeadersReceivedTimeout"),
            "spec.timeout.http.requestHeadersReceivedTimeout");
    var maxDuration =
        ClusterSettingsTranslator.duration(
            limit.get("maxConnectionDuration"),
            "spec.connection.connectionLimit.maxConnectionDuration");
    var maxStream =
        ClusterSettingsTranslator.duration(
            limit.get("maxStreamDuration"), "spec.connection.connectionLimit.maxStreamDuration");
    Long maxRequests = null;
    if (limit.hasNonNull("maxRequestsPerConnection")) {
      JsonNode n = limit.path("maxRequestsPerConnection");
      if (!n.canConvertToLong() || !n.isIntegralNumber() || n.asLong() < 1) {
        throw new PolicyException(
            "spec.connection.connectionLimit.maxRequestsPerConnection: must be at least 1");
      }
      maxRequests = n.asLong();
    }
    if (headers != null && headers.millis() == 0) {
      // 0 disables the timeout, as leaving it out does.
      headers = null;
    }
    if (headers == null && maxDuration == null && maxRequests == null && maxStream == null) {
      return null;
    }
    boolean safe = !spec.path("http1").path("disableSafeMaxConnectionDuration").asBoolean(false);
    return new io.eg4j.model.ir.traffic.HttpConnectionLimitsIr(
        headers, maxDuration, maxRequests, maxStream, safe && maxDuration != null);
  }
}
