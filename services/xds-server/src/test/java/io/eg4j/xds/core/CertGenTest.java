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
  void writesPemFilesWithPrivateKeysOwnerOnly() throws Exception {
    List<Path> files = CertGen.generate(List.of(), Duration.ofDays(1)).writeTo(dir.resolve("out"));
    assertThat(files).hasSize(6);
    assertThat(Files.getPosixFilePermissions(dir.resolve("out").resolve(CertGen.CLIENT_KEY)))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }
}
