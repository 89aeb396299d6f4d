package io.eg4j.standalone;

import static io.eg4j.standalone.StackTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.provisioner.host.EnvoyBinary;
import io.eg4j.standalone.launcher.Ports;
import io.eg4j.standalone.launcher.Standalone;
import io.eg4j.standalone.launcher.StandaloneOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN.md invariant 10 end to end, with every part real: the file source, the Kafka broker, the
 * translator, the xds-server and the Envoy the provisioner starts. Envoy's rejections travel over
 * {@code eg4j.xds-nacks} back to the translator, which withholds the object that caused them, says
 * why in its status, and keeps serving (and updating) the rest.
 *
 * <ul>
 *   <li>A route whose header value Envoy refuses ({@code %BOGUS%} is no command operator Envoy
 *       knows; eg4j's validation lets it through today) among good routes: the bad one is withheld
 *       with Envoy's message in {@code Accepted=False}, the good ones keep serving, a route added
 *       afterwards is served, and fixing the bad one brings it back.
 *   <li>A Gateway listener on a port a plain {@link ServerSocket} holds: Envoy cannot bind it, the
 *       listener is {@code Programmed=False} with Envoy's message, and once the port is free the
 *       retry binds it and it is {@code Programmed=True} again.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NackWithholdingE2E {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir static Path tmp;
  Path manifests;
  Path statusDir;
  int port;
  EchoServer echo;
  Standalone stack;
  final ByteArrayOutputStream progress = new ByteArrayOutputStream();

  @BeforeAll
  void start() throws Exception {
    boolean haveEnvoy = EnvoyBinary.resolve("envoy", System.getenv("PATH")).isPresent();
    if (!haveEnvoy && "1".equals(System.getenv("EG4J_REQUIRE_ENVOY"))) {
      Assertions.fail(EnvoyBinary.INSTALL_HINT);
    }
    Assumptions.assumeTrue(haveEnvoy, EnvoyBinary.INSTALL_HINT);
    echo = EchoServer.start(0, "echo", "default");
    port = Ports.free();
    manifests = tmp.resolve("manifests");
    Files.createDirectories(manifests);
    Files.writeString(manifests.resolve("gateway.yaml"), gateway(port, 0));
    Files.writeString(manifests.resolve("good.yaml"), route("good", "/good", ""));
    Path data = tmp.resolve("data");
    statusDir = data.resolve("status");
    stack =
        Standalone.start(
            StandaloneOptions.forTest(
                    manifests, data, new PrintStream(progress, true, StandardCharsets.UTF_8))
                .withProperties(
                    Map.of(
                        "eg4j.translator.nack-retry-first", "1s",
                        "eg4j.translator.nack-retry-max", "2s")));
    await("Envoy to serve /good", WAIT, () -> status(port, "/good") == 200);
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
  void aRouteEnvoyRejectsIsWithheldAndTheRestKeepsServingAndUpdating() throws Exception {
    Files.writeString(
        manifests.resolve("bad.yaml"),
        route("bad", "/bad", "      filters:\n" + headerFilter("%BOGUS%")));
    await(
        "the bad route's status to carry Envoy's rejection",
        WAIT,
        () -> {
          JsonNode c = routeCondition("bad", "Accepted");
          return c != null
              && c.path("status").asText().equals("False")
              && c.path("message").asText().contains("Not supported field in StreamInfo: BOGUS");
        });
    JsonNode accepted = routeCondition("bad", "Accepted");
    assertThat(accepted.path("reason").asText()).isEqualTo("UnsupportedValue");
    assertThat(accepted.path("message").asText()).startsWith("Envoy rejected the configuration");
    assertThat(routeCondition("good", "Accepted").path("status").asText()).isEqualTo("True");
    assertThat(status(port, "/good")).isEqualTo(200);
    assertThat(status(port, "/bad")).isEqualTo(404);

    // The route configuration keeps updating: a route added after the rejection is served. Had
    // the bad rule stayed in, Envoy would reject this update too and keep the old routes.
    Files.writeString(manifests.resolve("later.yaml"), route("later", "/later", ""));
    await("a route added after the NACK to serve", WAIT, () -> status(port, "/later") == 200);
    assertThat(body(port, "/later/x")).contains("\"path\" : \"/later/x\"");
    assertThat(status(port, "/good")).isEqualTo(200);

    // Fixing the route brings it back: the withheld state is forgotten when the object changes.
    Files.writeString(
        manifests.resolve("bad.yaml"),
        route("bad", "/bad", "      filters:\n" + headerFilter("fixed")));
    await("the fixed route to serve", WAIT, () -> status(port, "/bad") == 200);
    await(
        "the fixed route to be Accepted",
        WAIT,
        () -> {
          JsonNode c = routeCondition("bad", "Accepted");
          return c != null && c.path("status").asText().equals("True");
        });
    assertThat(body(port, "/bad")).containsIgnoringCase("\"x-nack-test\"");
  }

  @Test
  void aListenerEnvoyCannotBindIsReportedAndRetriedUntilItBinds() throws Exception {
    int taken = Ports.free();
    try (ServerSocket holder = new ServerSocket()) {
      holder.bind(new InetSocketAddress("0.0.0.0", taken));
      Files.writeString(manifests.resolve("gateway.yaml"), gateway(port, taken));
      await(
          "the listener's Programmed=False with Envoy's message",
          WAIT,
          () -> {
            JsonNode c = listenerCondition("extra", "Programmed");
            return c != null
                && c.path("status").asText().equals("False")
                && c.path("message").asText().contains("Address already in use");
          });
      JsonNode c = listenerCondition("extra", "Programmed");
      assertThat(c.path("reason").asText()).isEqualTo("Pending");
      assertThat(c.path("message").asText()).contains("Envoy rejected this listener");
      // The rest is served meanwhile.
      assertThat(status(port, "/good")).isEqualTo(200);
      assertThat(listenerCondition("http", "Programmed").path("status").asText()).isEqualTo("True");
      // It is retried, and still cannot bind while the port is held.
      Thread.sleep(3_000);
      assertThat(status(taken, "/good")).isEqualTo(-1);
    }
    // The port is free: the next retry binds it.
    await("the retried listener to serve", WAIT, () -> status(taken, "/good") == 200);
    await(
        "the listener's Programmed=True",
        WAIT,
        () -> {
          JsonNode p = listenerCondition("extra", "Programmed");
          return p != null && p.path("status").asText().equals("True");
        });
    assertThat(body(taken, "/good/y")).contains("\"path\" : \"/good/y\"");
    assertThat(status(port, "/good")).isEqualTo(200);
  }

  // ---------------------------------------------------------------------------------------------

  static String gateway(int port, int extraPort) {
    String extra =
        extraPort == 0
            ? ""
            : """
                - name: extra
                  protocol: HTTP
                  port: %d
            """
                .formatted(extraPort);
    return """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: GatewayClass
        metadata: {name: eg}
        spec:
          controllerName: gateway.envoyproxy.io/gatewayclass-controller
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: eg, namespace: default}
        spec:
          gatewayClassName: eg
          listeners:
            - name: http
              protocol: HTTP
              port: %d
        %s"""
        .formatted(port, extra);
  }

  String route(String name, String prefix, String filters) {
    return """
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: Backend
        metadata: {name: echo-%1$s, namespace: default}
        spec:
          endpoints:
            - ip: {address: 127.0.0.1, port: %4$d}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: %1$s, namespace: default}
        spec:
          parentRefs: [{name: eg}]
          rules:
            - matches: [{path: {type: PathPrefix, value: %2$s}}]
        %3$s      backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: echo-%1$s}]
        """
        .formatted(name, prefix, filters, echo.port());
  }

  static String headerFilter(String value) {
    return """
              - type: RequestHeaderModifier
                requestHeaderModifier:
                  set: [{name: x-nack-test, value: "%s"}]
        """
        .formatted(value);
  }

  JsonNode statusOf(String kind, String name) {
    Path f = statusDir.resolve("default").resolve(kind + "-" + name + ".yaml");
    try {
      return Files.exists(f) ? Json.YAML.readTree(Files.readString(f)) : null;
    } catch (Exception e) {
      return null; // being replaced; the next poll reads it
    }
  }

  JsonNode routeCondition(String route, String type) {
    JsonNode s = statusOf("HTTPRoute", route);
    if (s == null) {
      return null;
    }
    for (JsonNode p : s.path("status").path("parents")) {
      for (JsonNode c : p.path("conditions")) {
        if (type.equals(c.path("type").asText())) {
          return c;
        }
      }
    }
    return null;
  }

  JsonNode listenerCondition(String listener, String type) {
    JsonNode s = statusOf("Gateway", "eg");
    if (s == null) {
      return null;
    }
    for (JsonNode l : s.path("status").path("listeners")) {
      if (listener.equals(l.path("name").asText())) {
        for (JsonNode c : l.path("conditions")) {
          if (type.equals(c.path("type").asText())) {
            return c;
          }
        }
      }
    }
    return null;
  }

  static int status(int port, String path) {
    try {
      return get(port, path).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  static String body(int port, String path) throws Exception {
    return get(port, path).body();
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
