package io.eg4j.standalone;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Helpers shared by the whole-stack tests. */
final class StackTestSupport {
  private StackTestSupport() {}

  /** Polls {@code condition} every 100 ms until it holds or {@code timeout} passes. */
  static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + what);
  }

  /** The text of every file under {@code dir}. */
  static List<String> filesUnder(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(
              p -> {
                try {
                  return Files.readString(p);
                } catch (IOException e) {
                  return "";
                }
              })
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** True when some status file under {@code dir} is about the given kind and name. */
  static boolean statusFileMentions(Path dir, String kind, String name, String text) {
    return filesUnder(dir).stream()
        .anyMatch(
            s -> s.contains("kind: " + kind) && s.contains("name: " + name) && s.contains(text));
  }

  /** Copies the quickstart with the listener and echo ports replaced. */
  static void writeQuickstart(Path dir, int listenerPort, int echoPort) throws IOException {
    Files.createDirectories(dir);
    Path src = Path.of("../examples/quickstart");
    try (Stream<Path> s = Files.list(src)) {
      for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        String text =
            Files.readString(f)
                .replace("port: 8888", "port: " + listenerPort)
                .replace("port: 3000", "port: " + echoPort);
        Files.writeString(dir.resolve(f.getFileName()), text);
      }
    }
  }
}
