package io.eg4j.xds.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSocket;

/**
 * HTTP backends the shared echo server cannot play: an HTTPS backend that reports the SNI Envoy
 * sent (upstream TLS from a BackendTLSPolicy), and a WebSocket backend that completes the upgrade
 * handshake and then echoes bytes.
 */
public final class UpgradeBackends {
  private UpgradeBackends() {}

  /** The WebSocket handshake GUID (RFC 6455 section 1.3). */
  private static final String WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B85";

  /**
   * An HTTPS server on 127.0.0.1 answering every request with 200 and the body {@code sni=<server
   * name the client sent> path=<request path>}.
   */
  public static Backends.Running httpsSniEcho(String certPem, String keyPem) throws Exception {
    return serve(
        Backends.tlsServerSocket(certPem, keyPem),
        "https-sni",
        (s, head) -> {
          String sni = "";
          if (s instanceof SSLSocket tls
              && tls.getSession() instanceof ExtendedSSLSession session) {
            for (SNIServerName n : session.getRequestedServerNames()) {
              if (n instanceof SNIHostName h) {
                sni = h.getAsciiName();
              }
            }
          }
          String body = "sni=" + sni + " path=" + path(head);
          write(
              s,
              "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: "
                  + body.getBytes(StandardCharsets.UTF_8).length
                  + "\r\nconnection: close\r\n\r\n"
                  + body);
        });
  }

  /**
   * A WebSocket server on 127.0.0.1: answers an upgrade request with 101 and the accept key, then
   * echoes every byte it receives (frames included) until the client closes. A request without
   * {@code Upgrade: websocket} gets 400.
   */
  public static Backends.Running websocketEcho() throws IOException {
    return serve(
        new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
        "ws",
        (s, head) -> {
          String key = header(head, "sec-websocket-key");
          if (key == null || !"websocket".equalsIgnoreCase(header(head, "upgrade"))) {
            write(s, "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            return;
          }
          write(
              s,
              "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
                  + "sec-websocket-accept: "
                  + accept(key)
                  + "\r\n\r\n");
          try {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
              out.write(buf, 0, n);
              out.flush();
            }
          } catch (IOException ignored) {
            // the client went away
          }
        });
  }

  /** The Sec-WebSocket-Accept value for a client key. */
  public static String accept(String key) {
    try {
      byte[] sha =
          MessageDigest.getInstance("SHA-1")
              .digest((key + WS_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads an HTTP head (request or response line and headers) up to the blank line. */
  public static List<String> readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    int state = 0;
    while (state < 4 && (c = in.read()) >= 0) {
      b.write(c);
      state =
          (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
              ? state + 1
              : 0;
    }
    return List.of(b.toString(StandardCharsets.ISO_8859_1).split("\r\n"));
  }

  /** A header's value from a head read by {@link #readHead}, or null. */
  public static String header(List<String> head, String name) {
    for (String line : head) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  private static String path(List<String> head) {
    String[] first = head.isEmpty() ? new String[0] : head.get(0).split(" ");
    return first.length > 1 ? first[1] : "";
  }

  private static void write(Socket s, String text) {
    try {
      s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
    } catch (IOException ignored) {
      // the client went away
    }
  }

  private static Backends.Running serve(
      ServerSocket ss, String name, BiConsumer<Socket, List<String>> handler) {
    ExecutorService pool = Executors.newCachedThreadPool(Backends.daemon(name));
    pool.execute(
        () -> {
          while (!ss.isClosed()) {
            try {
              Socket s = ss.accept();
              pool.execute(
                  () -> {
                    try (s) {
                      s.setSoTimeout(30_000);
                      List<String> head = readHead(s.getInputStream());
                      if (!head.isEmpty() && !head.get(0).isEmpty()) {
                        handler.accept(s, head);
                      }
                    } catch (IOException ignored) {
                      // handshake failed (a test that expects Envoy to refuse) or client closed
                    }
                  });
            } catch (IOException e) {
              return;
            }
          }
        });
    return new Backends.Running() {
      @Override
      public int port() {
        return ss.getLocalPort();
      }

      @Override
      public void close() {
        try {
          ss.close();
        } catch (IOException ignored) {
          // closing
        }
        pool.shutdownNow();
      }
    };
  }
}
