package io.eg4j.model.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.eg4j.model.ir.TlsIr;
import io.eg4j.model.ir.security.ApiKeyAuthIr;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Secret values inside the IR are sealed one by one when, and only when, the writer holds the bus
 * key, deterministically, and read back only with it.
 */
class SecretValuesTest {
  private static final byte[] KEY = new byte[32];
  private static final byte[] OTHER_KEY = new byte[32];

  static {
    for (int i = 0; i < KEY.length; i++) {
      KEY[i] = (byte) (i * 5 + 3);
      OTHER_KEY[i] = (byte) (i * 11 + 1);
    }
  }

  private final SecretBox box = new SecretBox("k1", KEY);
  private static final String PEM =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
          + "-----END PRIVATE KEY-----\n";

  private static TlsIr.CertificateIr certificate(String key) {
    return new TlsIr.CertificateIr(
        "default/tls", "-----BEGIN CERTIFICATE-----\nMIIB\n", key, List.of("a.example"));
  }

  private static String text(byte[] json) {
    return new String(json, StandardCharsets.UTF_8);
  }

  @Test
  void aValueSealsToTheSameTextEveryTimeAndOpensBack() {
    String a = box.sealValue("s3cret-api-key");
    assertThat(a).startsWith("\u0000k1:").doesNotContain("s3cret");
    assertThat(box.sealValue("s3cret-api-key")).isEqualTo(a);
    assertThat(box.sealValue("s3cret-api-kez")).isNotEqualTo(a);
    assertThat(new SecretBox("k1", OTHER_KEY).sealValue("s3cret-api-key")).isNotEqualTo(a);
    assertThat(SecretBox.isSealedValue(a)).isTrue();
    assertThat(SecretBox.isSealedValue("s3cret-api-key")).isFalse();
    // A secret's own text that happens to start with U+0000 is not taken for a sealed value.
    assertThat(SecretBox.isSealedValue("\u0000binary")).isFalse();
    assertThat(SecretBox.isSealedValue("\u0000k1:not base64!")).isFalse();
    assertThat(SecretBox.isSealedValue("\u0000:QUJD")).isFalse();
    assertThat(box.openValue(a)).isEqualTo("s3cret-api-key");
    assertThat(box.openValue(box.sealValue(""))).isEmpty();
    assertThat(box.openValue(box.sealValue(PEM))).isEqualTo(PEM);
  }

  @Test
  void anAlteredOrForeignValueDoesNotOpen() {
    String a = box.sealValue("s3cret-api-key");
    char[] c = a.toCharArray();
    c[c.length - 3] = c[c.length - 3] == 'A' ? 'B' : 'A';
    assertThatThrownBy(() -> box.openValue(new String(c)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot decrypt value");
    assertThatThrownBy(() -> new SecretBox("k2", KEY).openValue(a))
        .hasMessageContaining("encrypted with key k1");
    assertThatThrownBy(() -> box.openValue("\u0000k1:***"))
        .hasMessageContaining("not a sealed value");
    assertThatThrownBy(() -> box.openValue("\u0000k1:QUJD"))
        .hasMessageContaining("cannot decrypt value");
  }

  @Test
  void onlyAWriterHoldingTheKeySealsAndOnlyAReaderHoldingItOpens() throws Exception {
    TlsIr.CertificateIr cert = certificate(PEM);
    byte[] plain = ContentHash.canonicalJson(cert);
    assertThat(text(plain)).contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7");
    // The hash of the content is the plain document's, as a tree of the value gives it.
    assertThat(ContentHash.sha256(plain)).isEqualTo(ContentHash.of(Json.MAPPER.valueToTree(cert)));

    byte[] sealed = ContentHash.canonicalJson(cert, SecretBox.class, box);
    assertThat(text(sealed))
        .doesNotContain("PRIVATE KEY")
        .doesNotContain("MIIEvQ")
        .contains("BEGIN CERTIFICATE")
        .contains("a.example");
    assertThat(ContentHash.canonicalJson(cert, SecretBox.class, box)).isEqualTo(sealed);

    assertThat(
            Json.MAPPER
                .readerFor(TlsIr.CertificateIr.class)
                .withAttribute(SecretBox.class, box)
                .<TlsIr.CertificateIr>readValue(sealed))
        .isEqualTo(cert);
    // A plain document reads the same with or without the key.
    assertThat(
            Json.MAPPER
                .readerFor(TlsIr.CertificateIr.class)
                .withAttribute(SecretBox.class, box)
                .<TlsIr.CertificateIr>readValue(plain))
        .isEqualTo(cert);
    assertThat(Json.MAPPER.readValue(plain, TlsIr.CertificateIr.class)).isEqualTo(cert);
    assertThatThrownBy(() -> Json.MAPPER.readValue(sealed, TlsIr.CertificateIr.class))
        .isInstanceOf(MismatchedInputException.class)
        .hasMessageContaining("no bus key");
    assertThatThrownBy(
            () ->
                Json.MAPPER
                    .readerFor(TlsIr.CertificateIr.class)
                    .withAttribute(SecretBox.class, new SecretBox("k2", OTHER_KEY))
                    .readValue(sealed))
        .isInstanceOf(MismatchedInputException.class)
        .hasMessageContaining("encrypted with key k1");
  }

  @Test
  void aMapsValuesAreSealedAndItsKeysAreNot() throws Exception {
    ApiKeyAuthIr auth =
        Json.MAPPER.readValue(
            "{\"credentials\":{\"client-a\":\"key-aaaaaaaaaaaa\",\"client-b\":\"key-bbbbbbbbbbbb\"}}",
            ApiKeyAuthIr.class);
    byte[] sealed = ContentHash.canonicalJson(auth, SecretBox.class, box);
    assertThat(text(sealed))
        .contains("client-a", "client-b")
        .doesNotContain("key-aaaa", "key-bbbb");
    assertThat(
            Json.MAPPER
                .readerFor(ApiKeyAuthIr.class)
                .withAttribute(SecretBox.class, box)
                .<ApiKeyAuthIr>readValue(sealed))
        .isEqualTo(auth);
    assertThat(auth.credentials())
        .isEqualTo(Map.of("client-a", "key-aaaaaaaaaaaa", "client-b", "key-bbbbbbbbbbbb"));
  }

  @Test
  void aSecretThatStartsWithNulRoundTripsWithAndWithoutTheKey() throws Exception {
    TlsIr.CertificateIr cert = certificate("\u0000binary key");
    byte[] plain = ContentHash.canonicalJson(cert);
    assertThat(Json.MAPPER.readValue(plain, TlsIr.CertificateIr.class)).isEqualTo(cert);
    byte[] sealed = ContentHash.canonicalJson(cert, SecretBox.class, box);
    assertThat(
            Json.MAPPER
                .readerFor(TlsIr.CertificateIr.class)
                .withAttribute(SecretBox.class, box)
                .<TlsIr.CertificateIr>readValue(sealed))
        .isEqualTo(cert);
  }

  @Test
  void theWriterCountsTheSecretValuesItWrites() {
    SecretValues.Seen none = new SecretValues.Seen();
    ContentHash.canonicalJson(certificate(null), SecretValues.Seen.class, none);
    assertThat(none.count()).isZero();
    SecretValues.Seen one = new SecretValues.Seen();
    byte[] plain = ContentHash.canonicalJson(certificate(PEM), SecretValues.Seen.class, one);
    assertThat(one.count()).isEqualTo(1);
    assertThat(plain).isEqualTo(ContentHash.canonicalJson(certificate(PEM)));
  }
}
