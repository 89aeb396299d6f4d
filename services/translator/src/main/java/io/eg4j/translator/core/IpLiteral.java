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
    return s != null && IPV4.matcher(s).matches();
  }

  static boolean is(String s) {
    if (s == null || s.isEmpty()) {
      return false;
    }
    if (IPV4.matcher(s).matches()) {
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
