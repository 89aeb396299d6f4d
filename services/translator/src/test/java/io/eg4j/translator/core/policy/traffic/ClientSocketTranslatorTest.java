package io.eg4j.translator.core.policy.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.traffic.ClientTrafficIr;
import io.eg4j.translator.core.policy.PolicyException;
import org.junit.jupiter.api.Test;

/**
 * ClientTrafficPolicy {@code connection.socketBufferLimit}, {@code timeout.tcp} and {@code scheme}.
 */
class ClientSocketTranslatorTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static ClientTrafficIr.SocketIr socket(String spec) throws Exception {
    return ClientTrafficPolicyTranslator.socket(YAML.readTree(spec));
  }

  @Test
  void readsEverySetting() throws Exception {
    ClientTrafficIr.SocketIr s =
        socket(
            "connection: {socketBufferLimit: 64Ki}\n"
                + "timeout: {tcp: {idleTimeout: 90s, tlsHandshakeTimeout: 5s,"
                + " connectionInspectionTimeout: 1m}}\n"
                + "scheme: MatchBackend");
    assertThat(s.socketBufferLimitBytes()).isEqualTo(65536L);
    assertThat(s.tcpIdleTimeout().millis()).isEqualTo(90_000L);
    assertThat(s.tlsHandshakeTimeout().millis()).isEqualTo(5_000L);
    assertThat(s.connectionInspectionTimeout().millis()).isEqualTo(60_000L);
    assertThat(s.schemeMatchBackend()).isTrue();
    assertThat(socket("scheme: Preserve").schemeMatchBackend()).isFalse();
    assertThat(socket("scheme: Preserve").scheme()).isEqualTo("Preserve");
    assertThat(socket("connection: {bufferLimit: 1Ki}")).isNull();
  }

  @Test
  void refusesInvalidValues() {
    assertThatThrownBy(() -> socket("scheme: Upstream"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.scheme");
    assertThatThrownBy(() -> socket("connection: {socketBufferLimit: 4Gi}"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("socketBufferLimit");
    assertThatThrownBy(() -> socket("timeout: {tcp: {idleTimeout: soon}}"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.timeout.tcp.idleTimeout");
  }

  @Test
  void theFieldsAreEnforced() {
    assertThat(ClientTrafficPolicyTranslator.SUPPORTED)
        .contains(
            "connection.socketBufferLimit",
            "timeout.tcp.idleTimeout",
            "timeout.tcp.tlsHandshakeTimeout",
            "timeout.tcp.connectionInspectionTimeout",
            "scheme");
  }
}
