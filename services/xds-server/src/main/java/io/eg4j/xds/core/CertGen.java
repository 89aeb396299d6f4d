package io.eg4j.xds.core;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Generates the certificates for mTLS between Envoy and the xds-server: a CA, a server certificate
 * (SANs for localhost, 127.0.0.1 and the in-cluster Service names) and a client certificate for
 * Envoy, all as PEM. ECDSA P-256 keys, which both Envoy (BoringSSL) and grpc-java accept.
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
      X500Name caName = new X500Name("CN=eg4j xDS CA,O=eg4j");
      Instant now = Instant.now().minus(Duration.ofMinutes(5));
      Instant until = now.plus(validity);
      X509v3CertificateBuilder ca =
          new JcaX509v3CertificateBuilder(
              caName, serial(), Date.from(now), Date.from(until), caName, caKey.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      ca.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      ca.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKey.getPublic()));
      X509Certificate caCert = sign(ca, caKey);

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
              KeyPurposeId.id_kp_serverAuth,
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
              KeyPurposeId.id_kp_clientAuth,
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
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
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
      X500Name caName = new X500Name("CN=eg4j test CA");
      Instant now = Instant.now().minus(Duration.ofMinutes(5));
      Instant until = now.plus(validity);
      X509v3CertificateBuilder ca =
          new JcaX509v3CertificateBuilder(
              caName, serial(), Date.from(now), Date.from(until), caName, caKey.getPublic());
      ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      ca.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate caCert = sign(ca, caKey);
      KeyPair key = keyPair();
      X509Certificate cert =
          leaf(
              "CN=" + names.get(0),
              names,
              KeyPurposeId.id_kp_serverAuth,
              key,
              caCert,
              caKey,
              now,
              until);
      return new String[] {pem(cert), pem(key.getPrivate()), pem(caCert)};
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot generate certificate", e);
    }
  }

  private static X509Certificate leaf(
      String subject,
      List<String> names,
      KeyPurposeId purpose,
      KeyPair key,
      X509Certificate caCert,
      KeyPair caKey,
      Instant from,
      Instant until)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            caCert,
            serial(),
            Date.from(from),
            Date.from(until),
            new X500Name(subject),
            key.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    b.addExtension(
        Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
    List<GeneralName> sans = new ArrayList<>();
    for (String n : names) {
      sans.add(
          isIp(n)
              ? new GeneralName(GeneralName.iPAddress, n)
              : new GeneralName(GeneralName.dNSName, n));
    }
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(sans.toArray(new GeneralName[0])));
    return sign(b, caKey);
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

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(64, RANDOM).abs().add(BigInteger.ONE);
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      if (o instanceof java.security.PrivateKey key) {
        // PKCS#8 ("PRIVATE KEY"): the one form both netty (gRPC server) and Envoy read.
        w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
      } else {
        w.writeObject(o);
      }
    }
    return sw.toString();
  }
}
