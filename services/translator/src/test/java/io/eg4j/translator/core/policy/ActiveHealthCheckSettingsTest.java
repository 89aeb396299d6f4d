package io.eg4j.translator.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.eg4j.model.ir.ClusterSettingsIr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Active health checks: gRPC, the port override and event logging, from the CRD rules. */
class ActiveHealthCheckSettingsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static ClusterSettingsIr.ActiveHealthCheckIr active(String activeYaml) throws Exception {
    return ClusterSettingsTranslator.translate(
            YAML.readTree("healthCheck:\n  active:\n" + activeYaml.indent(4)), "spec")
        .activeHealthCheck();
  }

  @Test
  void grpcWithServiceAndPortOverride() throws Exception {
    var a = active("type: GRPC\ngrpc: {service: foo-service}\noverrides: {port: 50052}\n");
    assertThat(a.type()).isEqualTo("GRPC");
    assertThat(a.grpcService()).isEqualTo("foo-service");
    assertThat(a.port()).isEqualTo(50052);
    assertThat(a.log()).isNull();
    var whole = active("type: GRPC\n");
    assertThat(whole.grpcService()).isNull();
    assertThat(whole.port()).isNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // matches | every failure | every success | path
        "''|true|true|/dev/stdout",
        "matches: [Failure, HealthyTransition]|true|false|/dev/stdout",
        "matches: [FailureSeriesStart, Success]|false|true|/dev/stdout",
        "matches: [FailureSeriesStart, HealthyTransition]|false|false|/dev/stdout",
        "sinks: [{type: File, file: {path: /var/log/hc.log}}]|true|true|/var/log/hc.log",
      })
  void healthCheckLog(String log, boolean failures, boolean successes, String path)
      throws Exception {
    var a =
        active(
            "type: HTTP\nhttp: {path: /healthz}\nhealthCheckLog: {"
                + (log.isEmpty() ? "" : log)
                + "}\n");
    assertThat(a.log())
        .isEqualTo(new ClusterSettingsIr.HealthCheckLogIr(failures, successes, path));
  }

  @Test
  void refusals() {
    assertThatThrownBy(() -> active("type: HTTP\nhttp: {path: /}\noverrides: {port: 0}\n"))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("outside 1 to 65535");
    assertThatThrownBy(() -> active("type: HTTP\nhttp: {path: /}\noverrides: {port: 65536}\n"))
        .hasMessageContaining("outside 1 to 65535");
    assertThatThrownBy(
            () -> active("type: HTTP\nhttp: {path: /}\nhealthCheckLog: {matches: [Failure]}\n"))
        .hasMessageContaining("must both be given");
    assertThatThrownBy(
            () ->
                active(
                    "type: HTTP\nhttp: {path: /}\nhealthCheckLog: {sinks: [{type: File, file:"
                        + " {path: ''}}]}\n"))
        .hasMessageContaining("needs file.path");
    assertThatThrownBy(() -> active("type: UDP\n")).hasMessageContaining("HTTP, TCP or GRPC");
  }
}
