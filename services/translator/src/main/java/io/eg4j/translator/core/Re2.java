package io.eg4j.translator.core;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Validates regular expressions for Envoy's RE2 engine: Java's syntax is compiled as a sanity
 * check, and the Perl features RE2 rejects (backreferences, lookaround, possessive quantifiers,
 * atomic groups) are refused.
 */
final class Re2 {
  private static final Pattern UNSUPPORTED =
      Pattern.compile("\\\\[1-9]|\\(\\?[=!<>]|\\(\\?<[=!]|[*+?}]\\+|\\\\[Gz]");

  private Re2() {}

  /** An error message, or null when the expression is valid. */
  static String validate(String regex) {
    if (regex == null) {
      return "regex is empty";
    }
    if (UNSUPPORTED.matcher(regex).find()) {
      return "regex " + regex + " uses syntax RE2 does not support";
    }
    try {
      Pattern.compile(regex);
      return null;
    } catch (PatternSyntaxException e) {
      return "regex " + regex + " is invalid: " + e.getDescription();
    }
  }
}
