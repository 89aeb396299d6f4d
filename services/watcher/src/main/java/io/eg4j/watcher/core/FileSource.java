package io.eg4j.watcher.core;

import io.eg4j.model.yaml.ManifestReader.ManifestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The file source: a directory of Kubernetes YAML, watched recursively with a {@link WatchService}.
 * After watch events, only the files the events name are read and only what they change is
 * delivered ({@link ManifestDirectory#changes}, {@link ResourceSink#changes}), so a change costs
 * the same in a tree of ten files or ten thousand. The full state is delivered at start, whenever
 * the events cannot tell what changed (an overflow, a directory, a symbolic link) or the sink asks
 * for it, and the whole tree is re-read periodically as a safety net for events the platform drops:
 * after {@code rescanInterval} without events every file is read, and while events keep coming
 * every file's stamp is compared at least once per {@code rescanInterval}.
 *
 * <p>Events are debounced adaptively. When the source is idle, a change is delivered as soon as the
 * tree has been quiet for {@code debounce} (a few milliseconds: an editor's save or a rename is a
 * burst of events within a millisecond or two), so one edited file reaches the bus at once. While
 * events keep coming (a directory being copied in), they are coalesced until the tree is quiet or
 * {@code maxDelay} has passed; and a delivery never starts sooner after the previous one than twice
 * what that one cost, so a directory of 10,000 files is read in a few big scans, not 10,000 small
 * ones.
 */
public final class FileSource implements ResourceSource {
  private final ManifestDirectory directory;
  private final Duration debounce;
  private final Duration maxDelay;
  private final Duration rescanInterval;
  private final Consumer<ManifestException> onError;
  private volatile boolean running;
  private WatchService watcher;
  private Thread thread;
  private ResourceSink sink;
  // Paths named by the events drained since the last round, and whether they cannot tell (an
  // overflow, a watch key that is no longer valid). Only the loop's thread touches them.
  private final java.util.Set<Path> pending = new java.util.HashSet<>();
  private boolean pendingFull;
  // The watch key of each directory, by the path it was registered under: a key keeps that path
  // when its directory is renamed, so the keys of a directory moved away are cancelled (its new
  // name is registered afresh), lest events be reported under a path that no longer holds them.
  private final Map<Path, WatchKey> keys = new HashMap<>();
  // Set while a round is under way: when it fails, the next round (on the next event, or after
  // rescanInterval, as before) delivers the full state without the hint of what changed, so
  // nothing the failed round read is lost.
  private boolean deliveryFailed;

  /**
   * A file source.
   *
   * @param root the directory (created if missing)
   * @param debounce quiet time after the last file event before rescanning
   * @param rescanInterval how often the tree is rescanned without events
   * @param onError told about each file that changed and fails to parse
   */
  public FileSource(
      Path root, Duration debounce, Duration rescanInterval, Consumer<ManifestException> onError) {
    this(root, debounce, Duration.ofSeconds(2), rescanInterval, onError);
  }

  /**
   * A file source.
   *
   * @param root the directory (created if missing)
   * @param debounce quiet time after the last file event before rescanning
   * @param maxDelay the longest a change waits while events keep coming
   * @param rescanInterval how often the tree is re-read in full without events
   * @param onError told about each file that changed and fails to parse
   */
  public FileSource(
      Path root,
      Duration debounce,
      Duration maxDelay,
      Duration rescanInterval,
      Consumer<ManifestException> onError) {
    this.directory = new ManifestDirectory(root);
    this.debounce = debounce;
    this.maxDelay = maxDelay;
    this.rescanInterval = rescanInterval;
    this.onError = onError;
  }

  @Override
  public synchronized void start(ResourceSink sink) {
    this.sink = sink;
    try {
      Files.createDirectories(directory.root());
      watcher = FileSystems.getDefault().newWatchService();
      registerTree(directory.root());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot watch " + directory.root(), e);
    }
    scanAndDeliver();
    running = true;
    thread = new Thread(this::loop, "eg4j-watcher-files");
    thread.setDaemon(true);
    thread.start();
  }

  /** Reads every file now and delivers the state; also what the periodic re-read runs. */
  public synchronized void scanAndDeliver() {
    scanAndDeliver(true);
  }

  private synchronized void scanAndDeliver(boolean readAll) {
    boolean hint = !deliveryFailed;
    deliveryFailed = true;
    ManifestDirectory.Scan scan = directory.scan(readAll);
    scan.newErrors().forEach(onError);
    sink.resync(scan.objects(), scan.complete(), scan.seen(), hint ? scan.changedKeys() : null);
    deliveryFailed = false;
  }

  /**
   * Reads the files the events named and delivers what they changed; returns false, having read
   * nothing, when the full state is needed instead.
   */
  private synchronized boolean deliverChanges(java.util.Set<Path> paths) {
    if (deliveryFailed || !sink.takesChanges()) {
      return false;
    }
    // Set until the sink has what the read changed: a failure in between means a full round.
    deliveryFailed = true;
    ManifestDirectory.Changes changes = directory.changes(paths);
    if (changes == null) {
      deliveryFailed = false;
      return false;
    }
    changes.newErrors().forEach(onError);
    if (!changes.objects().isEmpty() || !changes.deleted().isEmpty()) {
      sink.changes(changes.objects(), changes.deleted(), changes.complete());
    }
    deliveryFailed = false;
    return true;
  }

  private void loop() {
    long lastEnd = System.nanoTime();
    long lastCost = 0;
    long lastFull = lastEnd;
    while (running) {
      try {
        WatchKey key = watcher.poll(rescanInterval.toMillis(), TimeUnit.MILLISECONDS);
        boolean events = key != null;
        if (events) {
          drain(key);
          settle(lastEnd + 2 * lastCost);
        }
        long start = System.nanoTime();
        java.util.Set<Path> paths = java.util.Set.copyOf(pending);
        boolean full = !events || pendingFull || start - lastFull >= rescanInterval.toNanos();
        pending.clear();
        pendingFull = false;
        if (full || !deliverChanges(paths)) {
          // After events, files whose size, modification time and inode are unchanged are not
          // read again; the periodic re-read (no event for rescanInterval) reads every file.
          scanAndDeliver(!events);
          lastFull = System.nanoTime();
        }
        lastEnd = System.nanoTime();
        lastCost = lastEnd - start;
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      } catch (RuntimeException e) {
        // A failing sink or an unreadable tree must not end the watch; the next round retries.
        org.slf4j.LoggerFactory.getLogger(FileSource.class)
            .error("file source round failed: {}", e.toString(), e);
        sleepQuietly();
      }
    }
  }

  /**
   * Waits until the tree has been quiet for {@code debounce} and {@code notBefore} has passed, or
   * until {@code maxDelay} after the first event.
   */
  private void settle(long notBefore) throws InterruptedException {
    long first = System.nanoTime();
    long quiet = Math.max(1, debounce.toNanos());
    long lastEvent = first;
    while (true) {
      long now = System.nanoTime();
      if (now - first >= maxDelay.toNanos()) {
        return;
      }
      long wait = Math.max(lastEvent + quiet, notBefore) - now;
      if (wait <= 0) {
        return;
      }
      wait = Math.min(wait, first + maxDelay.toNanos() - now);
      WatchKey more = watcher.poll(Math.max(1, wait / 1_000), TimeUnit.MICROSECONDS);
      if (more != null) {
        drain(more);
        lastEvent = System.nanoTime();
      }
    }
  }

  private void sleepQuietly() {
    try {
      Thread.sleep(Math.max(100, debounce.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private void drain(WatchKey key) {
    for (var event : key.pollEvents()) {
      if (!(key.watchable() instanceof Path dir && event.context() instanceof Path name)) {
        // OVERFLOW: events were lost.
        pendingFull = true;
        continue;
      }
      Path child = dir.resolve(name);
      pending.add(child);
      if (keys.containsKey(child)
          && !Files.isDirectory(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        // A watched directory moved away or deleted (its files' own events may not come).
        pendingFull = true;
        keys.entrySet()
            .removeIf(
                e -> {
                  if (!e.getKey().startsWith(child)) {
                    return false;
                  }
                  e.getValue().cancel();
                  return true;
                });
      }
      if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(child)) {
        try {
          registerTree(child);
        } catch (IOException e) {
          // The rescan still finds its files.
        }
      }
    }
    if (!key.reset()) {
      // The directory is gone or no longer watched.
      pendingFull = true;
    }
  }

  private void registerTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path d : (Iterable<Path>) walk.filter(Files::isDirectory)::iterator) {
        keys.put(
            d,
            d.register(
                watcher,
                StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE));
      }
    }
  }

  @Override
  public void close() {
    running = false;
    Thread t = thread;
    try {
      if (watcher != null) {
        watcher.close();
      }
    } catch (IOException e) {
      // closing anyway
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
