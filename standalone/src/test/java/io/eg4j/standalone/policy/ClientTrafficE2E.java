package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * ClientTrafficPolicy listener settings through the real envoy: HTTP/1.0 is refused (426) until a
 * policy accepts it, and the policy's client IP detection takes the client address from a custom
 * header, which an authorization rule by client CIDR then sees.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientTrafficE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer echo;
  String base;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    echo = EchoServer.start(0, "echo", "default");
    base =
        stack.gateway()
            + "---\n"
            + PolicyStack.service("echo", echo.port())
            + """
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: app}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /}}]
                backendRefs: [{name: echo, port: 8080}]
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: SecurityPolicy
            metadata: {namespace: default, name: office}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}]
              authorization:
                defaultAction: Deny
                rules:
                - {name: office, action: Allow, principal: {clientCIDRs: [127.0.0.0/8, 203.0.113.0/24]}}
            """;
    stack.apply(base);
    stack.await("the route serves", () -> Http.get(stack.port(), "x.test", "/a").status() == 200);
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

  private String http10(String headers) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", stack.port()), 5000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /a HTTP/1.0\r\nHost: x.test\r\n" + headers + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12);
      return new String(head, StandardCharsets.US_ASCII);
    }
  }

  @Test
  void thePolicyChangesHowTheListenerTreatsClients() throws Exception {
    assertThat(http10("")).as("Envoy refuses HTTP/1.0 by default").endsWith(" 426");
    // Without detection the client is 127.0.0.1, allowed by the office rule, header or not.
    assertThat(Http.get(stack.port(), "x.test", "/a", "x-client", "198.51.100.7").status())
        .isEqualTo(200);
    stack.apply(
        base
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: ClientTrafficPolicy
            metadata: {namespace: default, name: clients}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
              http1:
                http10: {}
              timeout:
                http: {idleTimeout: 30s, requestReceivedTimeout: 10s}
              tcpKeepalive: {probes: 3, idleTime: 60s, interval: 10s}
              clientIPDetection:
                customHeader: {name: x-client, failClosed: true}
            """);
    stack.await(
        "the client address comes from x-client",
        () -> Http.get(stack.port(), "x.test", "/a", "x-client", "198.51.100.7").status() == 403);
    assertThat(Http.get(stack.port(), "x.test", "/a", "x-client", "203.0.113.9").status())
        .isEqualTo(200);
    assertThat(Http.get(stack.port(), "x.test", "/a").status())
        .as("failClosed: a request without the header is refused")
        .isEqualTo(403);
    assertThat(http10("x-client: 203.0.113.9\r\n")).startsWith("HTTP/1.").endsWith(" 200");
  }
}
