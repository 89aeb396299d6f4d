package io.eg4j.provisioner.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApplyBackoffTest {
  private final ApplyBackoff backoff =
      new ApplyBackoff(Duration.ofSeconds(1), Duration.ofSeconds(60));

  @Test
  void doublesUpToTheBound() {
    assertThat(backoff.ceiling(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(backoff.ceiling(2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.ceiling(6)).isEqualTo(Duration.ofSeconds(32));
    assertThat(backoff.ceiling(7)).isEqualTo(Duration.ofSeconds(60));
    assertThat(backoff.ceiling(10_000)).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void jitterStaysBetweenHalfAndAllOfTheCeilingAndSpreads() {
    Random random = new Random(42);
    Set<Long> seen = new HashSet<>();
    for (int attempt = 1; attempt < 20; attempt++) {
      for (int i = 0; i < 50; i++) {
        Duration d = backoff.delay(attempt, random::nextDouble);
        Duration c = backoff.ceiling(attempt);
        assertThat(d).isGreaterThanOrEqualTo(c.dividedBy(2)).isLessThanOrEqualTo(c);
        assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(60)).isPositive();
        if (attempt == 12) {
          seen.add(d.toMillis());
        }
      }
    }
    // Fifty draws at the bound are not all the same delay: failing fleets do not retry in step.
    assertThat(seen).hasSizeGreaterThan(10);
    assertThat(backoff.delay(3, () -> 0.0)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.delay(3, () -> 0.999999)).isLessThanOrEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new ApplyBackoff(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ApplyBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
