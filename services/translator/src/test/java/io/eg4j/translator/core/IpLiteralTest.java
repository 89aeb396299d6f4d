package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IpLiteralTest {
  // inet_pton's dotted quad: four decimal octets 0-255 without leading zeros.
  private static final Pattern DOTTED_QUAD =
      Pattern.compile(
          "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
              + "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

  @Test
  void dottedQuads() {
    assertThat(IpLiteral.isV4("127.0.0.1")).isTrue();
    assertThat(IpLiteral.isV4("255.255.255.255")).isTrue();
    assertThat(IpLiteral.isV4("256.1.1.1")).isFalse();
    assertThat(IpLiteral.isV4("01.1.1.1")).isFalse();
    assertThat(IpLiteral.isV4("1.1.1")).isFalse();
    assertThat(IpLiteral.isV4("1.1.1.1.")).isFalse();
    assertThat(IpLiteral.isV4("1.1.1.1.1")).isFalse();
    assertThat(IpLiteral.isV4("1..1.1")).isFalse();
    assertThat(IpLiteral.isV4("1.1.1.1000")).isFalse();
    assertThat(IpLiteral.isV4("example.com")).isFalse();
    assertThat(IpLiteral.is("::1")).isTrue();
    assertThat(IpLiteral.is("::ffff:10.0.0.1")).isTrue();
    assertThat(IpLiteral.is("::ffff:10.0.0")).isFalse();
  }

  @Test
  void agreesWithTheDottedQuadGrammarOnRandomStrings() {
    Random random = new Random(7);
    String alphabet = "0123456789.0125.a";
    for (int n = 0; n < 200_000; n++) {
      StringBuilder b = new StringBuilder();
      int len = random.nextInt(18);
      for (int i = 0; i < len; i++) {
        b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String s = b.toString();
      assertThat(IpLiteral.isV4(s)).as(s).isEqualTo(DOTTED_QUAD.matcher(s).matches());
    }
  }
}
