package io.eg4j.watcher.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file source's rounds: after events only the files they name are read and only what they
 * change is delivered; what the events miss is found by the stamp scan the source runs at least
 * once per rescan interval, even while events keep coming.
 *
 * <p>A file changed through a hard link outside the watched tree changes without an event in it:
 * that is how these tests make an event go missing.
 */
class FileSourceTest {
  private static final ResourceKey SVC_A = new ResourceKey("", "Service", "default", "a");
  private static final ResourceKey SVC_B = new ResourceKey("", "Service", "default", "b");
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;
  private FileSource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  private static String service(String name, int port) {
    return "apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: default}\nspec:\n  ports:\n  - port: %d\n"
        .formatted(name, port);
  }

  /** Keeps the state it was given, and each call. */
  static final class Sink implements ResourceSink {
    final Map<ResourceKey, ObjectNode> state = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    volatile boolean takes = true;
    int failChanges;

    @Override
    public synchronized void resync(Map<ResourceKey, ObjectNode> objects, boolean complete) {
      throw new AssertionError("the file source gives the 4-argument resync");
    }

    @Override
    public synchronized void resync(
        Map<ResourceKey, ObjectNode> objects,
        boolean complete,
        Set<ResourceKey> certainlyDeleted,
        Set<ResourceKey> changedKeys) {
      // "hinted": only changedKeys need a look (what the publisher then does).
      calls.add(changedKeys == null ? "resync" : "resync hinted");
      state.clear();
      state.putAll(objects);
    }

    @Override
    public boolean takesChanges() {
      return takes;
    }

    @Override
    public synchronized void changes(
        Map<ResourceKey, ObjectNode> objects, Set<ResourceKey> deleted, boolean complete) {
      if (failChanges > 0) {
        failChanges--;
        throw new IllegalStateException("the bus is down");
      }
      calls.add("changes " + names(objects.keySet()) + " -" + names(deleted));
      state.putAll(objects);
      deleted.forEach(state::remove);
    }

    private static Set<String> names(Set<ResourceKey> keys) {
      Set<String> out = new TreeSet<>();
      keys.forEach(k -> out.add(k.toString()));
      return out;
    }

    synchronized int port(ResourceKey key) {
      ObjectNode o = state.get(key);
      return o == null ? -1 : o.at("/spec/ports/0/port").asInt();
    }

    synchronized String lastCall() {
      return calls.get(calls.size() - 1);
    }

    void await(Predicate<Sink> condition, String what) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        synchronized (this) {
          if (condition.test(this)) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(what + " not seen; calls: " + calls);
        }
        Thread.sleep(20);
      }
    }
  }

  private Path tree() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    Files.writeString(tree.resolve("a.yaml"), service("a", 80));
    Files.writeString(tree.resolve("b.yaml"), service("b", 80));
    return tree;
  }

  /** A second name for tree/b.yaml outside the tree: writes through it raise no event there. */
  private Path outsideLinkToB(Path tree) throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    return Files.createLink(outside.resolve("b.yaml"), tree.resolve("b.yaml"));
  }

  private Sink start(Path tree, Duration rescan) {
    Sink sink = new Sink();
    source = new FileSource(tree, Duration.ofMillis(5), Duration.ofSeconds(2), rescan, e -> {});
    source.start(sink);
    assertThat(sink.calls).containsExactly("resync hinted");
    assertThat(sink.state).containsKeys(SVC_A, SVC_B);
    return sink;
  }

  @Test
  void anEventDeliversOnlyWhatTheFileItNamesChanged() throws Exception {
    Path tree = tree();
    Path link = outsideLinkToB(tree);
    Sink sink = start(tree, Duration.ofHours(1));

    Files.writeString(link, service("b", 82));
    Files.writeString(tree.resolve("a.yaml"), service("a", 81));
    sink.await(s -> s.port(SVC_A) == 81, "a.yaml's edit");
    synchronized (sink) {
      // b.yaml was not read: its event never came, and an event names a.yaml only.
      assertThat(sink.port(SVC_B)).isEqualTo(80);
      assertThat(sink.lastCall())
          .isEqualTo("changes [/Namespace//default, /Service/default/a] -[]");
    }

    Files.delete(tree.resolve("a.yaml"));
    sink.await(s -> !s.state.containsKey(SVC_A), "a.yaml's deletion");
    synchronized (sink) {
      assertThat(sink.lastCall()).isEqualTo("changes [/Namespace//default] -[/Service/default/a]");
      assertThat(sink.state).containsKey(SVC_B);
    }
  }

  @Test
  void whileEventsKeepComingTheStampsAreComparedOncePerRescanInterval() throws Exception {
    Path tree = tree();
    Path link = outsideLinkToB(tree);
    Sink sink = start(tree, Duration.ofSeconds(1));
    Thread busy =
        new Thread(
            () -> {
              // Events every 20 ms (on a hidden file, which is never read): the source is never
              // idle for a rescan interval.
              try {
                for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                  Files.writeString(tree.resolve(".busy"), "n: " + i);
                  Thread.sleep(20);
                }
              } catch (Exception e) {
                // stopped
              }
            });
    busy.start();
    try {
      Files.writeString(link, service("b", 8080));
      sink.await(s -> s.port(SVC_B) == 8080, "b.yaml's edit without an event");
    } finally {
      busy.interrupt();
      busy.join();
    }
  }

  @Test
  void aFailedDeliveryIsFollowedByTheFullState() throws Exception {
    Path tree = tree();
    Sink sink = start(tree, Duration.ofHours(1));
    synchronized (sink) {
      sink.failChanges = 1;
    }
    Files.writeString(tree.resolve("a.yaml"), service("a", 81));
    sink.await(s -> s.calls.size() == 1 && s.failChanges == 0, "the failed delivery");
    // The next round (an event here) delivers the full state, with what the failed one read.
    Files.writeString(tree.resolve("b.yaml"), service("b", 81));
    sink.await(s -> s.port(SVC_A) == 81 && s.port(SVC_B) == 81, "the state after the failure");
    synchronized (sink) {
      // Without the hint: the publisher looks at every object again, the one that failed too.
      assertThat(sink.calls).containsExactly("resync hinted", "resync");
    }
  }

  @Test
  void aSinkThatTakesNoChangesGetsTheFullState() throws Exception {
    Path tree = tree();
    Sink sink = start(tree, Duration.ofHours(1));
    sink.takes = false;
    Files.writeString(tree.resolve("a.yaml"), service("a", 81));
    sink.await(s -> s.port(SVC_A) == 81, "a.yaml's edit");
    synchronized (sink) {
      assertThat(sink.calls).containsOnly("resync hinted");
      assertThat(sink.state).containsKey(SVC_B);
    }
  }
}
