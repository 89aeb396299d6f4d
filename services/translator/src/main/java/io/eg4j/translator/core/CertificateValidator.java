package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and checks TLS material from Secrets and ConfigMaps: PEM certificate chains, private keys
 * (PKCS#8, PKCS#1 RSA, SEC1 EC) and whether a key belongs to its certificate. Never throws: every
 * problem becomes an error message for a status condition.
 */
final class CertificateValidator {
  private static final Pattern PEM =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----", Pattern.DOTALL);

  private CertificateValidator() {}

  /** A parsed server certificate with its key. */
  record KeyPair(String certPem, String keyPem, List<X509Certificate> chain, String keyAlgorithm) {
    X509Certificate leaf() {
      return chain.get(0);
    }

    /** DNS names the leaf covers: its DNS SANs, else its CN. */
    List<String> dnsNames() {
      List<String> out = new ArrayList<>();
      try {
        Collection<List<?>> sans = leaf().getSubjectAlternativeNames();
        if (sans != null) {
          for (List<?> san : sans) {
            if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0))) {
              out.add(String.valueOf(san.get(1)));
            }
          }
        }
      } catch (Exception e) {
        // unparsable extension: no SANs
      }
      if (out.isEmpty()) {
        String dn = leaf().getSubjectX500Principal().getName();
        for (String part : dn.split(",")) {
          if (part.trim().startsWith("CN=")) {
            out.add(part.trim().substring(3));
          }
        }
      }
      return out;
    }
  }

  /** Thrown internally for an invalid input; carries the condition message. */
  static final class InvalidException extends Exception {
    InvalidException(String message) {
      super(message);
    }
  }

  /** Decodes a base64 {@code data} entry of a Secret, or returns null. */
  static byte[] secretData(JsonNode secret, String key) {
    String b64 = Nodes.text(Nodes.obj(secret, "data"), key);
    if (b64 != null) {
      try {
        return Base64.getMimeDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        return new byte[0];
      }
    }
    String plain = Nodes.text(Nodes.obj(secret, "stringData"), key);
    return plain == null ? null : plain.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Parses all PEM certificates in a text; a text that is itself base64 of PEM (seen in ConfigMaps)
   * is decoded first.
   */
  static List<X509Certificate> parseCertificates(String pem) throws InvalidException {
    if (!pem.contains("-----BEGIN")) {
      try {
        String decoded =
            new String(Base64.getMimeDecoder().decode(pem.trim()), StandardCharsets.UTF_8);
        if (decoded.contains("-----BEGIN")) {
          return parsePem(decoded);
        }
      } catch (IllegalArgumentException e) {
        // not base64 either: reported below
      }
    }
    return parsePem(pem);
  }

  private static List<X509Certificate> parsePem(String pem) throws InvalidException {
    List<X509Certificate> out = new ArrayList<>();
    Matcher m = PEM.matcher(pem);
    while (m.find()) {
      if (!m.group(1).equals("CERTIFICATE")) {
        continue;
      }
      try {
        byte[] der = Base64.getMimeDecoder().decode(m.group(2).replaceAll("\\s", ""));
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
      } catch (Exception e) {
        throw new InvalidException("unable to decode pem data in certificate: " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new InvalidException("unable to decode pem data in certificate");
    }
    return out;
  }

  /**
   * The certificate and key of a {@code kubernetes.io/tls} Secret as an IR certificate named {@code
   * namespace/name}, or null when the Secret is missing, lacks either, or they do not form a pair
   * (Envoy refuses such a certificate, and with it the resource that uses it).
   */
  static io.eg4j.model.ir.TlsIr.CertificateIr certificate(JsonNode secret) {
    if (secret == null) {
      return null;
    }
    byte[] crt = secretData(secret, "tls.crt");
    byte[] key = secretData(secret, "tls.key");
    if (crt == null || key == null) {
      return null;
    }
    try {
      KeyPair pair = parseKeyPair(crt, key);
      return new io.eg4j.model.ir.TlsIr.CertificateIr(
          Nodes.namespace(secret) + "/" + Nodes.name(secret),
          pair.certPem(),
          pair.keyPem(),
          List.of());
    } catch (InvalidException e) {
      return null;
    }
  }

  /** Validates a certificate and key pair. */
  static KeyPair parseKeyPair(byte[] certBytes, byte[] keyBytes) throws InvalidException {
    String certPem = new String(certBytes, StandardCharsets.UTF_8);
    String keyPem = new String(keyBytes, StandardCharsets.UTF_8);
    List<X509Certificate> chain = parseCertificates(certPem);
    Matcher m = PEM.matcher(keyPem);
    if (!m.find()) {
      throw new InvalidException("unable to decode pem data in private key");
    }
    String type = m.group(1);
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2).replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new InvalidException("unable to decode pem data in private key");
    }
    PublicKey pub = chain.get(0).getPublicKey();
    byte[] pkcs8;
    switch (type) {
      case "PRIVATE KEY" -> pkcs8 = der;
      case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> pkcs8 = wrapPkcs8(pub.getEncoded(), der);
      default -> throw new InvalidException("unsupported private key type " + type);
    }
    PrivateKey key;
    try {
      key =
          KeyFactory.getInstance(pub.getAlgorithm())
              .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (Exception e) {
      throw new InvalidException("private key does not match the certificate's public key");
    }
    if (!matches(key, pub)) {
      throw new InvalidException("private key does not match the certificate's public key");
    }
    return new KeyPair(certPem, keyPem, chain, pub.getAlgorithm());
  }

  /** True when a certificate has expired or is not valid yet at {@code now}. */
  static boolean outOfValidity(X509Certificate cert, Instant now) {
    return now.isAfter(cert.getNotAfter().toInstant())
        || now.isBefore(cert.getNotBefore().toInstant());
  }

  private static boolean matches(PrivateKey key, PublicKey pub) {
    String alg =
        switch (pub.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (alg == null) {
      return true;
    }
    try {
      byte[] msg = "eg4j".getBytes(StandardCharsets.UTF_8);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(msg);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(msg);
      return v.verify(sig);
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * Wraps a PKCS#1 or SEC1 key in PKCS#8, taking the AlgorithmIdentifier (with the EC curve) from
   * the certificate's SubjectPublicKeyInfo.
   */
  private static byte[] wrapPkcs8(byte[] spki, byte[] key) throws InvalidException {
    try {
      // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT
      // STRING }
      int[] outer = header(spki, 0);
      int algStart = outer[1];
      int[] alg = header(spki, algStart);
      int algEnd = alg[1] + alg[2];
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(new byte[] {0x02, 0x01, 0x00});
      body.write(spki, algStart, algEnd - algStart);
      body.write(0x04);
      writeLength(body, key.length);
      body.write(key);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0x30);
      writeLength(out, body.size());
      body.writeTo(out);
      return out.toByteArray();
    } catch (Exception e) {
      throw new InvalidException("unable to parse private key");
    }
  }

  /** Returns {tag, contentStart, contentLength} of the DER element at {@code pos}. */
  private static int[] header(byte[] der, int pos) {
    int tag = der[pos] & 0xff;
    int len = der[pos + 1] & 0xff;
    int start = pos + 2;
    if (len > 0x80) {
      int n = len - 0x80;
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (der[pos + 2 + i] & 0xff);
      }
      start += n;
    }
    return new int[] {tag, start, len};
  }

  private static void writeLength(ByteArrayOutputStream out, int len) {
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len & 0xff);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write((len >> 8) & 0xff);
      out.write(len & 0xff);
    }
  }
}
