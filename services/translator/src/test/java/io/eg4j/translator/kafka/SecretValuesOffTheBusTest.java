package io.eg4j.translator.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.translator.core.TranslatorInputs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The xDS IR is compressed before it is sealed only with its Secret material sealed value by value
 * (SecretBox: a secret compressed together with text a route author writes would show in the
 * record's size). This holds for a field only if it is marked {@code @SecretMaterial}; so, on every
 * golden input and every case of the shared corpus, every piece of every Secret's data that the
 * plain IR holds must be gone from the document that is compressed. A field that carries Secret
 * data and is not marked fails here.
 */
class SecretValuesOffTheBusTest {
  private static final SecretBox BOX = new SecretBox("k1", new byte[32]);

  /** Pieces of Secret data found in a plain IR, over all inputs: the check must see some. */
  private static final AtomicInteger FOUND = new AtomicInteger();

  static Stream<Path> inputs() throws IOException {
    return TranslatorInputs.goldenAndCorpus();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inputs")
  void noSecretDataIsLeftInTheCompressedDocument(Path input) throws IOException {
    TranslatorInputs.Input in = TranslatorInputs.read(input);
    if (in == null) {
      return; // an input the reader refuses never reaches the translator
    }
    Set<String> secrets = secretPieces(in.resources());
    if (secrets.isEmpty()) {
      return;
    }
    TranslateResult result =
        new Translator(in.config()).translate(ResourceSnapshot.of(in.resources()));
    XdsIrJson writer = new XdsIrJson();
    for (Map.Entry<String, XdsIr> e : result.xdsIr().entrySet()) {
      // The document the publisher compresses, written as the publisher writes it.
      byte[] plainBytes = writer.write(e.getKey(), e.getValue());
      String plain = new String(plainBytes, StandardCharsets.UTF_8);
      String sealed =
          new String(
              writer.compressible(e.getKey(), e.getValue(), plainBytes, BOX),
              StandardCharsets.UTF_8);
      for (String piece : secrets) {
        String json = Json.MAPPER.writeValueAsString(piece);
        json = json.substring(1, json.length() - 1);
        if (plain.contains(json)) {
          FOUND.incrementAndGet();
          assertThat(sealed)
              .as("IR %s of %s holds Secret data outside @SecretMaterial fields", e.getKey(), input)
              .doesNotContain(json);
        }
      }
      // What is sealed opens back to the same IR.
      assertThat(
              Json.MAPPER
                  .readerFor(XdsIr.class)
                  .withAttribute(SecretBox.class, BOX)
                  .<XdsIr>readValue(sealed.getBytes(StandardCharsets.UTF_8)))
          .isEqualTo(e.getValue());
    }
  }

  @AfterAll
  static void theCheckSawSecretDataInThePlainIr() {
    // Goldens alone hold listener keys, basic auth, API keys, OIDC secrets and credentials.
    assertThat(FOUND.get()).isGreaterThan(20);
  }

  /**
   * Every piece of every Secret's data: each value, decoded, as a whole (of 4 characters or more),
   * and, of 12 characters or more, line by line and split at ':' (htpasswd, Docker config), and its
   * base64 text. Certificates and CRLs are public and left out.
   */
  static Set<String> secretPieces(List<ObjectNode> resources) {
    Set<String> out = new LinkedHashSet<>();
    for (ObjectNode r : resources) {
      if (!"Secret".equals(r.path("kind").asText())) {
        continue;
      }
      for (String field : List.of("data", "stringData")) {
        JsonNode data = r.path(field);
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> kv = it.next();
          String text = kv.getValue().asText();
          String value = text;
          if ("data".equals(field)) {
            try {
              value = new String(Base64.getDecoder().decode(text.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notBase64) {
              continue;
            }
            add(out, text.trim());
          }
          if (isPublic(value)) {
            out.remove(text.trim());
            continue;
          }
          if (value.trim().length() >= 4) {
            out.add(value.trim());
          }
          for (String line : value.split("\n")) {
            if (line.startsWith("-----")) {
              continue;
            }
            add(out, line.trim());
            for (String part : line.split(":")) {
              add(out, part.trim());
            }
          }
        }
      }
    }
    // A piece that the other resources also hold (a namespace's name, say) is not the Secret's.
    StringBuilder others = new StringBuilder();
    for (ObjectNode r : resources) {
      if (!"Secret".equals(r.path("kind").asText())) {
        others.append(r).append('\n');
      }
    }
    out.removeIf(piece -> others.indexOf(piece) >= 0);
    return out;
  }

  private static boolean isPublic(String value) {
    return (value.contains("-----BEGIN CERTIFICATE-----")
            || value.contains("-----BEGIN X509 CRL-----"))
        && !value.contains("PRIVATE KEY");
  }

  private static void add(Set<String> out, String piece) {
    if (piece.length() >= 12) {
      out.add(piece);
    }
  }
}
