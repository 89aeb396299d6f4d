package io.eg4j.standalone.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoBackendsTest {
  @TempDir Path tmp;

  @Test
  void theQuickstartBackendIsServedOnPort3000() throws Exception {
    assertThat(DemoBackends.loopbackPorts(Path.of("../examples/quickstart"))).containsExactly(3000);
  }

  @Test
  void onlyLoopbackIpEndpointsOfBackendsCount() throws Exception {
    Files.writeString(
        tmp.resolve("a.yaml"),
        """
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: Backend
        metadata: {name: a, namespace: default}
        spec:
          endpoints:
            - ip: {address: 127.0.0.1, port: 4001}
            - ip: {address: 10.0.0.1, port: 4002}
            - fqdn: {hostname: example.com, port: 4003}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: default}
        spec: {ports: [{port: 4004}]}
        """);
    Files.writeString(tmp.resolve("broken.yaml"), "kind: [unclosed");
    assertThat(DemoBackends.loopbackPorts(tmp)).containsExactly(4001);
  }
}
