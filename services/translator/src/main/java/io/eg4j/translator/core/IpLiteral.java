package io.eg4j.translator.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Whether a string is an IP address literal as Envoy parses one for a STATIC endpoint ({@code
 * inet_pton}): four decimal octets without leading zeros, or an IPv6 address. Never resolves a
 * name.
 */
final class IpLiteral {
  private static final Pattern IPV4 =
      Pattern.compile(
          "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
              + "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  private IpLiteral() {}

  /** True for a dotted-quad IPv4 literal. */
  static boolean isV4(String s) {
    return s != null && dottedQuad(s);
  }

  /**
   * The {@link #IPV4} pattern without a matcher: every endpoint address of every translation goes
   * through here, and the regex was a few percent of translation time.
   */
  private static boolean dottedQuad(String s) {
    int n = s.length();
    int octets = 0;
    int i = 0;
    while (true) {
      int start = i;
      int value = 0;
      while (i < n && i - start < 4 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        value = value * 10 + (s.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
        return false;
      }
      if (++octets == 4) {
        return i == n;
      }
      if (i >= n || s.charAt(i) != '.') {
        return false;
      }
      i++;
    }
  }

  static boolean is(String s) {
    if (s == null || s.isEmpty()) {
      return false;
    }
    if (dottedQuad(s)) {
      return true;
    }
    if (!s.contains(":") || !IPV6_CHARS.matcher(s).matches()) {
      return false;
    }
    int dot = s.indexOf('.');
    if (dot >= 0 && !IPV4.matcher(s.substring(s.lastIndexOf(':') + 1)).matches()) {
      return false; // an embedded IPv4 address must be a full dotted quad
    }
    try {
      // A string with ':' is parsed as an IPv6 literal, never looked up.
      InetAddress.getByName(s);
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
