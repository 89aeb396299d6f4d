package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Coalescing and leadership of the write queue, with a recording writer. */
class StatusWriteQueueTest {
  private static ResourceStatus status(String name, int version) {
    return new ResourceStatus(
        new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "default", name),
        "v1",
        version,
        JsonNodeFactory.instance.objectNode().put("v", version));
  }

  @Test
  void coalescesPerKeyAndWritesOnlyWhileLeader() throws Exception {
    List<ResourceStatus> written = new CopyOnWriteArrayList<>();
    AtomicBoolean leader = new AtomicBoolean(false);
    try (StatusWriteQueue q =
        new StatusWriteQueue(
            (s, permits) -> {
              permits.acquire();
              written.add(s);
              return KubernetesStatusWriter.Result.WRITTEN;
            },
            s -> false,
            leader::get,
            1000,
            1000,
            Duration.ofMillis(10))) {
      q.start();
      for (int i = 1; i <= 100; i++) {
        q.submit(status("a", i));
        q.submit(status("b", i));
      }
      Thread.sleep(300);
      assertThat(written).isEmpty();
      leader.set(true);
      q.wake();
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      // One write per key, with the last status (last write wins).
      assertThat(written).hasSize(2);
      assertThat(written).allSatisfy(s -> assertThat(s.observedGeneration()).isEqualTo(100));

      q.requeueAll();
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(written).hasSize(4);

      q.remove(status("a", 0).key());
      q.requeueAll();
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(written).hasSize(5);
    }
  }

  @Test
  void aDefaultFollowsItsObjectsGenerationButNeverReplacesAStatusFromTheBus() throws Exception {
    List<ResourceStatus> written = new CopyOnWriteArrayList<>();
    try (StatusWriteQueue q =
        new StatusWriteQueue(
            (s, permits) -> {
              permits.acquire();
              written.add(s);
              return KubernetesStatusWriter.Result.WRITTEN;
            },
            s -> false,
            () -> true,
            1000,
            1000,
            Duration.ofMillis(10))) {
      q.start();
      // A GatewayClass's default Accepted, then its spec changes (generation 2): the default is
      // written again for generation 2 (GatewayClassObservedGenerationBump).
      q.submitIfAbsent(status("gc", 1));
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      q.submitIfAbsent(status("gc", 1));
      q.submitIfAbsent(status("gc", 2));
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(written).extracting(ResourceStatus::observedGeneration).containsExactly(1L, 2L);
      // The translator's status wins, and a later default does not replace it.
      q.submit(status("gc", 3));
      q.submitIfAbsent(status("gc", 4));
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(written)
          .extracting(ResourceStatus::observedGeneration)
          .containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void aFailedWriteIsRetried() throws Exception {
    List<ResourceStatus> attempts = new CopyOnWriteArrayList<>();
    try (StatusWriteQueue q =
        new StatusWriteQueue(
            (s, permits) -> {
              attempts.add(s);
              return attempts.size() < 3
                  ? KubernetesStatusWriter.Result.FAILED
                  : KubernetesStatusWriter.Result.WRITTEN;
            },
            s -> false,
            () -> true,
            1000,
            10,
            Duration.ofMillis(10))) {
      q.start();
      q.submit(status("a", 1));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (attempts.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(attempts).hasSize(3);
    }
  }

  @Test
  void requeueAllQueuesOnlyTheStatusesThatDifferFromTheCluster() throws Exception {
    List<String> written = new CopyOnWriteArrayList<>();
    // Of a..j, only e and f are not on the cluster as they should be.
    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    try (StatusWriteQueue q =
        new StatusWriteQueue(
            (s, permits) -> {
              permits.acquire();
              written.add(s.key().name());
              return KubernetesStatusWriter.Result.WRITTEN;
            },
            s -> !List.of("e", "f").contains(s.key().name()),
            () -> true,
            1000,
            1000,
            Duration.ofMillis(10))) {
      q.start();
      names.forEach(n -> q.submit(status(n, 1)));
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(written).hasSize(10);
      written.clear();

      assertThat(q.requeueAll()).isEqualTo(2);
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(written).containsExactlyInAnyOrder("e", "f");
    }
  }

  @Test
  void aStandbyThatBecomesLeaderWritesOnlyWhatDiffersAndNewChangesFirst() throws Exception {
    List<String> written = new CopyOnWriteArrayList<>();
    AtomicBoolean leader = new AtomicBoolean(false);
    try (StatusWriteQueue q =
        new StatusWriteQueue(
            (s, permits) -> {
              permits.acquire();
              written.add(s.key().name());
              return KubernetesStatusWriter.Result.WRITTEN;
            },
            // Of the 50 the standby heard of, its predecessor wrote all but old-7 and old-8.
            s -> !List.of("old-7", "old-8").contains(s.key().name()),
            leader::get,
            1000,
            1000,
            Duration.ofMillis(10))) {
      q.start();
      for (int i = 0; i < 50; i++) {
        q.submit(status("old-" + i, 1));
      }
      assertThat(q.pending()).isEqualTo(50);

      // It becomes the leader: it compares before it writes, and a new change arrives.
      assertThat(q.requeueAll()).isEqualTo(2);
      assertThat(q.pending()).isEqualTo(2);
      q.submit(status("new", 1));
      leader.set(true);
      q.wake();
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(written).containsExactly("new", "old-7", "old-8");
    }
  }

  @Test
  void severalWritersOverlapButNeverWriteOneKeyTwiceAtOnce() throws Exception {
    // Each write takes 20 ms, as a round trip to a busy API server: 40 keys by one writer take
    // 800 ms; four overlap. Key "hot" gets new statuses while it is being written.
    java.util.Map<ResourceKey, Integer> busy = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.concurrent.atomic.AtomicInteger overlapSameKey =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger maxInFlight =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger inFlight =
        new java.util.concurrent.atomic.AtomicInteger();
    List<ResourceStatus> written = new CopyOnWriteArrayList<>();
    try (StatusWriteQueue q =
        new StatusWriteQueue(
            (s, permits) -> {
              permits.acquire();
              if (busy.merge(s.key(), 1, Integer::sum) > 1) {
                overlapSameKey.incrementAndGet();
              }
              maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
              Thread.sleep(20);
              inFlight.decrementAndGet();
              busy.merge(s.key(), -1, Integer::sum);
              written.add(s);
              return KubernetesStatusWriter.Result.WRITTEN;
            },
            s -> false,
            () -> true,
            1000,
            1000,
            Duration.ofMillis(10),
            4)) {
      q.start();
      for (int i = 0; i < 40; i++) {
        q.submit(status("r" + i, 1));
        q.submit(status("hot", i));
        Thread.sleep(2);
      }
      assertThat(q.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(overlapSameKey.get()).as("one key written twice at once").isZero();
      assertThat(maxInFlight.get()).as("writes in flight at once").isBetween(2, 4);
      assertThat(written.stream().filter(s -> s.key().name().startsWith("r")).count())
          .isEqualTo(40);
      // The last status of the hot key is the last one written for it.
      ResourceStatus lastHot =
          written.stream().filter(s -> s.key().name().equals("hot")).reduce((a, b) -> b).get();
      assertThat(lastHot.observedGeneration()).isEqualTo(39);
    }
  }

  @Test
  void theRateLimitSpacesWrites() throws Exception {
    StatusWriteQueue.TokenBucket bucket = new StatusWriteQueue.TokenBucket(50, 1);
    long start = System.nanoTime();
    for (int i = 0; i < 11; i++) {
      bucket.acquire();
    }
    // Ten waits of 20 ms each at 50/s; generous bounds, this only checks that it waits at all.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(150));
  }
}
