package io.eg4j.provisioner.core;

import java.time.Duration;

/**
 * How long to wait before restarting a proxy that died: doubling from {@code initial} up to {@code
 * max}, and back to {@code initial} once a run lasted at least {@code stableAfter}, so a crash loop
 * does not spin while a proxy that crashes once a day restarts at once.
 *
 * @param initial the first delay
 * @param max the largest delay
 * @param stableAfter a run at least this long resets the backoff
 */
public record RestartBackoff(Duration initial, Duration max, Duration stableAfter) {

  /** One second doubling to 30 seconds; a run of a minute counts as stable. */
  public static final RestartBackoff DEFAULT =
      new RestartBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(1));

  /**
   * The delay before the next start.
   *
   * @param consecutiveFailures failures in a row so far, at least 1
   * @return the delay
   */
  public Duration delay(int consecutiveFailures) {
    int n = Math.max(1, consecutiveFailures);
    long millis = initial.toMillis();
    for (int i = 1; i < n && millis < max.toMillis(); i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, max.toMillis()));
  }

  /**
   * The failure count after a run ended.
   *
   * @param previousFailures failures in a row before this run
   * @param ran how long the run lasted
   * @return the new count
   */
  public int afterRun(int previousFailures, Duration ran) {
    return ran.compareTo(stableAfter) >= 0 ? 1 : previousFailures + 1;
  }
}
