package io.eg4j.translator.core.policy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.traffic.ConnectionManagerIr;
import io.eg4j.translator.core.policy.PolicyException;
import org.junit.jupiter.api.Test;

/** ClientTrafficPolicy {@code connection.connectionLimit}: the limit and its close delay. */
class ConnectionLimitTranslatorTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static ConnectionManagerIr cm(String spec) throws Exception {
    return ConnectionManagerTranslator.translate(YAML.readTree(spec));
  }

  @Test
  void readsTheLimitAndTheCloseDelay() throws Exception {
    ConnectionManagerIr c = cm("connection: {connectionLimit: {value: 5, closeDelay: 2s}}");
    assertThat(c.connectionLimit()).isEqualTo(5L);
    assertThat(c.connectionLimitCloseDelayMillis()).isEqualTo(2000L);
    ConnectionManagerIr noDelay = cm("connection: {connectionLimit: {value: 1}}");
    assertThat(noDelay.connectionLimit()).isEqualTo(1L);
    assertThat(noDelay.connectionLimitCloseDelayMillis()).isNull();
    assertThat(cm("connection: {bufferLimit: 1Ki}")).as("no connection manager setting").isNull();
  }

  @Test
  void refusesALimitBelowOneAndADelayWithoutALimit() {
    assertThatThrownBy(() -> cm("connection: {connectionLimit: {value: 0}}"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("connectionLimit.value");
    assertThatThrownBy(() -> cm("connection: {connectionLimit: {closeDelay: 1s}}"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("closeDelay");
  }

  @Test
  void theFieldsAreEnforced() {
    assertThat(ConnectionManagerTranslator.SUPPORTED)
        .contains("connection.connectionLimit.value", "connection.connectionLimit.closeDelay")
        .doesNotContain("connection.connectionLimit.maxConnectionDuration");
  }
}
