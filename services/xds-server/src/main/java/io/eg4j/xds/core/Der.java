package io.eg4j.xds.core;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The few ASN.1 DER encodings an X.509 certificate needs (ITU-T X.690), enough for {@link CertGen}
 * to build certificates with the JDK alone. Each method returns one complete element: tag, length
 * and contents.
 */
final class Der {
  private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
  private static final DateTimeFormatter GENERALIZED_TIME =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'");

  private Der() {}

  /** An element of the given tag byte around already encoded contents. */
  static byte[] element(int tag, byte[] contents) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(contents.length + 6);
    out.write(tag);
    int n = contents.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      // Long form: 0x80 | the count of length bytes, then the length big-endian.
      int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write((n >>> (8 * i)) & 0xff);
      }
    }
    out.writeBytes(contents);
    return out.toByteArray();
  }

  /** SEQUENCE of the given encoded elements, in order. */
  static byte[] sequence(byte[]... elements) {
    return element(0x30, concat(elements));
  }

  /** {@code [n] EXPLICIT}: a constructed context-specific wrapper around one element. */
  static byte[] explicit(int n, byte[] element) {
    return element(0xa0 | n, element);
  }

  static byte[] integer(BigInteger v) {
    return element(0x02, v.toByteArray());
  }

  static byte[] integer(long v) {
    return integer(BigInteger.valueOf(v));
  }

  static byte[] bool(boolean v) {
    return element(0x01, new byte[] {(byte) (v ? 0xff : 0x00)});
  }

  static byte[] octetString(byte[] v) {
    return element(0x04, v);
  }

  /** BIT STRING of whole bytes (no unused bits), as a signature or a public key. */
  static byte[] bitString(byte[] v) {
    byte[] contents = new byte[v.length + 1];
    System.arraycopy(v, 0, contents, 1, v.length);
    return element(0x03, contents);
  }

  /**
   * BIT STRING of named bits (bit 0 is the first, most significant bit), as KeyUsage is: DER drops
   * trailing zero bits, so the contents end at the last bit set.
   */
  static byte[] namedBits(int... bits) {
    int last = -1;
    for (int b : bits) {
      last = Math.max(last, b);
    }
    if (last < 0) {
      return element(0x03, new byte[] {0});
    }
    byte[] contents = new byte[1 + last / 8 + 1];
    for (int b : bits) {
      contents[1 + b / 8] |= (byte) (0x80 >>> (b % 8));
    }
    contents[0] = (byte) (7 - last % 8);
    return element(0x03, contents);
  }

  /** OBJECT IDENTIFIER from its dotted form, e.g. {@code 2.5.29.19}. */
  static byte[] oid(String dotted) {
    String[] parts = dotted.split("\\.");
    if (parts.length < 2) {
      throw new IllegalArgumentException("an OID has at least two arcs: " + dotted);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    base128(out, Long.parseLong(parts[0]) * 40 + Long.parseLong(parts[1]));
    for (int i = 2; i < parts.length; i++) {
      base128(out, Long.parseLong(parts[i]));
    }
    return element(0x06, out.toByteArray());
  }

  private static void base128(ByteArrayOutputStream out, long v) {
    if (v < 0) {
      throw new IllegalArgumentException("negative OID arc");
    }
    int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 6) / 7);
    for (int i = groups - 1; i >= 0; i--) {
      int b = (int) ((v >>> (7 * i)) & 0x7f);
      out.write(i == 0 ? b : b | 0x80);
    }
  }

  /**
   * An X.509 Time (RFC 5280, 4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050, whole
   * seconds in UTC.
   */
  static byte[] time(java.time.Instant at) {
    ZonedDateTime t = at.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
    if (t.getYear() < 2050 && t.getYear() >= 1950) {
      return element(0x17, UTC_TIME.format(t).getBytes(StandardCharsets.US_ASCII));
    }
    return element(0x18, GENERALIZED_TIME.format(t).getBytes(StandardCharsets.US_ASCII));
  }

  /** A context-specific primitive element, {@code [n] IMPLICIT} over raw contents. */
  static byte[] implicitPrimitive(int n, byte[] contents) {
    return element(0x80 | n, contents);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
