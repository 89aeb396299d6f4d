package io.eg4j.model.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a Kubernetes {@code coordination.k8s.io/v1} Lease (DESIGN.md invariant 8: only
 * the leader writes statuses and infrastructure). A thin loop around fabric8's {@code
 * LeaderElector}: fabric8's elector ends once it loses the lease, so this class starts it again,
 * and every replica keeps competing until {@link #close()}. Closing releases the lease, so another
 * replica takes over at its next retry instead of waiting for the lease to expire.
 */
public final class LeaderElection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);

  /**
   * What a replica hears about leadership. Callbacks run on the elector's thread and should return
   * quickly.
   */
  public interface Listener {
    /** This replica now holds the lease. */
    default void onStartLeading() {}

    /** This replica no longer holds the lease (lost, released or closed). */
    default void onStopLeading() {}

    /** Some replica, maybe this one, holds the lease now. */
    default void onNewLeader(String identity) {}
  }

  /**
   * Timing of the election, the same three durations as client-go's.
   *
   * @param leaseDuration how long a lease holds without renewal; a standby takes over after it
   * @param renewDeadline how long the leader keeps trying to renew before it gives up leading
   * @param retryPeriod how often every replica tries to acquire or renew
   */
  public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    /** client-go's defaults: 15 s, 10 s, 2 s. */
    public static final Timing DEFAULT =
        new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));

    public Timing {
      Objects.requireNonNull(leaseDuration, "leaseDuration");
      Objects.requireNonNull(renewDeadline, "renewDeadline");
      Objects.requireNonNull(retryPeriod, "retryPeriod");
      if (renewDeadline.compareTo(leaseDuration) >= 0) {
        throw new IllegalArgumentException("renewDeadline must be shorter than leaseDuration");
      }
    }
  }

  private final KubernetesClient client;
  private final LeaderElectionConfig config;
  private final Listener listener;
  private final String identity;
  private final Duration retryPeriod;
  private final AtomicBoolean leader = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ScheduledExecutorService restarts;
  private volatile CompletableFuture<?> running;

  private LeaderElection(
      KubernetesClient client,
      String namespace,
      String leaseName,
      String identity,
      Timing timing,
      Listener listener) {
    this.client = Objects.requireNonNull(client, "client");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.listener = listener == null ? new Listener() {} : listener;
    this.retryPeriod = timing.retryPeriod();
    this.config =
        new LeaderElectionConfigBuilder()
            .withName(leaseName)
            .withLock(new LeaseLock(namespace, leaseName, identity))
            .withLeaseDuration(timing.leaseDuration())
            .withRenewDeadline(timing.renewDeadline())
            .withRetryPeriod(timing.retryPeriod())
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(
                new LeaderCallbacks(this::startedLeading, this::stoppedLeading, this::newLeader))
            .build();
    this.restarts =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "leader-election-" + leaseName);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts competing for a lease.
   *
   * @param client the Kubernetes client
   * @param namespace the namespace of the Lease (the control plane's)
   * @param leaseName the Lease name, one per service ({@code eg4j-status-writer})
   * @param identity this replica's identity, unique among replicas (the pod name)
   * @param timing the election timing
   * @param listener told when leadership changes
   * @return the running election; close it to stop and release the lease
   */
  public static LeaderElection start(
      KubernetesClient client,
      String namespace,
      String leaseName,
      String identity,
      Timing timing,
      Listener listener) {
    LeaderElection election =
        new LeaderElection(client, namespace, leaseName, identity, timing, listener);
    election.run();
    return election;
  }

  /** True while this replica holds the lease. */
  public boolean isLeader() {
    return leader.get();
  }

  /** This replica's identity. */
  public String identity() {
    return identity;
  }

  private void run() {
    if (closed.get()) {
      return;
    }
    CompletableFuture<?> f = client.leaderElector().withConfig(config).build().start();
    running = f;
    f.whenComplete(
        (ok, err) -> {
          if (closed.get()) {
            return;
          }
          if (err != null) {
            LOG.warn("leader election for {} ended: {}", identity, err.toString());
          }
          // fabric8's elector stops for good once it loses the lease; keep competing.
          restarts.schedule(this::run, retryPeriod.toMillis(), TimeUnit.MILLISECONDS);
        });
  }

  private void startedLeading() {
    leader.set(true);
    LOG.info("{} is now the leader", identity);
    listener.onStartLeading();
  }

  private void stoppedLeading() {
    if (leader.getAndSet(false)) {
      LOG.info("{} stopped leading", identity);
    }
    listener.onStopLeading();
  }

  private void newLeader(String id) {
    listener.onNewLeader(id);
  }

  /** Stops competing; a leader releases the lease on the way out. */
  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    CompletableFuture<?> f = running;
    if (f != null) {
      // Cancelling makes fabric8 release the lease (releaseOnCancel) and call onStopLeading.
      f.cancel(true);
    }
    restarts.shutdownNow();
    if (leader.getAndSet(false)) {
      listener.onStopLeading();
    }
  }
}
