package io.eg4j.model.ir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DurationIrTest {
  @Test
  void goDurationsTakeFractionsAndEveryUnit() {
    assertThat(DurationIr.parseGo("0.2s").millis()).isEqualTo(200);
    assertThat(DurationIr.parseGo("1m30s").millis()).isEqualTo(90_000);
    assertThat(DurationIr.parseGo("1.5h").millis()).isEqualTo(5_400_000);
    assertThat(DurationIr.parseGo("250ms").millis()).isEqualTo(250);
    assertThat(DurationIr.parseGo("1500us").millis()).isEqualTo(1);
    assertThat(DurationIr.parseGo(".5s").millis()).isEqualTo(500);
  }

  @Test
  void goDurationsRefuseWhatGoRefuses() {
    for (String bad : new String[] {"", "5", "s", "1x", "1s ", "-1s", "1s2"}) {
      assertThatThrownBy(() -> DurationIr.parseGo(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void gatewayApiDurationsStayWhole() {
    assertThat(DurationIr.parse("1h2m3s4ms").millis()).isEqualTo(3_723_004);
    assertThatThrownBy(() -> DurationIr.parse("0.2s")).isInstanceOf(IllegalArgumentException.class);
  }
}
