package io.eg4j.model.echo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.DurationIr;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP echo backend that answers like the Gateway API conformance suite's {@code echo-basic}: a
 * JSON body with the request's path, host, method, protocol and headers, and the backend's own
 * name. It also serves {@code /status/NNN}, counts {@code /retry/...?uuid=&succeedAfter=} attempts
 * and honours {@code ?delay=}. Used by the standalone quickstart ({@code --demo-echo}) and by the
 * end-to-end tests. Listens on loopback only.
 */
public final class EchoServer implements AutoCloseable {
  private final HttpServer server;
  private final String name;
  private final String namespace;
  private final List<String> seen = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicInteger> retryCounts = new ConcurrentHashMap<>();

  private EchoServer(HttpServer server, String name, String namespace) {
    this.server = server;
    this.name = name;
    this.namespace = namespace;
  }

  /**
   * Starts an echo server on 127.0.0.1.
   *
   * @param port the port, or 0 for any free port
   * @param name the pod name it reports
   * @param namespace the namespace it reports
   */
  public static EchoServer start(int port, String name, String namespace) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
    EchoServer echo = new EchoServer(server, name, namespace);
    server.createContext("/", echo::handle);
    server.setExecutor(
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "echo-" + name);
              t.setDaemon(true);
              return t;
            }));
    server.start();
    return echo;
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The pod name it reports. */
  public String name() {
    return name;
  }

  /** The raw request URIs it has answered, oldest first (mirror tests read this). */
  public List<String> seenPaths() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      URI uri = ex.getRequestURI();
      String raw = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      try (InputStream body = ex.getRequestBody()) {
        body.readAllBytes();
      }
      String path = uri.getPath().replaceAll("/+", "/");
      Map<String, String> query = query(uri.getRawQuery());
      if (path.equals("/health")) {
        reply(ex, 200, "OK".getBytes(StandardCharsets.UTF_8), "text/plain");
        return;
      }
      if (path.startsWith("/status/")) {
        String code = path.substring("/status/".length());
        int status = code.matches("\\d{3}") ? Integer.parseInt(code) : 400;
        ex.sendResponseHeaders(status, -1);
        return;
      }
      if (path.startsWith("/retry/")) {
        String uuid = query.get("uuid");
        String after = query.get("succeedAfter");
        if (uuid == null || after == null || !after.matches("\\d+")) {
          reply(
              ex,
              400,
              "uuid and succeedAfter are required".getBytes(StandardCharsets.UTF_8),
              "text/plain");
          return;
        }
        AtomicInteger count = retryCounts.computeIfAbsent(uuid, k -> new AtomicInteger());
        if (count.get() < Integer.parseInt(after)) {
          count.incrementAndGet();
          int code =
              query.containsKey("responseCode") ? Integer.parseInt(query.get("responseCode")) : 503;
          ex.sendResponseHeaders(code, -1);
          return;
        }
      }
      if (query.containsKey("delay")) {
        try {
          Thread.sleep(DurationIr.parse(query.get("delay")).millis());
        } catch (IllegalArgumentException e) {
          reply(
              ex,
              500,
              ("{\"message\": \"bad delay\"}").getBytes(StandardCharsets.UTF_8),
              "application/json");
          return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      seen.add(raw);
      ObjectNode out = Json.MAPPER.createObjectNode();
      out.put("path", raw);
      out.put("host", ex.getRequestHeaders().getFirst("Host"));
      out.put("method", ex.getRequestMethod());
      out.put("proto", ex.getProtocol());
      ObjectNode headers = out.putObject("headers");
      Map<String, List<String>> sorted = new TreeMap<>();
      for (Map.Entry<String, List<String>> h : ex.getRequestHeaders().entrySet()) {
        if (!h.getKey().equalsIgnoreCase("Host")) {
          sorted.put(canonical(h.getKey()), h.getValue());
        }
      }
      sorted.forEach(
          (k, v) -> {
            ArrayNode values = headers.putArray(k);
            v.forEach(values::add);
          });
      out.put("namespace", namespace);
      out.put("ingress", "");
      out.put("service", "");
      out.put("pod", name);
      setEchoHeaders(ex.getRequestHeaders(), ex.getResponseHeaders());
      reply(
          ex,
          200,
          Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(out),
          "application/json");
    }
  }

  private static void setEchoHeaders(Headers request, Headers response) {
    List<String> items = request.get("X-Echo-Set-Header");
    if (items == null) {
      return;
    }
    for (String header : items) {
      for (String item : header.split(",")) {
        int colon = item.indexOf(':');
        if (colon > 0) {
          response.add(item.substring(0, colon).trim(), item.substring(colon + 1).trim());
        }
      }
    }
  }

  private static void reply(HttpExchange ex, int status, byte[] body, String type)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  /** Go's canonical header form: {@code x-foo-bar} becomes {@code X-Foo-Bar}. */
  static String canonical(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    boolean upper = true;
    for (char c : name.toLowerCase(Locale.ROOT).toCharArray()) {
      sb.append(upper ? Character.toUpperCase(c) : c);
      upper = c == '-';
    }
    return sb.toString();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new TreeMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          java.net.URLDecoder.decode(k, StandardCharsets.UTF_8),
          java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }
}
