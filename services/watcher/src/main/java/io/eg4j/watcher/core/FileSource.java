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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The file source: a directory of Kubernetes YAML, watched recursively with a {@link WatchService}.
 * Events are debounced (an editor's save is several events) and the whole tree is rescanned
 * periodically as a safety net for events the platform drops. Each change delivers the full state
 * to the sink.
 */
public final class FileSource implements ResourceSource {
  private final ManifestDirectory directory;
  private final Duration debounce;
  private final Duration rescanInterval;
  private final Consumer<ManifestException> onError;
  private volatile boolean running;
  private WatchService watcher;
  private Thread thread;
  private ResourceSink sink;

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
    this.directory = new ManifestDirectory(root);
    this.debounce = debounce;
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

  /** Scans now and delivers the state; also what the event loop runs. */
  public synchronized void scanAndDeliver() {
    ManifestDirectory.Scan scan = directory.scan();
    scan.newErrors().forEach(onError);
    sink.resync(scan.objects(), scan.complete(), scan.seen());
  }

  private void loop() {
    while (running) {
      try {
        WatchKey key = watcher.poll(rescanInterval.toMillis(), TimeUnit.MILLISECONDS);
        if (key != null) {
          drain(key);
          // Debounce: wait until the tree has been quiet for a moment.
          WatchKey more;
          while ((more = watcher.poll(debounce.toMillis(), TimeUnit.MILLISECONDS)) != null) {
            drain(more);
          }
        }
        scanAndDeliver();
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
      if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE
          && key.watchable() instanceof Path dir
          && event.context() instanceof Path name) {
        Path child = dir.resolve(name);
        if (Files.isDirectory(child)) {
          try {
            registerTree(child);
          } catch (IOException e) {
            // The rescan still finds its files.
          }
        }
      }
    }
    key.reset();
  }

  private void registerTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path d : (Iterable<Path>) walk.filter(Files::isDirectory)::iterator) {
        d.register(
            watcher,
            StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
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
