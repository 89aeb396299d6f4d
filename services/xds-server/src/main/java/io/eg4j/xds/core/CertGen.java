package io.eg4j.xds.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.security.auth.x500.X500Principal;

/**
 * Generates the certificates for mTLS between Envoy and the xds-server: a CA, a server certificate
 * (SANs for localhost, 127.0.0.1 and the in-cluster Service names) and a client certificate for
 * Envoy, all as PEM. ECDSA P-256 keys, which both Envoy (BoringSSL) and grpc-java accept.
 *
 * <p>The certificates are encoded here ({@link Der}) and signed through the JDK's {@link
 * Signature}: no cryptography library is loaded for a few certificates at start-up.
 */
public final class CertGen {
  /** The CA certificate file name. */
  public static final String CA_CERT = "ca.crt";

  /** The CA key file name. */
  public static final String CA_KEY = "ca.key";

  /** The xds-server certificate file name. */
  public static final String SERVER_CERT = "server.crt";

  /** The xds-server key file name. */
  public static final String SERVER_KEY = "server.key";

  /** The Envoy client certificate file name. */
  public static final String CLIENT_CERT = "client.crt";

  /** The Envoy client key file name. */
  public static final String CLIENT_KEY = "client.key";

  /** The DNS names the server certificate carries besides the extra ones asked for. */
  public static final List<String> DEFAULT_SERVER_NAMES =
      List.of(
          "localhost",
          "eg4j-xds-server",
          "eg4j-xds-server.eg4j-system",
          "eg4j-xds-server.eg4j-system.svc",
          "eg4j-xds-server.eg4j-system.svc.cluster.local");

  private static final SecureRandom RANDOM = new SecureRandom();

  private CertGen() {}

  /**
   * A generated set of certificates and keys, PEM text by file name.
   *
   * @param files file name to PEM content
   */
  public record Bundle(Map<String, String> files) {
    public Bundle {
      files = java.util.Collections.unmodifiableMap(new TreeMap<>(files));
    }

    /** The PEM content of one file. */
    public String get(String name) {
      return files.get(name);
    }

