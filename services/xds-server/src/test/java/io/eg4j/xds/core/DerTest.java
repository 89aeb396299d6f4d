package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DerTest {
  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Test
  void encodesTheKnownExamplesOfX690() {
    // Object identifiers, including a multi-byte arc (840 = 0x86 0x48).
    assertThat(hex(Der.oid("1.2.840.10045.4.3.2"))).isEqualTo("06082a8648ce3d040302");
    assertThat(hex(Der.oid("2.5.29.19"))).isEqualTo("0603551d13");
    // Integers are two's complement, minimal, with a leading zero for a set top bit.
    assertThat(hex(Der.integer(0))).isEqualTo("020100");
    assertThat(hex(Der.integer(128))).isEqualTo("02020080");
    assertThat(hex(Der.integer(BigInteger.valueOf(-1)))).isEqualTo("0201ff");
    assertThat(hex(Der.bool(true))).isEqualTo("0101ff");
    assertThat(hex(Der.sequence())).isEqualTo("3000");
    assertThat(hex(Der.explicit(3, Der.sequence()))).isEqualTo("a3023000");
  }

  @Test
  void lengthsPast127UseTheLongForm() {
    assertThat(hex(Der.octetString(new byte[127])).substring(0, 4)).isEqualTo("047f");
    assertThat(hex(Der.octetString(new byte[128])).substring(0, 6)).isEqualTo("048180");
    assertThat(hex(Der.octetString(new byte[300])).substring(0, 8)).isEqualTo("0482012c");
    assertThat(Der.octetString(new byte[70_000])).hasSize(70_000 + 5);
  }

  @Test
  void namedBitsDropTrailingZeroBits() {
    // keyCertSign (5) and cRLSign (6): one byte 0000 0110, one unused bit.
    assertThat(hex(Der.namedBits(5, 6))).isEqualTo("03020106");
    // digitalSignature (0) and keyAgreement (4): 1000 1000, three unused bits.
    assertThat(hex(Der.namedBits(0, 4))).isEqualTo("03020388");
    // decipherOnly (8) reaches a second byte: 0000 0000 1000 0000, seven unused.
    assertThat(hex(Der.namedBits(8))).isEqualTo("0303070080");
  }

  @Test
  void timesAreUtcTimeUntil2049AndGeneralizedTimeAfter() {
    assertThat(
            new String(
                Der.time(Instant.parse("2026-12-07T20:01:02.999Z")),
                2,
                13,
                java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("261207200102Z");
    assertThat(Der.time(Instant.parse("2049-12-31T23:59:59Z"))[0]).isEqualTo((byte) 0x17);
    byte[] g = Der.time(Instant.parse("2050-01-01T00:00:00Z"));
    assertThat(g[0]).isEqualTo((byte) 0x18);
    assertThat(new String(g, 2, g.length - 2, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("20500101000000Z");
  }
}
