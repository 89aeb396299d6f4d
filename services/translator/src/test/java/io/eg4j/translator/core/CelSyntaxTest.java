package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** CEL's grammar: what parses and what does not, as the access-log {@code matches} need. */
class CelSyntaxTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "response.code >= 400",
        "request.headers['x-user-id'] == '1234'",
        "'GET' in [request.method, 'HEAD']",
        "!(response.code < 500) && connection.mtls",
        "-1 + 2 * 3 % 4 - -5",
        "a ? b : c ? d : e",
        "xds.route_name.startsWith('httproute/') || request.path.matches('^/api/.*$')",
        "has(request.headers.foo)",
        "[1, 2, 3].all(x, x > 0)",
        "[1, 2].map(x, x > 1, x * 2)",
        "{'a': 1, 'b': 2,}['a'] == 1u",
        "google.protobuf.Duration{seconds: 1}",
        ".pkg.name",
        "0x1F + 1.5e3 + .5 + 2e-2",
        "\"double \\\"quoted\\\" \\x41 \\u00e9 \\101\"",
        "r'raw \\d+' + b'bytes' + rb'x'",
        "'''triple\nline'''",
        "a // a comment\n && b",
      })
  void validExpressionsParse(String expr) {
    assertThat(CelSyntax.error(expr)).isNull();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ")++++",
        "",
        "response.code >=",
        "(a",
        "a b",
        "[1, 2",
        "{'a' 1}",
        "a ? b",
        "'unterminated",
        "'bad \\q escape'",
        "'new\nline'",
        "if == 1",
        "a.return",
        "has(a)",
        "has(a.b, c)",
        "[1].all(a.b, true)",
        "a.",
        "a $ b",
        "1 +* 2",
        "0x",
      })
  void invalidExpressionsDoNot(String expr) {
    assertThat(CelSyntax.error(expr)).isNotNull();
  }

  @org.junit.jupiter.api.Test
  void deepNestingIsRefusedNotAStackOverflow() {
    String deep = "(".repeat(100_000) + "1" + ")".repeat(100_000);
    assertThat(CelSyntax.error(deep)).contains("nested too deeply");
    String fine = "(".repeat(50) + "1" + ")".repeat(50);
    assertThat(CelSyntax.error(fine)).isNull();
  }
}
