package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written format checks accept exactly what the CRDs' patterns accept. */
class SyntaxTest {
  private static final Pattern HOSTNAME =
      Pattern.compile(
          "(\\*\\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*");
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+\\-.^_`|~]{1,256}");
  private static final Pattern PATH_CHARS =
      Pattern.compile("(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+");

  @Test
  void examples() {
    assertThat(Syntax.isHostname("example.com")).isTrue();
    assertThat(Syntax.isHostname("*.Example.com")).isTrue();
    assertThat(Syntax.isHostname("a")).isTrue();
    assertThat(Syntax.isHostname("*.")).isFalse();
    assertThat(Syntax.isHostname("*")).isFalse();
    assertThat(Syntax.isHostname("a..b")).isFalse();
    assertThat(Syntax.isHostname("a.")).isFalse();
    assertThat(Syntax.isHostname("-a.b")).isFalse();
    assertThat(Syntax.isHostname("a-.b")).isFalse();
    assertThat(Syntax.isHostname("a.*.b")).isFalse();
    assertThat(Syntax.isHeaderName("X-Foo")).isTrue();
    assertThat(Syntax.isHeaderName("")).isFalse();
    assertThat(Syntax.isHeaderName("a b")).isFalse();
    assertThat(Syntax.isHeaderName("x".repeat(256))).isTrue();
    assertThat(Syntax.isHeaderName("x".repeat(257))).isFalse();
    assertThat(Syntax.isPathChars("/a%2Fb")).isTrue();
    assertThat(Syntax.isPathChars("/a%2")).isFalse();
    assertThat(Syntax.isPathChars("/a%zz")).isFalse();
    assertThat(Syntax.isPathChars("/a b")).isFalse();
    assertThat(Syntax.isPathChars("")).isFalse();
  }

  /**
   * Random strings over an alphabet of the characters that matter, checked against the patterns.
   */
  @Test
  void agreesWithThePatternsOnRandomStrings() {
    String alphabet = "aZ09-.*%/_~:@ #fF!?\u00e9\u0130";
    Random random = new Random(20261207);
    int accepted = 0;
    for (int i = 0; i < 200_000; i++) {
      int length = random.nextInt(i % 3 == 0 ? 300 : 9);
      StringBuilder sb = new StringBuilder(length);
      for (int j = 0; j < length; j++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String s = sb.toString();
      assertThat(Syntax.isHostname(s))
          .as("hostname %s", s)
          .isEqualTo(HOSTNAME.matcher(s).matches());
      assertThat(Syntax.isHeaderName(s))
          .as("header %s", s)
          .isEqualTo(HEADER_NAME.matcher(s).matches());
      assertThat(Syntax.isPathChars(s)).as("path %s", s).isEqualTo(PATH_CHARS.matcher(s).matches());
      if (HOSTNAME.matcher(s).matches() || PATH_CHARS.matcher(s).matches()) {
        accepted++;
      }
    }
    assertThat(accepted).as("the sample must reach accepted strings too").isGreaterThan(1000);
  }
}
