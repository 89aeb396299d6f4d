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

  /** The lock file name: held by the running instance, with its pid in it. */
  public static final String LOCK = ".eg4j-lock";

  private final Path root;

  /** The data directory at {@code root}. */
  public DataDir(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** Creates the directory (and marker) when missing; refuses a non-empty foreign directory. */
  public DataDir prepare() throws IOException {
    refuseForeign();
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

  /**
   * Locks the directory for this process, so that a second instance on it (whose broker and proxies
   * would share the files) stops at once with a message that says what to do. The lock goes with
   * {@link Lock#close()}, or with the process.
   */
  public Lock lock() throws IOException {
    refuseForeign();
    Files.createDirectories(root);
    Path file = root.resolve(LOCK);
    java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(
            file,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.READ,
            java.nio.file.StandardOpenOption.WRITE);
    java.nio.channels.FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      lock = null; // this JVM holds it already: another instance in the same process
    }
    if (lock == null) {
      String holder;
      try {
        holder = Files.readString(file).trim();
      } catch (IOException e) {
        holder = "";
      } finally {
        ch.close();
      }
      throw new IOException(
          "the data directory "
              + root
              + " is in use by another eg4j"
              + (holder.isEmpty() ? "" : " (pid " + holder + ")")
              + "; give this one its own with --data-dir DIR (and --port-offset N for its ports)");
    }
    ch.truncate(0);
    ch.write(
        java.nio.ByteBuffer.wrap(
            (ProcessHandle.current().pid() + "\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    return new Lock(ch, lock);
  }

  /** A held data-directory lock. */
  public static final class Lock implements AutoCloseable {
    private final java.nio.channels.FileChannel channel;
    private final java.nio.channels.FileLock lock;

    private Lock(java.nio.channels.FileChannel channel, java.nio.channels.FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() {
      try {
        lock.release();
        channel.close();
      } catch (IOException e) {
        // The process's exit releases it too.
      }
    }
  }

  private void refuseForeign() throws IOException {
    if (Files.isDirectory(root) && !Files.exists(root.resolve(MARKER)) && !isEmpty(root)) {
      throw new IOException(
          root + " is not empty and was not created by eg4j; choose another --data-dir");
    }
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
            // The lock file stays: this instance holds it while it wipes.
            if (!file.equals(root.resolve(LOCK))) {
              Files.delete(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            if (!dir.equals(root) || !Files.exists(root.resolve(LOCK))) {
              Files.delete(dir);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return true;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      // The lock file and the launcher's own log alone: the directory of an instance that is
      // starting (in Kubernetes mode the cluster check logs before the lock is taken).
      return s.allMatch(f -> f.getFileName().toString().equals(LOCK) || isOwnLogDirectory(f));
    }
  }

  /** {@code logs/} holding nothing but the launcher's {@code eg4j.log*} files. */
  private static boolean isOwnLogDirectory(Path p) {
    if (!p.getFileName().toString().equals("logs") || !Files.isDirectory(p)) {
      return false;
    }
    try (Stream<Path> s = Files.list(p)) {
      return s.allMatch(
          f -> Files.isRegularFile(f) && f.getFileName().toString().startsWith("eg4j.log"));
    } catch (IOException e) {
      return false;
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
