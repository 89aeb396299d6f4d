package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.TelemetryIr;
import io.eg4j.model.ir.TelemetryIr.AccessLogIr;
import io.eg4j.model.ir.TelemetryIr.GrpcSinkIr;
import io.eg4j.model.ir.TelemetryIr.TracingIr;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table tests of the EnvoyProxy telemetry in Envoy: which access logs a listener and a connection
 * manager get, with which filter, and the tracing settings (Envoy Gateway's rules).
 */
class TelemetryXdsTest {
  private static final RouteDestinationIr COLLECTOR =
      new RouteDestinationIr(
          "accesslog_als_0_0",
          List.of(
              new RouteDestinationIr.DestinationSettingIr(
                  "accesslog_als_0_0/backend/0",
                  1,
                  "GRPC",
                  "IP",
                  List.of(new RouteDestinationIr.EndpointIr("10.0.0.1", 9000)),
                  null)));

  private static AccessLogIr file(String logType, List<String> matches) {
    return new AccessLogIr("File", logType, matches, null, null, "/dev/stdout", null);
  }

  /** Case: telemetry, listener side?, expected log names, expected filter kinds ("" = none). */
  static Stream<Arguments> accessLogs() {
    AccessLogIr als =
        new AccessLogIr(
            "TcpGrpc",
            null,
            List.of(),
            null,
            null,
            null,
            new GrpcSinkIr(COLLECTOR, null, "ns/ep", List.of(), List.of(), List.of(), null));
    return Stream.of(
        Arguments.of(
            "no telemetry: the default log on routes", null, false, List.of("file"), List.of("")),
        Arguments.of(
            "no telemetry: the default log on listeners, no-route only",
            null,
            true,
            List.of("file"),
            List.of("NR")),
        Arguments.of(
            "disabled: nothing on routes",
            new TelemetryIr(List.of(), null),
            false,
            List.of(),
            List.of()),
        Arguments.of(
            "disabled: nothing on listeners",
            new TelemetryIr(List.of(), null),
            true,
            List.of(),
            List.of()),
        Arguments.of(
            "a Route log is not on listeners",
            new TelemetryIr(List.of(file("Route", List.of())), null),
            true,
            List.of(),
            List.of()),
        Arguments.of(
            "a Listener log is on listeners without the no-route filter",
            new TelemetryIr(List.of(file("Listener", List.of())), null),
            true,
            List.of("file"),
            List.of("")),
        Arguments.of(
            "a Listener log is not on routes",
            new TelemetryIr(List.of(file("Listener", List.of())), null),
            false,
            List.of(),
            List.of()),
        Arguments.of(
            "a log for both with a CEL match: CEL on routes",
            new TelemetryIr(List.of(file(null, List.of("response.code >= 400"))), null),
            false,
            List.of("file"),
            List.of("CEL")),
        Arguments.of(
            "a log for both with a CEL match: CEL and no-route on listeners",
            new TelemetryIr(List.of(file(null, List.of("response.code >= 400"))), null),
            true,
            List.of("file"),
            List.of("AND")),
        Arguments.of(
            "an ALS TCP sink",
            new TelemetryIr(List.of(als), null),
            false,
            List.of("tcp_grpc"),
            List.of("")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accessLogs")
  void accessLogsFollowEnvoyGatewaysRules(
      String name,
      TelemetryIr telemetry,
      boolean listener,
      List<String> logs,
      List<String> filters) {
    List<AccessLog> out = TelemetryXds.accessLogs(telemetry, listener);
    assertThat(out.stream().map(l -> l.getName().replace("envoy.access_loggers.", "")))
        .containsExactlyElementsOf(logs);
    assertThat(out.stream().map(TelemetryXdsTest::filterKind)).containsExactlyElementsOf(filters);
  }

  private static String filterKind(AccessLog l) {
    if (!l.hasFilter()) {
      return "";
    }
    if (l.getFilter().hasAndFilter()) {
      return "AND";
    }
    if (l.getFilter().hasResponseFlagFilter()) {
      return String.join(",", l.getFilter().getResponseFlagFilter().getFlagsList());
    }
    return l.getFilter().hasExtensionFilter() ? "CEL" : "?";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formats")
  void fileFormats(String name, AccessLogIr log, String expectedText, List<String> jsonKeys)
      throws Exception {
    FileAccessLog f =
        TelemetryXds.accessLogs(new TelemetryIr(List.of(log), null), false)
            .get(0)
            .getTypedConfig()
            .unpack(FileAccessLog.class);
    if (expectedText != null) {
      assertThat(f.getLogFormat().getTextFormatSource().getInlineString()).isEqualTo(expectedText);
    } else {
      assertThat(f.getLogFormat().getJsonFormat().getFieldsMap().keySet())
          .containsExactlyInAnyOrderElementsOf(jsonKeys);
    }
  }

  static Stream<Arguments> formats() {
    return Stream.of(
        Arguments.of(
            "text",
            new AccessLogIr("File", null, List.of(), "%RESPONSE_CODE%\n", null, "/tmp/a", null),
            "%RESPONSE_CODE%\n",
            null),
        Arguments.of(
            "JSON fields as given",
            new AccessLogIr(
                "File", null, List.of(), null, Map.of("code", "%RESPONSE_CODE%"), "/tmp/a", null),
            null,
            List.of("code")),
        Arguments.of(
            "JSON without fields: Envoy Gateway's default format",
            new AccessLogIr("File", null, List.of(), null, Map.of(), "/tmp/a", null),
            null,
            List.copyOf(AccessLogs.DEFAULT_JSON_FORMAT.keySet())));
  }

  static Stream<Arguments> tracing() {
    return Stream.of(
        Arguments.of("OpenTelemetry", "envoy.tracers.opentelemetry", 100.0),
        Arguments.of("Zipkin", "envoy.tracers.zipkin", 12.5),
        Arguments.of("Datadog", "envoy.tracers.datadog", 0.0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tracing")
  void tracingProviders(String provider, String envoyName, double rate) {
    HttpConnectionManager.Tracing t =
        TelemetryXds.tracing(
            new TracingIr(
                provider,
                COLLECTOR.withSettings(COLLECTOR.settings()),
                "collector.ns.svc",
                "gw.ns",
                rate,
                List.of(new TelemetryIr.CustomTagIr("team", "Literal", "edge", null)),
                false,
                true,
                new io.eg4j.model.ir.traffic.TrafficIr.SpanNameIr("in", "out")));
    assertThat(t.getProvider().getName()).isEqualTo(envoyName);
    assertThat(t.getRandomSampling().getValue()).isEqualTo(rate);
    assertThat(t.getOverallSampling().getValue()).isEqualTo(100.0);
    assertThat(t.getCustomTagsList())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.getTag()).isEqualTo("team");
              assertThat(c.getLiteral().getValue()).isEqualTo("edge");
            });
    assertThat(t.getSpawnUpstreamSpan().getValue()).isTrue();
    // EnvoyProxy spanName: HttpConnectionManager.Tracing operation (11), upstream_operation (12).
    assertThat(t.getUnknownFields().getField(11).getLengthDelimitedList())
        .singleElement()
        .extracting(com.google.protobuf.ByteString::toStringUtf8)
        .isEqualTo("in");
    assertThat(NewerProtoFields.getString(t, NewerProtoFields.HCM_TRACING_UPSTREAM_OPERATION))
        .isEqualTo("out");
    assertThat(XdsOutput.node(t).path("upstream_operation").asText()).isEqualTo("out");
  }
}
