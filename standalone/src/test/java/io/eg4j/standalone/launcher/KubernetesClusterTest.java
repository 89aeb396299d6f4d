package io.eg4j.standalone.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check before Kubernetes mode starts anything: an unreadable kubeconfig names the file, an
 * unreachable API server names its URL, and nothing is left running.
 */
class KubernetesClusterTest {

  @Test
  void aMissingKubeconfigIsNamed(@TempDir Path tmp) {
    Path missing = tmp.resolve("nope/kubeconfig");
    assertThatThrownBy(() -> KubernetesCluster.check(missing))
        .isInstanceOf(KubernetesCluster.UnavailableException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("no such file");
  }

  @Test
  void aKubeconfigThatIsNoYamlIsNamed(@TempDir Path tmp) throws Exception {
    Path bad = tmp.resolve("kubeconfig");
    Files.writeString(bad, "{{{ not: [yaml");
    assertThatThrownBy(() -> KubernetesCluster.check(bad))
        .isInstanceOf(KubernetesCluster.UnavailableException.class)
        .hasMessageContaining("cannot read the kubeconfig " + bad);
  }

  @Test
  void anUnreachableServerIsNamedWithItsFile(@TempDir Path tmp) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path kubeconfig = kubeconfig(tmp, "https://127.0.0.1:" + port, "some-token");
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> KubernetesCluster.check(kubeconfig))
        .isInstanceOf(KubernetesCluster.UnavailableException.class)
        .hasMessageContaining("cannot reach the Kubernetes API server at https://127.0.0.1:" + port)
        .hasMessageContaining(kubeconfig.toString())
        .hasMessageContaining("context laptop");
    assertThat((System.nanoTime() - t0) / 1e9).as("seconds to give up").isLessThan(30);
  }

  @Test
  void theLauncherFailsBeforeStartingAnything(@TempDir Path tmp) {
    Path missing = tmp.resolve("kubeconfig");
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    StandaloneOptions options =
        StandaloneOptions.forKubernetesTest(
            new KubernetesTarget(missing, null, null),
            tmp.resolve("data"),
            new PrintStream(progress, true, StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Standalone.start(options))
        .hasMessageContaining("cannot read the kubeconfig " + missing);
    assertThat(tmp.resolve("data")).as("no data directory, no broker").doesNotExist();
  }

  @Test
  void defaultsAndPerServiceKubeconfigs() {
    KubernetesTarget t =
        new KubernetesTarget(
            Path.of("/a/kubeconfig"), null, java.util.Map.of("watcher", Path.of("/w")));
    assertThat(t.controllerNamespace()).isEqualTo("envoy-gateway-system");
    assertThat(t.kubeconfigOf("watcher")).isEqualTo(Path.of("/w"));
    assertThat(t.kubeconfigOf("provisioner")).isEqualTo(Path.of("/a/kubeconfig"));
  }

  @Test
  void theKubeconfigPropertyIsSetOnlyWhileABodyRuns() throws Exception {
    String before = System.getProperty("kubeconfig");
    String during =
        KubernetesCluster.withKubeconfig(
            Path.of("/x/kubeconfig"), () -> System.getProperty("kubeconfig"));
    assertThat(during).isEqualTo("/x/kubeconfig");
    assertThat(System.getProperty("kubeconfig")).isEqualTo(before);
  }

  static Path kubeconfig(Path dir, String server, String token) throws Exception {
    Path f = dir.resolve("kubeconfig-" + System.nanoTime());
    Files.writeString(
        f,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "%s", insecure-skip-tls-verify: true}
        users:
        - name: u
          user: {token: "%s"}
        contexts:
        - name: laptop
          context: {cluster: c, user: u, namespace: default}
        current-context: laptop
        """
            .formatted(server, token));
    return f;
  }
}
