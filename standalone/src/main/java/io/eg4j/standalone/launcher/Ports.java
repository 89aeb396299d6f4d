package io.eg4j.standalone.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback port choice. */
public final class Ports {
  private Ports() {}

  private static final java.util.Random RANDOM = new java.util.Random();

  /**
   * A port no one listens on right now, chosen below the kernel's ephemeral range: a port the OS
   * hands out for {@code bind(0)} may be taken again at any moment as the source port of an
   * outgoing connection (a Kafka client's, say) before Envoy binds it.
   */
  public static int free() {
    int low = 10_000;
    int high = ephemeralLow();
    if (high - low > 1_000) {
      for (int i = 0; i < 100; i++) {
        int port = low + RANDOM.nextInt(high - low);
        if (availableOnAnyAddress(port)) {
          return port;
        }
      }
    }
    return osAssigned();
  }

  /** The lowest ephemeral port (Linux reads it from procfs; 32768 elsewhere). */
  static int ephemeralLow() {
    try {
      // procfs files report size 0: read them as a stream, not by their size.
      String range;
      try (var in =
          java.nio.file.Files.newBufferedReader(
              java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
        range = in.readLine();
      }
      return Integer.parseInt(range.trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  private static boolean availableOnAnyAddress(int port) {
    // Envoy listens on 0.0.0.0, so the wildcard bind is the one that must succeed.
    try (ServerSocket s = new ServerSocket(port, 1)) {
      s.setReuseAddress(true);
    } catch (IOException e) {
      return false;
    }
    return available(port);
  }

  private static int osAssigned() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  /** True when {@code port} can be bound on 127.0.0.1 now. */
  public static boolean available(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code preferred} when it is free, else any free port; 0 means any free port. */
  public static int preferOrFree(int preferred) {
    return preferred > 0 && available(preferred) ? preferred : free();
  }
}
