package io.eg4j.standalone.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortsTest {
  @Test
  void aFreePortIsBelowTheEphemeralRangeAndBindable() throws Exception {
    for (int i = 0; i < 20; i++) {
      int port = Ports.free();
      // Below the range the kernel hands out as source ports of outgoing connections.
      assertThat(port).isBetween(10_000, Ports.ephemeralLow() - 1);
      try (ServerSocket s = new ServerSocket(port, 1)) {
        assertThat(s.getLocalPort()).isEqualTo(port);
      }
    }
  }

  @Test
  void aPortInUseIsNotAvailable() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThat(Ports.available(s.getLocalPort())).isFalse();
      assertThat(Ports.preferOrFree(s.getLocalPort())).isNotEqualTo(s.getLocalPort());
    }
  }
}
