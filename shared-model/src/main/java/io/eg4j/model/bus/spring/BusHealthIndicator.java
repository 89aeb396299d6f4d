package io.eg4j.model.bus.spring;

import io.eg4j.model.bus.kafka.CatchUpTracker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness of a bus-driven service: UP when the broker answers and the service has caught up on
 * its input (DESIGN.md invariant 1), or is a warm standby in its consumer group. Put it in the
 * readiness group ({@code management.endpoint.health.group.readiness.include}).
 */
public final class BusHealthIndicator implements HealthIndicator, AutoCloseable {
  private static final Duration CACHE = Duration.ofSeconds(2);

  private final Admin admin;
  private final CatchUpTracker tracker;
  private volatile long checkedAt;
  private volatile String clusterId;
  private volatile String brokerError = "not checked yet";

  /**
   * An indicator.
   *
   * @param admin admin client used to reach the broker (closed with this indicator)
   * @param tracker the service's catch-up tracker
   */
  public BusHealthIndicator(Admin admin, CatchUpTracker tracker) {
    this.admin = admin;
    this.tracker = tracker;
  }

  @Override
  public Health health() {
    checkBroker();
    CatchUpTracker.State state = tracker.state();
    boolean ready =
        brokerError == null
            && (state == CatchUpTracker.State.CAUGHT_UP || state == CatchUpTracker.State.STANDBY);
    Health.Builder b = ready ? Health.up() : Health.outOfService();
    b.withDetail("catchUp", state.name());
    var lag = tracker.lag();
    if (!lag.isEmpty()) {
      b.withDetail("lag", lag);
    }
    if (brokerError != null) {
      b.withDetail("broker", brokerError);
    } else {
      b.withDetail("clusterId", clusterId);
    }
    return b.build();
  }

  private void checkBroker() {
    long now = System.nanoTime();
    if (brokerError == null && now - checkedAt < CACHE.toNanos()) {
      return;
    }
    try {
      clusterId =
          admin
              .describeCluster(new DescribeClusterOptions().timeoutMs(2000))
              .clusterId()
              .get(3, TimeUnit.SECONDS);
      brokerError = null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      brokerError = "interrupted";
    } catch (Exception e) {
      brokerError = "unreachable: " + e;
    }
    checkedAt = now;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
