package io.eg4j.standalone.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback port choice. */
public final class Ports {
  private Ports() {}

  /** A port no one listens on right now, on 127.0.0.1. */
  public static int free() {
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
