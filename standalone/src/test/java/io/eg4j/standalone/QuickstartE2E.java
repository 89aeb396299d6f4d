package io.eg4j.standalone;

import static io.eg4j.standalone.StackTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.provisioner.host.EnvoyBinary;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart end to end, as a user runs it: the whole standalone stack with the quickstart
 * manifests and the demo echo backend, a real Envoy started by the provisioner, requests through
 * Envoy, a route edit that Envoy follows, and a clean stop that leaves no process behind.
 */
class QuickstartE2E {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path tmp;

  static int status(int port, String path) {
    try {
      HttpResponse<String> r = get(port, path);
      return r.statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void curlThroughEnvoyReachesTheEchoBackendAndFollowsEdits() throws Exception {
    boolean haveEnvoy = EnvoyBinary.resolve("envoy", System.getenv("PATH")).isPresent();
    if (!haveEnvoy && "1".equals(System.getenv("EG4J_REQUIRE_ENVOY"))) {
      Assertions.fail(EnvoyBinary.INSTALL_HINT);
    }
    Assumptions.assumeTrue(haveEnvoy, EnvoyBinary.INSTALL_HINT);

    int listenerPort = Ports.free();
    int echoPort = Ports.free();
    Path manifests = tmp.resolve("quickstart");
    StackTestSupport.writeQuickstart(manifests, listenerPort, echoPort);
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8);

    List<ProcessHandle> proxies = new ArrayList<>();
    int brokerPort;
    try (Standalone stack =
        Standalone.start(
            StandaloneOptions.forTest(manifests, tmp.resolve("data"), out).withDemoEcho(true))) {
      brokerPort = Integer.parseInt(stack.bootstrapServers().replaceAll(".*:", ""));
      await("Envoy to route / to the echo backend", WAIT, () -> status(listenerPort, "/") == 200);
      HttpResponse<String> r = get(listenerPort, "/hello?x=1");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"path\" : \"/hello?x=1\"").contains("echo-" + echoPort);
      await(
          "the listening line",
          WAIT,
          () ->
              progress
                  .toString(StandardCharsets.UTF_8)
                  .contains("Envoy listening on http://127.0.0.1:" + listenerPort));

      // A user edits the route: only /v2 goes to the backend now.
      Path route = manifests.resolve("route.yaml");
      Files.writeString(route, Files.readString(route).replace("value: /", "value: /v2"));
      await("the edited route to apply", WAIT, () -> status(listenerPort, "/") == 404);
      assertThat(status(listenerPort, "/v2/x")).isEqualTo(200);

      proxies.addAll(stack.provisioner().orElseThrow().processes());
      assertThat(proxies).isNotEmpty();
    }

    // Everything is gone: Envoy (and its wrapper), the broker, the echo backend.
    for (ProcessHandle h : proxies) {
      h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(h.isAlive()).as("process %d %s", h.pid(), h.info().command()).isFalse();
    }
    assertThat(Ports.available(brokerPort)).as("broker port closed").isTrue();
    assertThat(Ports.available(listenerPort)).as("listener port closed").isTrue();
    assertThat(Ports.available(echoPort)).as("echo port closed").isTrue();
    assertThat(progress.toString(StandardCharsets.UTF_8))
        .contains("Kafka broker (KRaft) up at")
        .contains("xds-server ready")
        .contains("watcher ready");
  }
}
