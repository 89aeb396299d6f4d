package io.eg4j.provisioner.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RestartBackoffTest {

  @ParameterizedTest(name = "failure {0} waits {1} ms")
  @CsvSource({"1, 1000", "2, 2000", "3, 4000", "5, 16000", "6, 30000", "50, 30000"})
  void doublesUpToTheMaximum(int failures, long millis) {
    assertThat(RestartBackoff.DEFAULT.delay(failures)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void aStableRunResetsTheCount() {
    assertThat(RestartBackoff.DEFAULT.afterRun(4, Duration.ofSeconds(2))).isEqualTo(5);
    assertThat(RestartBackoff.DEFAULT.afterRun(4, Duration.ofMinutes(2))).isEqualTo(1);
  }
}
