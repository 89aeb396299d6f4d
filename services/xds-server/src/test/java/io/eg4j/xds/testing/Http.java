package io.eg4j.xds.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A small HTTP client for E2E tests: real requests with any Host header, bounded timeouts. */
public final class Http {
  static {
    // The JDK client refuses to set Host unless told to; virtual-host tests need it.
    System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
  }

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  private Http() {}

  /** A response: status, body and headers (names lower case). */
  public record Response(int status, String body, Map<String, List<String>> headers) {
    /** The first value of a header, or null. */
    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(java.util.Locale.ROOT));
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  /** GET {@code http://127.0.0.1:port path} with a Host header. */
  public static Response get(int port, String host, String path, String... headers) {
    return send("GET", port, host, path, headers);
  }

  /** Sends a request with a method, Host header and extra header name/value pairs. */
  public static Response send(
      String method, int port, String host, String path, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(15))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (host != null) {
      b.header("Host", host);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r.headers().map());
    } catch (IOException e) {
      return new Response(0, e.toString(), Map.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(0, e.toString(), Map.of());
    }
  }
}
