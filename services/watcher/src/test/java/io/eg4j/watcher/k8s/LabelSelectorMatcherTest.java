package io.eg4j.watcher.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The string form of label selectors, as kubectl takes them. */
class LabelSelectorMatcherTest {
  static Stream<Arguments> cases() {
    Map<String, String> labels = Map.of("env", "prod", "team", "a");
    return Stream.of(
        Arguments.of("env=prod", labels, true),
        Arguments.of("env==prod", labels, true),
        Arguments.of("env=dev", labels, false),
        Arguments.of("env!=dev", labels, true),
        Arguments.of("team in (a, b)", labels, true),
        Arguments.of("team notin (a)", labels, false),
        Arguments.of("missing notin (a)", labels, true),
        Arguments.of("env,team", labels, true),
        Arguments.of("!legacy", labels, true),
        Arguments.of("!env", labels, false),
        Arguments.of("env=prod,team in (b,c)", labels, false),
        Arguments.of("", labels, true));
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("cases")
  void matches(String selector, Map<String, String> labels, boolean expected) {
    assertThat(LabelSelectorMatcher.parse(selector).test(labels)).isEqualTo(expected);
  }

  @Test
  void rejectsMalformedSelectors() {
    assertThatThrownBy(() -> LabelSelectorMatcher.parse("team in a,b"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
