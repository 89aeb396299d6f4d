package io.eg4j.standalone.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.echo.EchoServer;
import io.eg4j.xds.testing.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * BackendTrafficPolicy {@code routingType} through the real envoy. The Service's cluster IP and
 * port (127.0.0.1 and the port of one echo server, standing in for kube-proxy's virtual address)
 * lead to {@code echo-vip}; its EndpointSlice names another echo server, {@code echo-pod}. Requests
 * go to the pod by default and to the cluster IP once a policy asks for Service routing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoutingTypeE2E {
  @TempDir static Path dir;
  PolicyStack stack;
  EchoServer vip;
  EchoServer pod;
  String base;

  @BeforeAll
  void start() throws Exception {
    stack = PolicyStack.start(dir);
    vip = EchoServer.start(0, "echo-vip", "default");
    pod = EchoServer.start(0, "echo-pod", "default");
    base =
        stack.gateway()
            + """
            ---
            apiVersion: v1
            kind: Service
            metadata: {namespace: default, name: app}
            spec:
              clusterIP: 127.0.0.1
              ports: [{name: http, port: %1$d, protocol: TCP}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              namespace: default
              name: app-1
              labels: {kubernetes.io/service-name: app}
            addressType: IPv4
            ports: [{name: http, port: %2$d, protocol: TCP}]
            endpoints:
            - addresses: [127.0.0.1]
              conditions: {ready: true}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: default, name: app}
            spec:
              parentRefs: [{name: eg}]
              rules:
              - backendRefs: [{name: app, port: %1$d}]
            """
                .formatted(vip.port(), pod.port());
    stack.apply(base);
    stack.await("the route serves", () -> Http.get(stack.port(), "x.test", "/a").status() == 200);
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
    for (EchoServer e : new EchoServer[] {vip, pod}) {
      if (e != null) {
        e.close();
      }
    }
  }

  private String backend() throws Exception {
    Http.Response r = Http.get(stack.port(), "x.test", "/a");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode body = Json.MAPPER.readTree(r.body());
    return body.path("pod").asText();
  }

  @Test
  void serviceRoutingSendsRequestsToTheClusterIp() throws Exception {
    assertThat(backend()).as("endpoint routing by default").isEqualTo("echo-pod");
    stack.apply(
        base
            + """
            ---
            apiVersion: gateway.envoyproxy.io/v1alpha1
            kind: BackendTrafficPolicy
            metadata: {namespace: default, name: vip}
            spec:
              targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}]
              routingType: Service
            """);
    stack.await(
        "requests reach the cluster IP",
        () -> {
          try {
            return backend().equals("echo-vip");
          } catch (Exception e) {
            return false;
          }
        });
    for (int i = 0; i < 5; i++) {
      assertThat(backend()).isEqualTo("echo-vip");
    }
  }
}
