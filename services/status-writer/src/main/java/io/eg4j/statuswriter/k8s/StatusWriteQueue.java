package io.eg4j.statuswriter.k8s;

import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Coalesces statuses per key (last write wins), rate limits the writes, and writes only while this
 * replica is the leader.
 *
 * <p>It keeps the latest status of every live key, not only the pending ones: a replica that
 * becomes the leader calls {@link #requeueAll()} and converges the whole cluster without waiting
 * for the translator to publish again. That compares each known status with the cached object first
 * and queues only those that differ, behind the new changes: a takeover at 1,000 routes once pushed
 * every status through the rate limiter, skipped or not, and a new route waited 34 s.
 *
 * <p>The rate limiter is handed to the writer, which takes a slot only for a write that changes
 * something; reading an object and skipping a status that is already there cost none.
 *
 * <p>A few worker threads write at once (one write waits for the API server's answer, so a single
 * writer caps the rate at one over the round trip, below the limiter's under load); a key is never
 * written twice at once, and a status that arrives while its key is being written is written after
 * it.
 */
public final class StatusWriteQueue implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatusWriteQueue.class);

  /** Writes one status, taking a permit for each write request it sends. */
  @FunctionalInterface
  public interface Writer {
    /** Writes {@code status}; see {@link KubernetesStatusWriter#write(ResourceStatus, Permits)}. */
    KubernetesStatusWriter.Result write(
        ResourceStatus status, KubernetesStatusWriter.Permits permits) throws InterruptedException;
  }

  private final Writer writer;
  private final Predicate<ResourceStatus> upToDate;
  private final BooleanSupplier leader;
  private final TokenBucket limiter;
  private final Duration retryDelay;
  private final Map<ResourceKey, ResourceStatus> latest = new HashMap<>();

  /** Keys whose latest status is a default ({@link #submitIfAbsent}), not one from the bus. */
  private final java.util.Set<ResourceKey> defaults = new java.util.HashSet<>();

  /** New changes, written first. */
  private final LinkedHashSet<ResourceKey> pending = new LinkedHashSet<>();

  /** Known statuses a new leader found different from the cluster, written after new changes. */
  private final LinkedHashSet<ResourceKey> backlog = new LinkedHashSet<>();

  private final Map<ResourceKey, Integer> failures = new HashMap<>();

  /** Keys being written now, by one worker each. */
  private final java.util.Set<ResourceKey> inFlight = new java.util.HashSet<>();

  private final List<Thread> workers;
  private volatile boolean closed;

  /**
   * A queue.
   *
   * @param writer writes one status
   * @param upToDate true when a status is already on its object, judged without a request to the
   *     API server (false when it cannot tell)
   * @param leader true while this replica may write
   * @param writesPerSecond the sustained write rate
   * @param burst how many writes may go at once after a quiet period
   * @param retryDelay how long a failed write waits before it is tried again
   */
  public StatusWriteQueue(
      Writer writer,
      Predicate<ResourceStatus> upToDate,
      BooleanSupplier leader,
      double writesPerSecond,
      int burst,
      Duration retryDelay) {
    this(writer, upToDate, leader, writesPerSecond, burst, retryDelay, 1);
  }

  /**
   * A queue with {@code writers} worker threads.
   *
   * @param writers how many writes may be in flight at once (at least 1)
   */
  public StatusWriteQueue(
      Writer writer,
      Predicate<ResourceStatus> upToDate,
      BooleanSupplier leader,
      double writesPerSecond,
      int burst,
      Duration retryDelay,
      int writers) {
    if (writers < 1) {
      throw new IllegalArgumentException("at least one writer, got " + writers);
    }
    this.writer = Objects.requireNonNull(writer, "writer");
    this.upToDate = Objects.requireNonNull(upToDate, "upToDate");
    this.leader = Objects.requireNonNull(leader, "leader");
    this.limiter = new TokenBucket(writesPerSecond, burst);
    this.retryDelay = retryDelay == null ? Duration.ofSeconds(1) : retryDelay;
    List<Thread> ws = new java.util.ArrayList<>();
    for (int i = 0; i < writers; i++) {
      Thread t = new Thread(this::run, writers == 1 ? "status-writer" : "status-writer-" + i);
      t.setDaemon(true);
      ws.add(t);
    }
    this.workers = List.copyOf(ws);
  }

  /** Starts the workers. */
  public void start() {
    workers.forEach(Thread::start);
  }

  /** A new status for a key; replaces any pending one. */
  public synchronized void submit(ResourceStatus status) {
    defaults.remove(status.key());
    latest.put(status.key(), status);
    backlog.remove(status.key());
    pending.add(status.key());
    failures.remove(status.key());
    notifyAll();
  }

  /**
   * A status to write only while nothing better is known for its key: a status from the bus always
   * wins over it, and it does not replace one. It replaces an earlier status of this kind (a
   * default) that differs, so a default follows its object's generation.
   */
  public synchronized void submitIfAbsent(ResourceStatus status) {
    ResourceStatus known = latest.get(status.key());
    if (known == null || (defaults.contains(status.key()) && !known.equals(status))) {
      latest.put(status.key(), status);
      defaults.add(status.key());
      pending.add(status.key());
      notifyAll();
    }
  }

  /** The key's status was tombstoned (object gone): nothing is written for it any more. */
  public synchronized void remove(ResourceKey key) {
    defaults.remove(key);
    latest.remove(key);
    pending.remove(key);
    backlog.remove(key);
    failures.remove(key);
  }

  /**
   * Queues again every known status that is not already on its object, as a new leader must: it
   * cannot know what its predecessor wrote. The comparison runs on the caller's thread, against the
   * cache, key by key without holding the queue; what differs is written after the new changes.
   *
   * <p>What a standby queued while it could not write is compared too, instead of written in turn:
   * its predecessor has written most of it.
   *
   * @return how many statuses were queued
   */
  public int requeueAll() {
    List<ResourceStatus> known;
    synchronized (this) {
      known = List.copyOf(latest.values());
      // Every known status is compared below; what arrives from now on is new and goes first.
      pending.clear();
    }
    int queued = 0;
    for (ResourceStatus s : known) {
      if (closed) {
        break;
      }
      boolean same;
      try {
        same = upToDate.test(s);
      } catch (RuntimeException e) {
        LOG.debug("cannot compare the status of {}: {}", s.key(), e.toString());
        same = false;
      }
      if (!same) {
        synchronized (this) {
          // A newer status arrived meanwhile (or the key is gone): it is pending already.
          if (latest.get(s.key()) == s && !pending.contains(s.key()) && backlog.add(s.key())) {
            queued++;
            notifyAll();
          }
        }
      }
    }
    LOG.info(
        "{} of {} known statuses differ from the cluster and are queued", queued, known.size());
    return queued;
  }

  /** Queues again the known statuses whose key matches (a Gateway whose Service changed). */
  public synchronized void requeue(Predicate<ResourceKey> which) {
    for (ResourceKey k : latest.keySet()) {
      if (which.test(k)) {
        pending.add(k);
      }
    }
    notifyAll();
  }

  /** Wakes the worker, after leadership changed. */
  public synchronized void wake() {
    notifyAll();
  }

  /** How many keys wait to be written or are being written. */
  public synchronized int pending() {
    java.util.Set<ResourceKey> all = new java.util.HashSet<>(pending);
    all.addAll(backlog);
    all.addAll(inFlight);
    return all.size();
  }

  /** How many keys have a known status. */
  public synchronized int known() {
    return latest.size();
  }

  /** Waits until nothing is pending (tests, benchmarks); false on timeout. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (pending() == 0) {
        return true;
      }
      Thread.sleep(20);
    }
    return pending() == 0;
  }

  /** The next key no other worker is writing: new changes first, then the backlog; or null. */
  private ResourceKey takeNext() {
    for (LinkedHashSet<ResourceKey> q : List.of(pending, backlog)) {
      Iterator<ResourceKey> it = q.iterator();
      while (it.hasNext()) {
        ResourceKey k = it.next();
        if (!inFlight.contains(k)) {
          it.remove();
          return k;
        }
      }
    }
    return null;
  }

  private void run() {
    while (!closed) {
      ResourceStatus next;
      synchronized (this) {
        ResourceKey key = null;
        while (!closed && (!leader.getAsBoolean() || (key = takeNext()) == null)) {
          try {
            // Leadership has no callback into this loop, so look again now and then.
            wait(200);
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        next = latest.get(key);
        if (next == null) {
          continue;
        }
        inFlight.add(key);
      }
      try {
        KubernetesStatusWriter.Result result;
        try {
          result = writer.write(next, limiter::acquire);
        } catch (RuntimeException e) {
          LOG.warn("status of {} not written: {}", next.key(), e.toString());
          result = KubernetesStatusWriter.Result.FAILED;
        }
        if (result == KubernetesStatusWriter.Result.FAILED) {
          retryLater(next);
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        synchronized (this) {
          inFlight.remove(next.key());
          // A status that arrived for this key meanwhile may be taken now.
          notifyAll();
        }
      }
    }
  }

  private void retryLater(ResourceStatus failed) {
    int n;
    synchronized (this) {
      n = failures.merge(failed.key(), 1, Integer::sum);
    }
    // Back off exponentially up to a minute; a failed key does not block the others.
    long delay = Math.min(60_000L, retryDelay.toMillis() << Math.min(6, n - 1));
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(delay);
              } catch (InterruptedException e) {
                return;
              }
              synchronized (this) {
                if (latest.get(failed.key()) == failed) {
                  pending.add(failed.key());
                  notifyAll();
                }
              }
            },
            "status-retry");
    t.setDaemon(true);
    t.start();
  }

  /** The keys with a known status, for diagnostics. */
  public synchronized List<ResourceKey> keys() {
    return List.copyOf(latest.keySet());
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      notifyAll();
    }
    workers.forEach(Thread::interrupt);
  }

  /** A plain token bucket: {@code rate} permits a second, at most {@code burst} saved up. */
  static final class TokenBucket {
    private final double rate;
    private final double burst;
    private double tokens;
    private long last = System.nanoTime();

    TokenBucket(double rate, int burst) {
      if (rate <= 0 || burst < 1) {
        throw new IllegalArgumentException("rate and burst must be positive");
      }
      this.rate = rate;
      this.burst = burst;
      this.tokens = burst;
    }

    synchronized void acquire() throws InterruptedException {
      while (true) {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
        last = now;
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        long waitNanos = (long) ((1 - tokens) / rate * 1e9);
        Thread.sleep(Math.max(1, waitNanos / 1_000_000), (int) (waitNanos % 1_000_000));
      }
    }
  }
}
