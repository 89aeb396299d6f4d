package io.eg4j.xds.core.filters;

import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;

/**
 * Origins as policies write them ({@code https://*.example.com}) turned into Envoy string matchers:
 * exact when there is no wildcard, else an RE2 regex where {@code *} matches anything and every
 * other character is literal.
 */
final class OriginMatchers {
  private OriginMatchers() {}

  static StringMatcher of(String origin) {
    if (!origin.contains("*")) {
      return StringMatcher.newBuilder().setExact(origin).build();
    }
    StringBuilder re = new StringBuilder();
    for (char c : origin.toCharArray()) {
      if (c == '*') {
        re.append(".*");
      } else {
        if ("\\.+?()|[]{}^$".indexOf(c) >= 0) {
          re.append('\\');
        }
        re.append(c);
      }
    }
    return StringMatcher.newBuilder()
        .setSafeRegex(RegexMatcher.newBuilder().setRegex(re.toString()))
        .build();
  }
}
