package io.eg4j.standalone.launcher;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * The standalone data directory: {@code kafka/} (the broker), {@code status/} (statuses), {@code
 * envoy/} (proxy bootstraps and logs), {@code certs/} (xDS TLS), {@code bus.key} (the AES key for
 * Secret data on the bus) and {@code logs/}. A marker file says eg4j made it, so {@code --clean}
 * never wipes a directory it did not create.
 */
public final class DataDir {
  /** The marker file name. */
  public static final String MARKER = ".eg4j-data-dir";

  private final Path root;

  /** The data directory at {@code root}. */
  public DataDir(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** Creates the directory (and marker) when missing; refuses a non-empty foreign directory. */
  public DataDir prepare() throws IOException {
    if (Files.isDirectory(root) && !Files.exists(root.resolve(MARKER)) && !isEmpty(root)) {
      throw new IOException(
          root + " is not empty and was not created by eg4j; choose another --data-dir");
    }
    Files.createDirectories(root);
    if (!Files.exists(root.resolve(MARKER))) {
      Files.writeString(
          root.resolve(MARKER), "eg4j standalone data; `./eg4j run --clean` wipes it\n");
    }
    for (Path p : new Path[] {kafka(), status(), envoy(), certs(), logs()}) {
      Files.createDirectories(p);
    }
    return this;
  }

  /** Deletes everything below the root, if eg4j made it; returns whether anything was wiped. */
  public boolean wipe() throws IOException {
    if (!Files.exists(root)) {
      return false;
    }
    if (!Files.exists(root.resolve(MARKER))) {
      if (isEmpty(root)) {
        return false;
      }
      throw new IOException(root + " was not created by eg4j; refusing to wipe it");
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
    return true;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  public Path root() {
    return root;
  }

  public Path kafka() {
    return root.resolve("kafka");
  }

  public Path status() {
    return root.resolve("status");
  }

  public Path envoy() {
    return root.resolve("envoy");
  }

  public Path certs() {
    return root.resolve("certs");
  }

  public Path logs() {
    return root.resolve("logs");
  }

  public Path busKey() {
    return root.resolve("bus.key");
  }

  public Path gatewayConfig() {
    return root.resolve("envoy-gateway.yaml");
  }
}
