package io.eg4j.translator.core;

/**
 * Hand-written checks for the Gateway API's string formats that every route's translation runs: the
 * same languages as the CRDs' patterns, without a regex matcher per call (at 1,000 routes the
 * matchers were a tenth of a route's translation).
 */
final class Syntax {
  private Syntax() {}

  /**
   * A Gateway API Hostname, letters of either case: an optional {@code *.} then dot-separated
   * labels of letters, digits and inner hyphens, each starting and ending with a letter or digit.
   */
  static boolean isHostname(String s) {
    int i = s.startsWith("*.") ? 2 : 0;
    int n = s.length();
    if (i >= n) {
      return false;
    }
    while (true) {
      int start = i;
      while (i < n && s.charAt(i) != '.') {
        char c = s.charAt(i);
        if (!(isAlnum(c) || c == '-')) {
          return false;
        }
        i++;
      }
      if (i == start || s.charAt(start) == '-' || s.charAt(i - 1) == '-') {
        return false;
      }
      if (i == n) {
        return true;
      }
      i++; // the dot; a label must follow
      if (i == n) {
        return false;
      }
    }
  }

  /** An HTTP header name (RFC 7230 token), 1 to 256 characters. */
  static boolean isHeaderName(String s) {
    int n = s.length();
    if (n == 0 || n > 256) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (!isTokenChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A non-empty path of unreserved, sub-delimiter, {@code / : @} characters and percent-encoded
   * octets ({@code %} and two hex digits).
   */
  static boolean isPathChars(String s) {
    int n = s.length();
    if (n == 0) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= n || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
          return false;
        }
        i += 2;
      } else if (!(isAlnum(c) || "-/._~!$&'()*+,;=:@".indexOf(c) >= 0)) {
        return false;
      }
    }
    return true;
  }

  static boolean isTokenChar(char c) {
    return isAlnum(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  private static boolean isHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
