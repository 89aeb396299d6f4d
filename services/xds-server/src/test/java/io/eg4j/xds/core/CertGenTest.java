package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertGenTest {
  @TempDir Path dir;

  static X509Certificate cert(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void serverAndClientCertificatesAreSignedByTheCaWithTheRightNamesAndUses() throws Exception {
    CertGen.Bundle b = CertGen.generate(List.of("xds.example.internal"), Duration.ofDays(2));
    X509Certificate ca = cert(b.get(CertGen.CA_CERT));
    X509Certificate server = cert(b.get(CertGen.SERVER_CERT));
    X509Certificate client = cert(b.get(CertGen.CLIENT_CERT));
    server.verify(ca.getPublicKey());
    client.verify(ca.getPublicKey());
    assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(server.getSubjectAlternativeNames().toString())
        .contains(
            "localhost", "127.0.0.1", "eg4j-xds-server.eg4j-system.svc", "xds.example.internal");
    assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(b.get(CertGen.SERVER_KEY)).startsWith("-----BEGIN PRIVATE KEY-----");
  }

  @Test
  void certificatesPassPkixValidationAndCarryTheExtensionsEnvoyChecks() throws Exception {
    CertGen.Bundle b =
        CertGen.generate(List.of("10.1.2.3", "xds.example.internal"), Duration.ofDays(3));
    X509Certificate ca = cert(b.get(CertGen.CA_CERT));
    X509Certificate server = cert(b.get(CertGen.SERVER_CERT));
    X509Certificate client = cert(b.get(CertGen.CLIENT_CERT));

    // The JDK's PKIX validator builds and checks the chain: signature, issuer name, key usage of
    // the CA, basic constraints, validity, and that no critical extension is unknown.
    java.security.cert.PKIXParameters params =
        new java.security.cert.PKIXParameters(
            java.util.Set.of(new java.security.cert.TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    for (X509Certificate leaf : List.of(server, client)) {
      java.security.cert.CertPathValidator.getInstance("PKIX")
          .validate(cf.generateCertPath(List.of(leaf)), params);
      assertThat(leaf.getVersion()).isEqualTo(3);
      assertThat(leaf.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
      assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
      assertThat(leaf.getSigAlgName()).isEqualTo("SHA256withECDSA");
      // digitalSignature and keyAgreement only.
      assertThat(leaf.getKeyUsage()).startsWith(true, false, false, false, true, false, false);
      assertThat(leaf.getCriticalExtensionOIDs())
          .containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
      // The authority key identifier ([0] in a SEQUENCE) names the CA's subject key identifier
      // (an OCTET STRING): the same 20 bytes, a SHA-1 of the CA's public key bits.
      byte[] aki = octets(leaf.getExtensionValue("2.5.29.35"));
      byte[] ski = octets(ca.getExtensionValue("2.5.29.14"));
      assertThat(aki).hasSize(24).startsWith(0x30, 22, 0x80, 20);
      assertThat(ski).hasSize(22).startsWith(0x04, 20);
      assertThat(java.util.Arrays.copyOfRange(aki, 4, 24))
          .isEqualTo(java.util.Arrays.copyOfRange(ski, 2, 22))
          .isEqualTo(p256KeyId(ca.getPublicKey()));
    }
    assertThat(ca.getBasicConstraints()).isZero();
    assertThat(ca.getKeyUsage()).startsWith(false, false, false, false, false, true, true);
    assertThat(ca.getSubjectX500Principal()).isEqualTo(ca.getIssuerX500Principal());
    ca.verify(ca.getPublicKey());

    java.util.Map<String, Integer> sans = new java.util.HashMap<>();
    for (List<?> san : server.getSubjectAlternativeNames()) {
      sans.put((String) san.get(1), (Integer) san.get(0));
    }
    // 2 is dNSName, 7 is iPAddress.
    assertThat(sans)
        .containsEntry("localhost", 2)
        .containsEntry("xds.example.internal", 2)
        .containsEntry("127.0.0.1", 7)
        .containsEntry("10.1.2.3", 7);
    assertThat(sans.entrySet().stream().filter(e -> e.getValue() == 7).map(e -> e.getKey()))
        .anyMatch(ip -> ip.startsWith("0:0:0:0:0:0:0:1"));
    assertThat(server.getNotAfter().getTime() - server.getNotBefore().getTime())
        .isEqualTo(Duration.ofDays(3).toMillis());

    // The keys are PKCS#8 that the JDK reads back and that match their certificates.
    java.security.PrivateKey key =
        java.security.KeyFactory.getInstance("EC")
            .generatePrivate(
                new java.security.spec.PKCS8EncodedKeySpec(pemBody(b.get(CertGen.SERVER_KEY))));
    java.security.Signature sig = java.security.Signature.getInstance("SHA256withECDSA");
    sig.initSign(key);
    sig.update(new byte[] {1, 2, 3});
    byte[] signed = sig.sign();
    sig.initVerify(server.getPublicKey());
    sig.update(new byte[] {1, 2, 3});
    assertThat(sig.verify(signed)).isTrue();
  }

  @Test
  void validityPast2049IsAGeneralizedTime() throws Exception {
    String[] chain = CertGen.serverCertificate(List.of("far.example"), Duration.ofDays(365 * 40));
    X509Certificate leaf = cert(chain[0]);
    X509Certificate ca = cert(chain[2]);
    leaf.verify(ca.getPublicKey());
    assertThat(leaf.getNotAfter().toInstant().atZone(java.time.ZoneOffset.UTC).getYear())
        .isGreaterThanOrEqualTo(2060);
    assertThat(leaf.getSubjectAlternativeNames().toString()).contains("far.example");
  }

  /**
   * RFC 5280's key identifier for a P-256 key, found another way than CertGen's: the key bits are
   * the last 65 bytes of its SubjectPublicKeyInfo (0x04, then X and Y).
   */
  private static byte[] p256KeyId(java.security.PublicKey key) throws Exception {
    byte[] spki = key.getEncoded();
    assertThat(spki[spki.length - 65]).isEqualTo((byte) 0x04);
    return java.security.MessageDigest.getInstance("SHA-1")
        .digest(java.util.Arrays.copyOfRange(spki, spki.length - 65, spki.length));
  }

  /** The contents of an extension value as the JDK returns it (an OCTET STRING around the DER). */
  private static byte[] octets(byte[] extensionValue) {
    return java.util.Arrays.copyOfRange(extensionValue, 2, extensionValue.length);
  }

  private static byte[] pemBody(String pem) {
    return java.util.Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
  }

  @Test
  void writesPemFilesWithPrivateKeysOwnerOnly() throws Exception {
    List<Path> files = CertGen.generate(List.of(), Duration.ofDays(1)).writeTo(dir.resolve("out"));
    assertThat(files).hasSize(6);
    assertThat(Files.getPosixFilePermissions(dir.resolve("out").resolve(CertGen.CLIENT_KEY)))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }
}
