package io.eg4j.watcher.app;

import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.CompactedTopicReader;
import io.eg4j.model.bus.spring.BusClients;
import io.eg4j.watcher.core.ResourceSource;
import io.eg4j.watcher.kafka.ResourcePublisher;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the watcher in the order invariant 2 needs: read the keys {@code eg4j.resources} holds,
 * then start the source, whose first complete state tombstones the keys that no longer exist. The
 * service is ready once that first state is published.
 */
public class WatcherRunner implements SmartLifecycle {
  private final BusClients clients;
  private final ResourcePublisher publisher;
  private final ResourceSource source;
  private final CatchUpTracker tracker;
  private volatile boolean running;

  /** A runner. */
  public WatcherRunner(
      BusClients clients,
      ResourcePublisher publisher,
      ResourceSource source,
      CatchUpTracker tracker) {
    this.clients = clients;
    this.publisher = publisher;
    this.source = source;
    this.tracker = tracker;
  }

  @Override
  public void start() {
    publisher.startFrom(
        CompactedTopicReader.read(
            clients.consumerProps("startup-read"),
            Topics.RESOURCES,
            clients.bus().getStartupTimeout()));
    source.start(publisher);
    if (publisher.synced()) {
      tracker.markCaughtUp();
    } else {
      // Some file is broken since start-up; readiness follows once a complete state is out.
      Thread t =
          new Thread(
              () -> {
                while (running && !publisher.synced()) {
                  try {
                    Thread.sleep(200);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
                if (running) {
                  tracker.markCaughtUp();
                }
              },
              "eg4j-watcher-ready");
      t.setDaemon(true);
      running = true;
      t.start();
    }
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    source.close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
