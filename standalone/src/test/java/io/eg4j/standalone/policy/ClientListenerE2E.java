package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.EnvoyProcess;
import io.eg4j.xds.testing.Http;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * ClientTrafficPolicy listener settings through the real envoy, one stack for the class: the
 * Gateway has a listener per setting (each policy targets its listener by sectionName) and a plain
 * one without a policy to compare with. Covered: the client address from X-Forwarded-For by trusted
 * hops and by trusted CIDRs, the connection limit, path normalization (escaped slashes, merged
 * slashes), headers with underscores (rejected, dropped), and HTTP/1 trailers.
 *
 * <p>The route {@code /who} adds the client address Envoy settled on to the request as {@code
 * x-client-ip}, so the echo backend shows it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientListenerE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  TrailerServer trailers;
  int hops;
  int cidrs;
  int limited;
  int strict;
  int paths;
  int trailing;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    trailers = new TrailerServer();
    hops = EnvoyProcess.freePort();
    cidrs = EnvoyProcess.freePort();
    limited = EnvoyProcess.freePort();
    strict = EnvoyProcess.freePort();
    paths = EnvoyProcess.freePort();
    trailing = EnvoyProcess.freePort();
    StringBuilder listeners = new StringBuilder();
    String[] names = {"hops", "cidrs", "limited", "strict", "paths", "trailing"};
    int[] ports = {hops, cidrs, limited, strict, paths, trailing};
    for (int i = 0; i < names.length; i++) {
      listeners.append(
          "  - name: %s\n    protocol: HTTP\n    port: %d\n".formatted(names[i], ports[i]));
    }
    String gateway = stack.gateway() + listeners;
    StringBuilder yaml =
        new StringBuilder(
            gateway
                + "---\n"
                + PolicyStack.service("echo", echo.port())
                + "---\n"
                + PolicyStack.service("trailer", trailers.port()));
    yaml.append(PolicyStack.route("app", "echo"));
    // The trailer backend through the listener with trailers and through the plain one: a route
    // (and so a cluster) each, as a cluster shared by listeners takes the first one's settings.
    for (String[] r : new String[][] {{"trail-on", "trailing"}, {"trail-off", "http"}}) {
      yaml.append(
          """
          ---
          apiVersion: gateway.networking.k8s.io/v1
          kind: HTTPRoute
          metadata: {namespace: default, name: %s}
          spec:
            parentRefs: [{name: eg, sectionName: %s}]
            rules:
            - matches: [{path: {type: PathPrefix, value: /trail}}]
              backendRefs: [{name: trailer, port: 8080}]
          """
              .formatted(r[0], r[1]));
    }
    yaml.append(
        """
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {namespace: default, name: who}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /who}}]
            filters:
            - type: RequestHeaderModifier
              requestHeaderModifier:
                set: [{name: x-client-ip, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"}]
            backendRefs: [{name: echo, port: 8080}]
        """);
    yaml.append(
        policy("hops", "clientIPDetection: {xForwardedFor: {numTrustedHops: 2}}")
            + policy(
                "cidrs",
                "clientIPDetection: {xForwardedFor: {trustedCIDRs: [127.0.0.0/8, 198.51.100.0/24]}}")
            + policy("limited", "connection: {connectionLimit: {value: 2}}")
            + policy(
                "strict",
                "path: {escapedSlashesAction: RejectRequest}\n"
                    + "  headers: {withUnderscoresAction: RejectRequest}")
            + policy(
                "paths",
                "path: {escapedSlashesAction: KeepUnchanged, disableMergeSlashes: true}\n"
                    + "  headers: {withUnderscoresAction: DropHeader}")
            + policy("trailing", "http1: {enableTrailers: true}"));
    stack.apply(yaml.toString());
    stack.assertAccepted("ClientTrafficPolicy", names);
    for (int port : new int[] {stack.port(), hops, cidrs, strict, paths, trailing}) {
      stack.await(
          "listener " + port + " serves", () -> Http.get(port, "x.test", "/app").status() == 200);
    }
    // Not through the shared HTTP client, whose pooled connections would count against the limit.
    stack.await(
        "the limited listener serves",
        () -> {
          try (Socket s = connect(limited)) {
            return exchange(s, CLOSE).startsWith("HTTP/1.1 200");
          } catch (IOException e) {
            return false;
          }
        });
  }

  private static String policy(String listener, String spec) {
    return """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: ClientTrafficPolicy
        metadata: {namespace: default, name: %1$s}
        spec:
          targetRefs:
          - {group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: %1$s}
          %2$s
        """
        .formatted(listener, spec);
  }

  @AfterAll
  void stop() throws IOException {
    if (stack != null) {
      stack.close();
    }
    if (echo != null) {
      echo.close();
    }
    if (trailers != null) {
      trailers.close();
    }
  }

  /** The request headers the echo backend saw, names in lower case, first values. */
  private static JsonNode seen(Http.Response r) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return Json.MAPPER.readTree(r.body());
  }

  private static String header(JsonNode echoed, String name) {
    var it = echoed.path("headers").fields();
    while (it.hasNext()) {
      var e = it.next();
      if (e.getKey().toLowerCase(Locale.ROOT).equals(name)) {
        return e.getValue().get(0).asText();
      }
    }
    return null;
  }

  private static String clientIp(int port, String xff) throws Exception {
    return header(seen(Http.get(port, "x.test", "/who", "x-forwarded-for", xff)), "x-client-ip");
  }

  @Test
  void theClientAddressComesFromXForwardedForAsTheListenerTrustsIt() throws Exception {
    String xff = "192.0.2.1, 203.0.113.1, 198.51.100.2, 198.51.100.3";
    assertThat(clientIp(stack.port(), xff))
        .as("no policy: the address of the connection")
        .isEqualTo("127.0.0.1");
    assertThat(clientIp(hops, xff))
        .as("two trusted hops: the second address from the right")
        .isEqualTo("198.51.100.2");
    assertThat(clientIp(cidrs, xff))
        .as("trusted CIDRs: the first untrusted address from the right")
        .isEqualTo("203.0.113.1");
    assertThat(clientIp(hops, "203.0.113.9"))
        .as("fewer addresses than trusted hops: the connection's")
        .isEqualTo("127.0.0.1");
  }

  private static String exchange(Socket s, String request) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = s.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        got.write(buf, 0, n);
        String text = got.toString(StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end >= 0) {
          int len = text.toLowerCase(Locale.ROOT).indexOf("content-length:");
          if (len >= 0) {
            int eol = text.indexOf("\r\n", len);
            int want = Integer.parseInt(text.substring(len + 15, eol).trim());
            if (got.size() >= end + 4 + want) {
              break;
            }
          }
        }
      }
    } catch (SocketException | SocketTimeoutException closed) {
      // A refused connection may be reset; a silent one times out.
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(3000);
    return s;
  }

  private static final String KEEP_ALIVE = "GET /app/c HTTP/1.1\r\nHost: x.test\r\n\r\n";
  private static final String CLOSE =
      "GET /app/c HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n\r\n";

  @Test
  void connectionsOverTheLimitAreClosed() throws Exception {
    List<Socket> open = new ArrayList<>();
    try {
      // Two kept-alive connections (retried while Envoy still counts the closed ones of start()).
      for (int i = 0; i < 2; i++) {
        stack.await(
            "a kept-alive connection is served",
            () -> {
              try {
                Socket s = connect(limited);
                if (exchange(s, KEEP_ALIVE).startsWith("HTTP/1.1 200")) {
                  open.add(s);
                  return true;
                }
                s.close();
                return false;
              } catch (IOException e) {
                return false;
              }
            });
      }
      assertThat(open).hasSize(2);
      try (Socket third = connect(limited)) {
        assertThat(exchange(third, KEEP_ALIVE))
            .as("a third connection while two are open")
            .doesNotStartWith("HTTP/1.1 200");
      }
      // Another listener is not limited.
      try (Socket other = connect(stack.port())) {
        assertThat(exchange(other, KEEP_ALIVE)).startsWith("HTTP/1.1 200");
      }
      open.remove(0).close();
      stack.await(
          "a connection is served again once one closed",
          () -> {
            try (Socket again = connect(limited)) {
              return exchange(again, CLOSE).startsWith("HTTP/1.1 200");
            } catch (IOException e) {
              return false;
            }
          });
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
  }

  @Test
  void pathsAreNormalizedAsTheListenerSays() throws Exception {
    // Envoy Gateway's defaults: slashes merged, an escaped slash unescaped and redirected.
    assertThat(seen(Http.get(stack.port(), "x.test", "/app//a")).path("path").asText())
        .isEqualTo("/app/a");
    Http.Response redirect = Http.get(stack.port(), "x.test", "/app/x%2Fy");
    assertThat(redirect.status()).isBetween(301, 308);
    assertThat(redirect.header("location")).endsWith("/app/x/y");
    // KeepUnchanged and disableMergeSlashes: the backend gets the path as sent.
    assertThat(seen(Http.get(paths, "x.test", "/app//x%2Fy")).path("path").asText())
        .isEqualTo("/app//x%2Fy");
    // RejectRequest: a path with an escaped slash is refused.
    assertThat(Http.get(strict, "x.test", "/app/x%2Fy").status()).isEqualTo(400);
    assertThat(Http.get(strict, "x.test", "/app/x").status()).isEqualTo(200);
  }

  @Test
  void headersWithUnderscoresAreRejectedOrDropped() throws Exception {
    assertThat(Http.get(strict, "x.test", "/app", "x_under", "1").status()).isEqualTo(400);
    JsonNode dropped = seen(Http.get(paths, "x.test", "/app", "x_under", "1", "x-keep", "2"));
    assertThat(header(dropped, "x_under")).as("DropHeader removes it").isNull();
    assertThat(header(dropped, "x-keep")).isEqualTo("2");
  }

  private String trailerExchange(int port) throws IOException {
    try (Socket s = connect(port)) {
      OutputStream out = s.getOutputStream();
      out.write(
          "GET /trail HTTP/1.1\r\nHost: x.test\r\nTE: trailers\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      try {
        s.getInputStream().transferTo(got);
      } catch (SocketException | SocketTimeoutException e) {
        // Whatever arrived is the answer.
      }
      return got.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void trailersReachTheClientOnlyWhereEnabled() throws Exception {
    String with = trailerExchange(trailing);
    assertThat(with).startsWith("HTTP/1.1 200").contains("hello");
    assertThat(with.toLowerCase(Locale.ROOT))
        .as(
            () ->
                "Envoy's clusters: "
                    + stack
                        .envoy()
                        .adminGet("/config_dump?resource=dynamic_active_clusters")
                        .body())
        .contains("x-checksum: abc123");
    String without = trailerExchange(stack.port());
    assertThat(without).startsWith("HTTP/1.1 200").contains("hello");
    // The Trailer response header announces it; the trailer itself is dropped.
    assertThat(without.toLowerCase(Locale.ROOT)).doesNotContain("x-checksum: abc123");
  }

  /**
   * A backend that answers every request with a chunked body {@code hello} followed by the trailer
   * {@code x-checksum: abc123}, then closes the connection.
   */
  static final class TrailerServer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread thread;

    TrailerServer() throws IOException {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      thread = new Thread(this::serve, "trailer-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      while (!socket.isClosed()) {
        try (Socket c = socket.accept()) {
          c.setSoTimeout(5000);
          InputStream in = c.getInputStream();
          ByteArrayOutputStream head = new ByteArrayOutputStream();
          int b;
          while ((b = in.read()) >= 0) {
            head.write(b);
            if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
              break;
            }
          }
          c.getOutputStream()
              .write(
                  ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                          + "Trailer: x-checksum\r\nConnection: close\r\n\r\n"
                          + "5\r\nhello\r\n0\r\nx-checksum: abc123\r\n\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
          c.getOutputStream().flush();
        } catch (IOException e) {
          // The next connection, or closed.
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
