package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.traffic.ClientTrafficIr.TlsSettingsIr;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code spec.tls} of a ClientTrafficPolicy, apart from client validation: TLS versions, cipher
 * suites, ECDH curves, signature algorithms, ALPN protocols and session resumption. Names are
 * checked against what Envoy's TLS library knows, so a typo is refused with a status that names it
 * instead of reaching Envoy, which would reject the whole listener update.
 */
public final class TlsSettingsTranslator {
  private TlsSettingsTranslator() {}

  /** The API's versions in order (Auto is below 1.0 as a minimum, above 1.3 as a maximum). */
  private static final Map<String, String> VERSIONS =
      Map.of(
          "Auto", "TLS_AUTO",
          "1.0", "TLSv1_0",
          "1.1", "TLSv1_1",
          "1.2", "TLSv1_2",
          "1.3", "TLSv1_3");

  private static final List<String> ORDER = List.of("1.0", "1.1", "1.2", "1.3");

  /** Cipher suites of TLS 1.0 to 1.2 that BoringSSL knows, by OpenSSL and by IANA name. */
  public static final Set<String> CIPHERS =
      Set.of(
          "ECDHE-ECDSA-AES128-GCM-SHA256",
          "ECDHE-RSA-AES128-GCM-SHA256",
          "ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-RSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-CHACHA20-POLY1305",
          "ECDHE-RSA-CHACHA20-POLY1305",
          "ECDHE-PSK-CHACHA20-POLY1305",
          "ECDHE-ECDSA-AES128-SHA",
          "ECDHE-RSA-AES128-SHA",
          "ECDHE-PSK-AES128-CBC-SHA",
          "ECDHE-ECDSA-AES256-SHA",
          "ECDHE-RSA-AES256-SHA",
          "ECDHE-PSK-AES256-CBC-SHA",
          "AES128-GCM-SHA256",
          "AES256-GCM-SHA384",
          "AES128-SHA",
          "PSK-AES128-CBC-SHA",
          "AES256-SHA",
          "PSK-AES256-CBC-SHA",
          "DES-CBC3-SHA",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
          "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
          "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA",
          "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
          "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
          "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA",
          "TLS_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_RSA_WITH_AES_128_CBC_SHA",
          "TLS_PSK_WITH_AES_128_CBC_SHA",
          "TLS_RSA_WITH_AES_256_CBC_SHA",
          "TLS_PSK_WITH_AES_256_CBC_SHA",
          "TLS_RSA_WITH_3DES_EDE_CBC_SHA");

  /** ECDH curves (named groups) BoringSSL knows. */
  public static final Set<String> CURVES =
      Set.of(
          "X25519",
          "x25519",
          "P-256",
          "prime256v1",
          "P-384",
          "secp384r1",
          "P-521",
          "secp521r1",
          "X25519MLKEM768",
          "MLKEM1024");

  /** Signature algorithms BoringSSL knows by their TLS name. */
  public static final Set<String> SIGNATURE_ALGORITHMS =
      Set.of(
          "rsa_pkcs1_sha1",
          "rsa_pkcs1_sha256",
          "rsa_pkcs1_sha384",
          "rsa_pkcs1_sha512",
          "ecdsa_sha1",
          "ecdsa_secp256r1_sha256",
          "ecdsa_secp384r1_sha384",
          "ecdsa_secp521r1_sha512",
          "rsa_pss_rsae_sha256",
          "rsa_pss_rsae_sha384",
          "rsa_pss_rsae_sha512",
          "ed25519");

  /** The OpenSSL form of a signature algorithm: key type and hash, such as {@code RSA+SHA256}. */
  public static final Pattern KEY_AND_HASH =
      Pattern.compile("(RSA|ECDSA|RSA-PSS|PSS)\\+SHA(1|256|384|512)");

  static TlsSettingsIr translate(JsonNode tls) throws PolicyException {
    if (!tls.isObject()) {
      return TlsSettingsIr.DEFAULTS;
    }
    String min = tls.path("minVersion").asText("1.2");
    String max = tls.path("maxVersion").asText("1.3");
    if (!VERSIONS.containsKey(min)) {
      throw new PolicyException("spec.tls.minVersion: unknown TLS version " + min);
    }
    if (!VERSIONS.containsKey(max)) {
      throw new PolicyException("spec.tls.maxVersion: unknown TLS version " + max);
    }
    if (!min.equals("Auto") && !max.equals("Auto") && ORDER.indexOf(min) > ORDER.indexOf(max)) {
      throw new PolicyException(
          "spec.tls: minVersion " + min + " must be smaller or equal to maxVersion " + max);
    }
    List<String> ciphers = names(tls.path("ciphers"));
    for (String c : ciphers) {
      for (String alt : c.replace("[", "").replace("]", "").split("\\|")) {
        if (!CIPHERS.contains(alt)) {
          throw new PolicyException("spec.tls.ciphers: unknown cipher suite " + alt);
        }
      }
    }
    List<String> curves = names(tls.path("ecdhCurves"));
    for (String c : curves) {
      if (!CURVES.contains(c)) {
        throw new PolicyException("spec.tls.ecdhCurves: unknown curve " + c);
      }
    }
    List<String> sigs = names(tls.path("signatureAlgorithms"));
    for (String s : sigs) {
      if (!SIGNATURE_ALGORITHMS.contains(s) && !KEY_AND_HASH.matcher(s).matches()) {
        throw new PolicyException("spec.tls.signatureAlgorithms: unknown algorithm " + s);
      }
    }
    List<String> fingerprints = names(tls.path("fingerprints"));
    for (String f : fingerprints) {
      if (!f.equals("JA3") && !f.equals("JA4")) {
        throw new PolicyException("spec.tls.fingerprints: unknown fingerprint " + f);
      }
    }
    JsonNode alpn = tls.get("alpnProtocols");
    JsonNode resumption = tls.path("session").path("resumption");
    return new TlsSettingsIr(
        VERSIONS.get(min),
        VERSIONS.get(max),
        ciphers,
        curves,
        sigs,
        alpn == null || alpn.isNull() ? null : names(alpn),
        resumption.path("stateful").isObject(),
        resumption.path("stateless").isObject(),
        fingerprints.stream().distinct().toList());
  }

  private static List<String> names(JsonNode list) {
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asText()));
    return out;
  }
}
