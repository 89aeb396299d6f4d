package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * ClientTrafficPolicy {@code proxyProtocol} and {@code http1.http10.useDefaultHost} through the
 * real envoy: the client address of a PROXY protocol v1 or v2 header is the one the backend sees in
 * X-Forwarded-For; a connection without the header is refused while it is required; an HTTP/1.0
 * request without a Host header is served with the listener's hostname.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyProtocolE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    String gateway =
        stack
            .gateway()
            .replace("    protocol: HTTP\n", "    protocol: HTTP\n    hostname: app.test\n");
    assertThat(gateway).contains("hostname: app.test");
    stack.apply(
        gateway
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + PolicyStack.route("app", "echo")
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: ClientTrafficPolicy
            metadata: {namespace: default, name: proxied}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
              proxyProtocol: {}
              http1:
                http10: {useDefaultHost: true}
            """);
    stack.await(
        "the route serves through a PROXY header",
        () -> {
          try {
            return exchange(
                    v1("203.0.113.7"),
                    "GET /app HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
                .startsWith("HTTP/1.1 200");
          } catch (Exception e) {
            return false;
          }
        });
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
  }

  private static byte[] v1(String client) {
    return ("PROXY TCP4 " + client + " 127.0.0.1 40000 80\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] v2(byte[] client) {
    ByteBuffer b = ByteBuffer.allocate(16 + 12);
    b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    b.put((byte) 0x21); // version 2, PROXY command
    b.put((byte) 0x11); // TCP over IPv4
    b.putShort((short) 12);
    b.put(client);
    b.put(new byte[] {127, 0, 0, 1});
    b.putShort((short) 40000);
    b.putShort((short) 80);
    return b.array();
  }

  private String exchange(byte[] preface, String request) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", stack.port()), 5000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(preface);
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        in.transferTo(got);
      } catch (java.net.SocketException reset) {
        // A refused connection may be reset rather than closed.
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void theClientAddressComesFromTheProxyHeader() throws Exception {
    String get = "GET /app HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n";
    assertThat(exchange(v1("203.0.113.7"), get)).startsWith("HTTP/1.1 200").contains("203.0.113.7");
    assertThat(exchange(v2(new byte[] {(byte) 198, 51, 100, 9}), get))
        .startsWith("HTTP/1.1 200")
        .contains("198.51.100.9");
    // Required: a connection that starts without the header is not served.
    assertThat(exchange(new byte[0], get)).doesNotStartWith("HTTP/1.1 200");
  }

  @Test
  void http10WithoutHostGetsTheListenersHostname() throws Exception {
    String r = exchange(v1("203.0.113.8"), "GET /app HTTP/1.0\r\n\r\n");
    assertThat(r).startsWith("HTTP/1.").contains(" 200").contains("app.test");
  }
}