    /** Writes every file into {@code dir} (created if needed); private keys are owner-only. */
    public List<Path> writeTo(Path dir) throws IOException {
      Files.createDirectories(dir);
      List<Path> written = new ArrayList<>();
      for (Map.Entry<String, String> e : files.entrySet()) {
        Path p = dir.resolve(e.getKey());
        Files.writeString(p, e.getValue());
        if (e.getKey().endsWith(".key")) {
          try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
          } catch (UnsupportedOperationException ignored) {
            // Not a POSIX file system; the default permissions stand.
          }
        }
        written.add(p);
      }
      return written;
    }
  }

  /**
   * Generates a CA, a server certificate and a client certificate.
   *
   * @param extraServerNames DNS names or IP addresses added to the server certificate's SANs
   * @param validity how long the certificates are valid
   */
  public static Bundle generate(List<String> extraServerNames, Duration validity) {
    try {
      KeyPair caKey = keyPair();
      Instant now = Instant.now().minus(Duration.ofMinutes(5));
      Instant until = now.plus(validity);
      X509Certificate caCert = ca("CN=eg4j xDS CA,O=eg4j", caKey, now, until);

      List<String> serverNames = new ArrayList<>(DEFAULT_SERVER_NAMES);
      serverNames.add("127.0.0.1");
      serverNames.add("::1");
      for (String n : extraServerNames) {
        if (!serverNames.contains(n)) {
          serverNames.add(n);
        }
      }
      KeyPair serverKey = keyPair();
      X509Certificate serverCert =
          leaf(
              "CN=eg4j-xds-server,O=eg4j",
              serverNames,
              SERVER_AUTH,
              serverKey,
              caCert,
              caKey,
              now,
              until);
      KeyPair clientKey = keyPair();
      X509Certificate clientCert =
          leaf(
              "CN=eg4j-envoy,O=eg4j",
              List.of("eg4j-envoy"),
              CLIENT_AUTH,
              clientKey,
              caCert,
              caKey,
              now,
              until);
      Map<String, String> files = new TreeMap<>();
      files.put(CA_CERT, pem(caCert));
      files.put(CA_KEY, pem(caKey.getPrivate()));
      files.put(SERVER_CERT, pem(serverCert));
      files.put(SERVER_KEY, pem(serverKey.getPrivate()));
      files.put(CLIENT_CERT, pem(clientCert));
      files.put(CLIENT_KEY, pem(clientKey.getPrivate()));
      return new Bundle(files);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate certificates", e);
    }
  }

  /**
   * A self-signed certificate for {@code names} signed by a fresh CA, as {@code [chain PEM, key
   * PEM, ca PEM]}: a convenience for tests that need a server certificate for some host names.
   */
  public static String[] serverCertificate(List<String> names, Duration validity) {
    try {
      KeyPair caKey = keyPair();
      Instant now = Instant.now().minus(Duration.ofMinutes(5));
      Instant until = now.plus(validity);
      X509Certificate caCert = ca("CN=eg4j test CA", caKey, now, until);
      KeyPair key = keyPair();
      X509Certificate cert =
          leaf("CN=" + names.get(0), names, SERVER_AUTH, key, caCert, caKey, now, until);
      return new String[] {pem(cert), pem(key.getPrivate()), pem(caCert)};
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate certificate", e);
    }
  }

  // Object identifiers (RFC 5280 and RFC 5758).
  private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
  private static final String BASIC_CONSTRAINTS = "2.5.29.19";
  private static final String KEY_USAGE = "2.5.29.15";
  private static final String EXTENDED_KEY_USAGE = "2.5.29.37";
  private static final String SUBJECT_KEY_ID = "2.5.29.14";
  private static final String AUTHORITY_KEY_ID = "2.5.29.35";
  private static final String SUBJECT_ALT_NAME = "2.5.29.17";
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  // KeyUsage bits (RFC 5280, 4.2.1.3).
  private static final int DIGITAL_SIGNATURE = 0;
  private static final int KEY_AGREEMENT = 4;
  private static final int KEY_CERT_SIGN = 5;
  private static final int CRL_SIGN = 6;

  /** A self-signed CA certificate that may sign end-entity certificates only (path length 0). */
  private static X509Certificate ca(String name, KeyPair key, Instant from, Instant until)
      throws GeneralSecurityException {
    byte[] dn = new X500Principal(name).getEncoded();
    byte[] extensions =
        Der.sequence(
            extension(BASIC_CONSTRAINTS, true, Der.sequence(Der.bool(true), Der.integer(0))),
            extension(KEY_USAGE, true, Der.namedBits(KEY_CERT_SIGN, CRL_SIGN)),
            extension(SUBJECT_KEY_ID, false, Der.octetString(keyId(key.getPublic()))));
    return sign(dn, dn, key.getPublic(), from, until, extensions, key);
  }

  private static X509Certificate leaf(
      String subject,
      List<String> names,
      String purpose,
      KeyPair key,
      X509Certificate caCert,
      KeyPair caKey,
      Instant from,
      Instant until)
      throws GeneralSecurityException {
    List<byte[]> sans = new ArrayList<>();
    for (String n : names) {
      sans.add(
          isIp(n)
              ? Der.implicitPrimitive(7, ipBytes(n))
              : Der.implicitPrimitive(2, n.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }
    byte[] extensions =
        Der.sequence(
            // cA defaults to FALSE, and DER leaves defaults out: an empty sequence.
            extension(BASIC_CONSTRAINTS, true, Der.sequence()),
            extension(KEY_USAGE, true, Der.namedBits(DIGITAL_SIGNATURE, KEY_AGREEMENT)),
            extension(EXTENDED_KEY_USAGE, false, Der.sequence(Der.oid(purpose))),
            extension(
                AUTHORITY_KEY_ID,
                false,
                Der.sequence(Der.implicitPrimitive(0, keyId(caCert.getPublicKey())))),
            extension(SUBJECT_ALT_NAME, false, Der.sequence(sans.toArray(new byte[0][]))));
    return sign(
        caCert.getSubjectX500Principal().getEncoded(),
        new X500Principal(subject).getEncoded(),
        key.getPublic(),
        from,
        until,
        extensions,
        caKey);
  }

  /** One Extension: its OID, the critical flag when set, and the value's DER in an OCTET STRING. */
  private static byte[] extension(String oid, boolean critical, byte[] value) {
    return critical
        ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
        : Der.sequence(Der.oid(oid), Der.octetString(value));
  }

  /**
   * The key identifier of RFC 5280 4.2.1.2, method 1: SHA-1 of the subjectPublicKey bits (the
   * SubjectPublicKeyInfo's BIT STRING contents, without its unused-bits byte).
   */
  static byte[] keyId(PublicKey key) throws GeneralSecurityException {
    byte[] spki = key.getEncoded();
    // SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip to the bit
    // string.
    int[] outer = header(spki, 0);
    int algorithm = outer[0];
    int[] alg = header(spki, algorithm);
    int bits = alg[0] + alg[1];
    int[] bitString = header(spki, bits);
    byte[] keyBits =
        java.util.Arrays.copyOfRange(spki, bitString[0] + 1, bitString[0] + bitString[1]);
    return MessageDigest.getInstance("SHA-1").digest(keyBits);
  }

  /** The offset of an element's contents and their length, for the element at {@code at}. */
  private static int[] header(byte[] der, int at) {
    int len = der[at + 1] & 0xff;
    int start = at + 2;
    if (len >= 0x80) {
      int n = len & 0x7f;
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (der[start + i] & 0xff);
      }
      start += n;
    }
    return new int[] {start, len};
  }

  /**
   * Builds the TBSCertificate, signs it with SHA256withECDSA and parses the result with the JDK.
   */
  private static X509Certificate sign(
      byte[] issuer,
      byte[] subject,
      PublicKey subjectKey,
      Instant from,
      Instant until,
      byte[] extensions,
      KeyPair signer)
      throws GeneralSecurityException {
    byte[] algorithm = Der.sequence(Der.oid(ECDSA_WITH_SHA256));
    byte[] tbs =
        Der.sequence(
            Der.explicit(0, Der.integer(2)), // version v3
            Der.integer(serial()),
            algorithm,
            issuer,
            Der.sequence(Der.time(from), Der.time(until)),
            subject,
            subjectKey.getEncoded(),
            Der.explicit(3, extensions));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(signer.getPrivate(), RANDOM);
    s.update(tbs);
    byte[] cert = Der.sequence(tbs, algorithm, Der.bitString(s.sign()));
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(cert));
  }

  private static boolean isIp(String n) {
    if (n.contains(":")) {
      return true;
    }
    if (!n.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return false;
    }
    try {
      InetAddress.getByName(n);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The address bytes of an IP literal (4 or 16); a literal needs no name lookup. */
  private static byte[] ipBytes(String literal) throws GeneralSecurityException {
    try {
      return InetAddress.getByName(literal).getAddress();
    } catch (IOException e) {
      throw new GeneralSecurityException("not an IP address: " + literal, e);
    }
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(64, RANDOM).abs().add(BigInteger.ONE);
  }

  /**
   * PEM text: a certificate, or a private key as PKCS#8 ("PRIVATE KEY", the one form both netty's
   * gRPC server and Envoy read), in Base64 lines of 64 characters.
   */
  private static String pem(Object o) throws GeneralSecurityException {
    String label;
    byte[] der;
    if (o instanceof java.security.PrivateKey key) {
      label = "PRIVATE KEY";
      der = key.getEncoded();
    } else {
      label = "CERTIFICATE";
      der = ((X509Certificate) o).getEncoded();
    }
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }
}
