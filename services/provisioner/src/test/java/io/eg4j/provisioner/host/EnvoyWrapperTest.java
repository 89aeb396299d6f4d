package io.eg4j.provisioner.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The sh wrapper that makes sure no Envoy outlives the JVM that started it. */
class EnvoyWrapperTest {

  private static Process wrap(String... command) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(List.of("sh", "-c", EnvoyProcess.WRAPPER, "wrapper-test"));
    cmd.addAll(List.of(command));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  private static ProcessHandle child(Process p) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      var c =
          p.descendants().filter(h -> h.info().command().orElse("").endsWith("sleep")).findAny();
      if (c.isPresent()) {
        return c.get();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the wrapped command did not start");
  }

  @Test
  void closingStdinLikeADyingParentKillsTheChild() throws Exception {
    Process p = wrap("sleep", "60");
    ProcessHandle sleep = child(p);
    // What the kernel does when the JVM dies, even of SIGKILL: the pipe's write end closes.
    p.getOutputStream().close();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    sleep.onExit().get(10, TimeUnit.SECONDS);
    assertThat(sleep.isAlive()).isFalse();
  }

  @Test
  void sigtermOnTheWrapperStopsTheChild() throws Exception {
    Process p = wrap("sleep", "60");
    ProcessHandle sleep = child(p);
    p.destroy();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    sleep.onExit().get(10, TimeUnit.SECONDS);
    assertThat(sleep.isAlive()).isFalse();
  }

  @Test
  void theChildsExitCodeIsTheWrappersExitCode() throws Exception {
    Process p = wrap("sh", "-c", "exit 3");
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(3);
  }

  @Test
  void terminateLeavesNothingBehind() throws Exception {
    Process p = wrap("sleep", "60");
    ProcessHandle sleep = child(p);
    EnvoyProcess.terminate(p, Duration.ofSeconds(5));
    assertThat(p.isAlive()).isFalse();
    assertThat(sleep.isAlive()).isFalse();
  }
}
