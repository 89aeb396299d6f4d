package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the translator's {@code core} package pure (STYLE.md "Layout shows the architecture"): no
 * Spring, Kafka or Kubernetes client imports, so it stays testable and usable from the CLI.
 */
class CoreImportBoundaryTest {
  private static final List<String> FORBIDDEN =
      List.of(
          "org.springframework.",
          "org.apache.kafka.",
          "io.fabric8.kubernetes.client",
          "io.eg4j.translator.kafka",
          "io.eg4j.translator.app",
          "io.eg4j.translator.k8s");

  @Test
  void coreImportsNoFrameworks() throws IOException {
    Path core = Path.of("src/main/java/io/eg4j/translator/core");
    List<String> violations = new ArrayList<>();
    try (Stream<Path> files = Files.walk(core)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        for (String line : Files.readAllLines(f)) {
          String t = line.trim();
          if (t.startsWith("import ")) {
            for (String bad : FORBIDDEN) {
              if (t.contains(bad)) {
                violations.add(f.getFileName() + ": " + t);
              }
            }
          }
        }
      }
    }
    assertThat(violations).as("forbidden imports in core").isEmpty();
    assertThat(core.resolve("Translator.java")).exists();
  }
}
