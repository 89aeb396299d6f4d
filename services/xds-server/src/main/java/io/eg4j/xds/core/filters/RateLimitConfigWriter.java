package io.eg4j.xds.core.filters;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.traffic.RateLimitServiceConfigs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
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
  // Per IR key, only its routes that have a global rate limit: all the configuration files are
  // made of. Keeping whole IRs here held a third copy of every route at thousands of routes.
  private final Map<String, List<HttpRouteIr>> limited = new TreeMap<>();

  /** A writer into {@code dir}, created when missing. */
  public RateLimitConfigWriter(Path dir) {
    this.dir = dir;
  }

  /** The IR of {@code key} is now {@code ir} (null: removed); rewrites the files that changed. */
  public synchronized void apply(String key, XdsIr ir) {
    List<HttpRouteIr> routes = ir == null ? List.of() : limitedRoutes(ir);
    if (routes.isEmpty()) {
      limited.remove(key);
    } else {
      limited.put(key, routes);
    }
    List<HttpRouteIr> all = new ArrayList<>();
    limited.values().forEach(all::addAll);
    try {
      write(RateLimitServiceConfigs.ofRoutes(all));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the rate limit configuration in " + dir, e);
    }
  }

  private static List<HttpRouteIr> limitedRoutes(XdsIr ir) {
    List<HttpRouteIr> out = new ArrayList<>();
    for (HttpListenerIr l : ir.http()) {
      for (HttpRouteIr r : l.routes()) {
        if (r.traffic() != null && r.traffic().globalRateLimit() != null) {
          out.add(r);
        }
      }
    }
    return List.copyOf(out);
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
