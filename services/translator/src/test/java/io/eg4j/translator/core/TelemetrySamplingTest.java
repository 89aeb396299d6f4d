package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The EnvoyProxy tracing sampling rate, in percent, as Envoy Gateway computes it. */
class TelemetrySamplingTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = ';',
      value = {
        "{}; 100",
        "{\"samplingRate\": 40}; 40",
        "{\"samplingRate\": 0}; 0",
        "{\"samplingFraction\": {\"numerator\": 1}}; 1",
        "{\"samplingFraction\": {\"numerator\": 1, \"denominator\": 8}}; 12.5",
        "{\"samplingFraction\": {\"numerator\": 5, \"denominator\": 4}}; 100",
        "{\"samplingFraction\": {\"numerator\": 0, \"denominator\": 10}}; 0",
        "{\"samplingRate\": 30, \"samplingFraction\": {\"numerator\": 1}}; 30"
      })
  void samplingRate(String tracing, double expected) throws Exception {
    assertThat(TelemetryProcessor.samplingRate(Json.MAPPER.readTree(tracing))).isEqualTo(expected);
  }
}
