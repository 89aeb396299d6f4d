package io.eg4j.provisioner.core;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * When to try a failed fleet apply again: exponential back-off from {@code initial}, doubling up to
 * {@code max}, with jitter so that many fleets failing together (an API server outage, a missing
 * permission) do not come back in lockstep. Each delay is drawn between half and all of the
 * exponential value ("equal jitter"): never zero, never more than {@code max}.
 *
 * @param initial the delay before the first retry, before jitter
 * @param max the largest delay
 */
public record ApplyBackoff(Duration initial, Duration max) {

  /** One second doubling to five minutes. */
  public static final ApplyBackoff DEFAULT =
      new ApplyBackoff(Duration.ofSeconds(1), Duration.ofMinutes(5));

  public ApplyBackoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max: " + initial + ", " + max);
    }
  }

  /**
   * The exponential delay before retry {@code attempt}, without jitter.
   *
   * @param attempt failed attempts so far, at least 1
   */
  public Duration ceiling(int attempt) {
    long millis = initial.toMillis();
    long cap = max.toMillis();
    for (int i = 1; i < Math.max(1, attempt) && millis < cap; i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, cap));
  }

  /**
   * The jittered delay before retry {@code attempt}: between half of {@link #ceiling} and all of
   * it.
   *
   * @param attempt failed attempts so far, at least 1
   * @param random a uniform value in [0, 1)
   */
  public Duration delay(int attempt, DoubleSupplier random) {
    long c = ceiling(attempt).toMillis();
    double r = Math.min(Math.max(random.getAsDouble(), 0), 1);
    return Duration.ofMillis(c / 2 + (long) ((c - c / 2) * r));
  }
}
