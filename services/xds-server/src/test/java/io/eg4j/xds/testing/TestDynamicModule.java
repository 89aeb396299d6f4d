package io.eg4j.xds.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The test dynamic module ({@code eg4j_test_module.c} beside this class): an Envoy HTTP filter that
 * sets {@code x-dynamic-module: <filter name>:<filter config>} on every response, and a load
 * balancer ({@link #LOAD_BALANCER}) that sends every request to the healthy host whose address
 * ({@code 127.0.0.1:8080}) its config names, else to the first one. Compiled here with the
 * machine's C compiler ({@code cc}, else {@code gcc}) into a shared library for the tests that load
 * a local module into the real envoy.
 */
public final class TestDynamicModule {
  /** The response header the module sets. */
  public static final String HEADER = "x-dynamic-module";

  /** The name of the module's load balancer; Envoy refuses a cluster that asks for another. */
  public static final String LOAD_BALANCER = "eg4j-pinned";

  private TestDynamicModule() {}

  /**
   * Compiles the module into {@code dir} and returns the shared library's absolute path. Fails the
   * test when no C compiler works.
   */
  public static Path build(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path source = dir.resolve("eg4j_test_module.c");
    try (InputStream in = TestDynamicModule.class.getResourceAsStream("eg4j_test_module.c")) {
      if (in == null) {
        fail("eg4j_test_module.c is not on the test classpath");
      }
      Files.write(source, in.readAllBytes());
    }
    Path library = dir.resolve("libeg4j_test_module.so").toAbsolutePath();
    StringBuilder problems = new StringBuilder();
    for (String compiler : new String[] {"cc", "gcc"}) {
      ProcessBuilder pb =
          new ProcessBuilder(
                  compiler, "-shared", "-fPIC", "-O2", "-o", library.toString(), source.toString())
              .redirectErrorStream(true);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        problems.append(compiler).append(": ").append(e.getMessage()).append('\n');
        continue;
      }
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        problems.append(compiler).append(": timed out\n");
        continue;
      }
      if (p.exitValue() == 0 && Files.isRegularFile(library)) {
        return library;
      }
      problems.append(compiler).append(": ").append(output).append('\n');
    }
    fail("cannot compile the test dynamic module:\n" + problems);
    return library;
  }
}
