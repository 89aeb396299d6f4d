package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy route features through the real envoy: fault injection aborts a share of the
 * requests and delays them, gzip compresses the response for a client that accepts it, and request
 * buffering refuses a body over its limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrafficFeaturesE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    StringBuilder yaml =
        new StringBuilder(stack.gateway() + "---\n" + PolicyStack.service("echo", echo.port()));
    for (String r : new String[] {"abort", "delay", "zip", "brmin", "buffer", "plain"}) {
      yaml.append(PolicyStack.route(r, "echo"));
    }
    yaml.append(
        """
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: abort}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: abort}]
          faultInjection:
            abort: {httpStatus: 418, percentage: 50}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: delay}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: delay}]
          faultInjection:
            delay: {fixedDelay: 1500ms}
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: zip}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: zip}]
          compression: [{type: Gzip}]
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: brmin}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: brmin}]
          compression: [{type: Brotli, minContentLength: 2Ki}]
        ---
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: BackendTrafficPolicy
        metadata: {namespace: default, name: buffer}
        spec:
          targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: buffer}]
          requestBuffer: {limit: 1Ki}
        """);
    stack.apply(yaml.toString());
    stack.await(
        "the routes serve", () -> Http.get(stack.port(), "x.test", "/plain").status() == 200);
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

  @Test
  void faultInjectionAbortsAShareOfTheRequests() {
    int aborted = 0;
    for (int i = 0; i < 200; i++) {
      int status = Http.get(stack.port(), "x.test", "/abort").status();
      assertThat(status).isIn(200, 418);
      if (status == 418) {
        aborted++;
      }
    }
    // 50% of 200: far outside this range only with a probability below one in a million.
    assertThat(aborted).isBetween(60, 140);
  }

  @Test
  void faultInjectionDelaysRequests() {
    long start = System.nanoTime();
    assertThat(Http.get(stack.port(), "x.test", "/delay").status()).isEqualTo(200);
    // Envoy's timers run on its cached, millisecond-rounded clock and may fire a few milliseconds
    // early as the client measures it (CI saw 1,497.8 ms); a request without the delay takes a few.
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(1450));
    long plain = System.nanoTime();
    assertThat(Http.get(stack.port(), "x.test", "/plain").status()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - plain)).isLessThan(Duration.ofMillis(1500));
  }

  @Test
  void gzipForAClientThatAcceptsIt() throws Exception {
    HttpResponse<byte[]> r =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port() + "/zip"))
                .header("Host", "x.test")
                .header("Accept-Encoding", "gzip")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-encoding")).hasValue("gzip");
    String body =
        new String(
            new GZIPInputStream(new ByteArrayInputStream(r.body())).readAllBytes(),
            StandardCharsets.UTF_8);
    assertThat(body).contains("\"path\"").contains("/zip");
    // A route without the policy is not compressed.
    HttpResponse<byte[]> plain =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port() + "/plain"))
                .header("Host", "x.test")
                .header("Accept-Encoding", "gzip")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(plain.headers().firstValue("content-encoding")).isEmpty();
  }

  @Test
  void aResponseUnderTheMinimumContentLengthIsNotCompressed() throws Exception {
    // The echo body repeats the request's headers: without padding it is well under 2 KiB.
    HttpResponse<byte[]> small = brotli("");
    assertThat(small.statusCode()).isEqualTo(200);
    assertThat(small.body().length).isLessThan(2048);
    assertThat(small.headers().firstValue("content-encoding")).isEmpty();
    HttpResponse<byte[]> big = brotli("p".repeat(4096));
    assertThat(big.statusCode()).isEqualTo(200);
    assertThat(big.headers().firstValue("content-encoding")).hasValue("br");
    // Compressed, the repeated padding comes out far shorter than it went in.
    assertThat(big.body().length).isLessThan(2048);
  }

  private HttpResponse<byte[]> brotli(String pad) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port() + "/brmin"))
            .header("Host", "x.test")
            .header("Accept-Encoding", "br");
    if (!pad.isEmpty()) {
      b.header("X-Pad", pad);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aBodyOverTheBufferLimitIsRefused() throws Exception {
    HttpResponse<String> small = post("/buffer", 512);
    assertThat(small.statusCode()).isEqualTo(200);
    HttpResponse<String> large = post("/buffer", 4096);
    assertThat(large.statusCode()).isEqualTo(413);
    assertThat(post("/plain", 4096).statusCode()).isEqualTo(200);
  }

  private HttpResponse<String> post(String path, int size) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port() + path))
            .header("Host", "x.test")
            .POST(HttpRequest.BodyPublishers.ofString("x".repeat(size)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
