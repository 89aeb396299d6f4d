package io.eg4j.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eg4j.standalone.launcher.KubernetesTarget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RunCommandTest {

  @Test
  void defaults() {
    RunCommand.Args a = RunCommand.parse(List.of("examples/quickstart"));
    assertThat(a.dir()).isEqualTo(Path.of("examples/quickstart"));
    assertThat(a.dataDir()).isEqualTo(Path.of(".eg4j/data"));
    assertThat(a.clean()).isFalse();
    assertThat(a.demoEcho()).isFalse();
    assertThat(a.config()).isNull();
    assertThat(a.envoy()).isNull();
  }

  @Test
  void everyOption() {
    RunCommand.Args a =
        RunCommand.parse(
            List.of(
                "--demo-echo",
                "dir",
                "--data-dir",
                "/tmp/d",
                "--clean",
                "--config=c.yaml",
                "--envoy",
                ".venv/bin/envoy"));
    assertThat(a.dir()).isEqualTo(Path.of("dir"));
    assertThat(a.dataDir()).isEqualTo(Path.of("/tmp/d"));
    assertThat(a.clean()).isTrue();
    assertThat(a.demoEcho()).isTrue();
    assertThat(a.config()).isEqualTo(Path.of("c.yaml"));
    assertThat(a.envoy()).isEqualTo(".venv/bin/envoy");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "--nope", "a b", "--data-dir"})
  void badArgumentsAreRejected(String args) {
    List<String> list = args.isEmpty() ? List.of() : List.of(args.split(" "));
    if (list.equals(List.of("--data-dir"))) {
      list = List.of("dir", "--data-dir");
    }
    List<String> finalList = list;
    assertThatThrownBy(() -> RunCommand.parse(finalList))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void kubeconfigWithAndWithoutAFile() {
    RunCommand.Args a =
        RunCommand.parse(List.of("--kubeconfig", "/k/config", "--controller-namespace", "eg"));
    assertThat(a.kubernetes()).isTrue();
    assertThat(a.kubeconfig()).isEqualTo(Path.of("/k/config"));
    assertThat(a.controllerNamespace()).isEqualTo("eg");
    assertThat(a.dir()).isNull();
    // Without a file: KUBECONFIG or ~/.kube/config, resolved as kubectl does.
    RunCommand.Args b = RunCommand.parse(List.of("--kubeconfig", "--clean"));
    assertThat(b.kubernetes()).isTrue();
    assertThat(b.kubeconfig()).isNull();
    assertThat(b.clean()).isTrue();
    assertThat(b.controllerNamespace()).isNull();
    assertThat(RunCommand.parse(List.of("--kubeconfig=/k")).kubeconfig()).isEqualTo(Path.of("/k"));
    assertThat(RunCommand.parse(List.of("--kubeconfig")).kubeconfig()).isNull();
  }

  @Test
  void xdsAddressForProxiesThatAreNotOnLoopback() {
    assertThat(RunCommand.parse(List.of("--kubeconfig")).xdsAddress()).isNull();
    assertThat(
            RunCommand.parse(List.of("--kubeconfig", "/k", "--xds-address", "10.0.0.5"))
                .xdsAddress())
        .isEqualTo("10.0.0.5");
    assertThat(RunCommand.parse(List.of("--kubeconfig", "--xds-address=10.0.0.6")).xdsAddress())
        .isEqualTo("10.0.0.6");
    // The launcher's default is loopback.
    assertThat(new KubernetesTarget(null, null, null).xdsAddress()).isEqualTo("127.0.0.1");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "dir --kubeconfig /k",
        "--kubeconfig /k --demo-echo",
        "dir --controller-namespace ns",
        "--kubeconfig --controller-namespace",
        "dir --xds-address 10.0.0.5"
      })
  void kubernetesModeRejectsWhatDoesNotFit(String args) {
    assertThatThrownBy(() -> RunCommand.parse(List.of(args.split(" "))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void runHelpListsKubernetesMode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    assertThat(Main.run(List.of("run", "--help"), o, System.err)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("run DIR", "run --kubeconfig [FILE]", "--controller-namespace NS", "KUBECONFIG");
  }

  @Test
  void anUnreadableKubeconfigExitsNamingTheFile(@org.junit.jupiter.api.io.TempDir Path tmp) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Path missing = tmp.resolve("no-such-kubeconfig");
    List<String> props =
        List.of("kubeconfig", "kubernetes.auth.tryServiceAccount", "kubernetes.auth.tryKubeConfig");
    java.util.Map<String, String> saved = new java.util.HashMap<>();
    props.forEach(k -> saved.put(k, System.getProperty(k)));
    try {
      int code =
          Main.run(
              List.of(
                  "run",
                  "--kubeconfig",
                  missing.toString(),
                  "--data-dir",
                  tmp.resolve("data").toString()),
              System.out,
              e);
      assertThat(code).isEqualTo(1);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("could not start", "cannot read the kubeconfig " + missing, "no such file")
          .doesNotContain("details in");
      // The whole process reads that kubeconfig, also when fabric8 refreshes credentials later.
      assertThat(System.getProperty("kubeconfig")).isEqualTo(missing.toString());
      assertThat(System.getProperty("kubernetes.auth.tryServiceAccount")).isEqualTo("false");
    } finally {
      saved.forEach(
          (k, v) -> {
            if (v == null) {
              System.clearProperty(k);
            } else {
              System.setProperty(k, v);
            }
          });
    }
  }

  @Test
  void mainPrintsUsageAndRejectsUnknownCommands() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertThat(Main.run(List.of("help"), o, e)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("run DIR", "translate", "certgen");
    assertThat(Main.run(List.of("frobnicate"), o, e)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command frobnicate");
    assertThat(Main.run(List.of("run"), o, e)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("missing the manifest directory");
  }

  @Test
  void portOffset() {
    assertThat(RunCommand.parse(List.of("dir")).portOffset()).isZero();
    assertThat(RunCommand.parse(List.of("dir", "--port-offset", "100")).portOffset())
        .isEqualTo(100);
    assertThat(RunCommand.parse(List.of("--port-offset=7", "dir")).portOffset()).isEqualTo(7);
    assertThatThrownBy(() -> RunCommand.parse(List.of("dir", "--port-offset", "x")))
        .hasMessageContaining("--port-offset needs a number, got x");
    assertThatThrownBy(() -> RunCommand.parse(List.of("dir", "--port-offset", "-1")))
        .hasMessageContaining("between 0 and 40000");
    assertThatThrownBy(() -> RunCommand.parse(List.of("dir", "--port-offset=50000")))
        .hasMessageContaining("between 0 and 40000");
  }
}
