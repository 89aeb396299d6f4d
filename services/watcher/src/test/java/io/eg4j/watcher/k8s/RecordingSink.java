package io.eg4j.watcher.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.watcher.core.ResourceSink;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/** A sink that keeps what it was given, for tests of the source's selection logic. */
final class RecordingSink implements ResourceSink {
  private final Map<String, ObjectNode> state = new ConcurrentHashMap<>();

  @Override
  public synchronized void resync(Map<ResourceKey, ObjectNode> objects, boolean complete) {
    state.clear();
    objects.forEach((k, v) -> state.put(k.toString(), v));
  }

  @Override
  public void upsert(ResourceKey key, ObjectNode object) {
    state.put(key.toString(), object);
  }

  @Override
  public void delete(ResourceKey key) {
    state.remove(key.toString());
  }

  Set<String> keys() {
    return new TreeSet<>(state.keySet());
  }

  void await(Predicate<Set<String>> condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(keys())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached in " + timeout + ": " + keys());
      }
      Thread.sleep(50);
    }
  }
}
