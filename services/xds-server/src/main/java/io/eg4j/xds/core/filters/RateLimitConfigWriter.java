package io.eg4j.xds.core.filters;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.traffic.RateLimitServiceConfigs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Keeps a directory of rate limit service configuration files ({@link RateLimitServiceConfigs}, one
 * file per domain) in step with every IR the xds-server serves: the envoyproxy/ratelimit service
 * that runs beside the proxies on a host reads that directory ({@code
 * RUNTIME_ROOT/RUNTIME_SUBDIRECTORY/config}) and reloads when it changes. Files are replaced
 * atomically, so the service never reads half a file; files of domains no IR has any more are
 * removed.
 */
public final class RateLimitConfigWriter {
  private final Path dir;
  private final Map<String, XdsIr> irs = new TreeMap<>();

  /** A writer into {@code dir}, created when missing. */
  public RateLimitConfigWriter(Path dir) {
    this.dir = dir;
  }

  /** The IR of {@code key} is now {@code ir} (null: removed); rewrites the files that changed. */
  public synchronized void apply(String key, XdsIr ir) {
    if (ir == null) {
      irs.remove(key);
    } else {
      irs.put(key, ir);
    }
    try {
      write(RateLimitServiceConfigs.of(List.copyOf(irs.values())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the rate limit configuration in " + dir, e);
    }
  }

  private void write(Map<String, String> docs) throws IOException {
    Files.createDirectories(dir);
    Set<String> wanted = new HashSet<>();
    for (Map.Entry<String, String> e : docs.entrySet()) {
      String name = RateLimitServiceConfigs.fileName(e.getKey());
      wanted.add(name);
      Path target = dir.resolve(name);
      if (Files.exists(target) && Files.readString(target).equals(e.getValue())) {
        continue;
      }
      // Dot files are ignored by the service (RUNTIME_IGNOREDOTFILES), so it never loads the
      // temporary one.
      Path tmp = dir.resolve("." + name + ".tmp");
      Files.writeString(tmp, e.getValue());
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".yaml") && !n.startsWith(".") && !wanted.contains(n)) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}
