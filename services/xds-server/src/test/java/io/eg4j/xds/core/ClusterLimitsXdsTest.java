package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.ActiveHealthCheckIr;
import io.eg4j.model.ir.ClusterSettingsIr.CircuitBreakerIr;
import io.eg4j.model.ir.ClusterSettingsIr.PassiveHealthCheckIr;
import io.eg4j.model.ir.ClusterSettingsIr.PayloadIr;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.traffic.ConnectionManagerIr.Http2KeepaliveIr;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketOption;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.v3.Int64Range;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Per-endpoint connection limits, retry budgets, the newer health check and outlier detection
 * settings, HTTP/2 keepalive and socket buffer limits in Envoy's cluster.
 */
class ClusterLimitsXdsTest {
  private static final ClusterSettingsIr NONE = ClusterSettingsIr.NONE;

  /** {@link ClusterSettingsIr#NONE} with some parts replaced. */
  private static ClusterSettingsIr with(
      CircuitBreakerIr cb,
      ActiveHealthCheckIr active,
      PassiveHealthCheckIr passive,
      boolean useClientProtocol,
      Http2KeepaliveIr keepalive,
      Long socketBuffer) {
    return new ClusterSettingsIr(
        cb,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        active,
        passive,
        useClientProtocol,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        keepalive,
        socketBuffer);
  }

  private static Cluster apply(Cluster.Builder c, ClusterSettingsIr s) {
    ClusterSettingsXds.apply(c, s, false);
    return c.build();
  }

  private static Cluster.Builder http1() {
    return Cluster.newBuilder().setName("c");
  }

  private static Cluster.Builder http2() {
    return Cluster.newBuilder()
        .setName("c")
        .putTypedExtensionProtocolOptions(
            ClusterSettingsXds.HTTP_OPTIONS,
            Protos.any(
                HttpProtocolOptions.newBuilder()
                    .setExplicitHttpConfig(
                        HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                    .build()));
  }

  private static HttpProtocolOptions options(Cluster c) throws Exception {
    return c.getTypedExtensionProtocolOptionsOrThrow(ClusterSettingsXds.HTTP_OPTIONS)
        .unpack(HttpProtocolOptions.class);
  }

  @Test
  void perEndpointLimitsAndRetryBudget() {
    Cluster c =
        apply(
            http1(),
            with(
                new CircuitBreakerIr(
                    10L, null, null, 4L, null, 3L, new ClusterSettingsIr.RetryBudgetIr(12.5, 2)),
                null,
                null,
                false,
                null,
                null));
    var t = c.getCircuitBreakers().getThresholds(0);
    assertThat(t.getMaxConnections().getValue()).isEqualTo(10);
    assertThat(t.getMaxRetries().getValue()).isEqualTo(4);
    assertThat(t.getRetryBudget().getBudgetPercent().getValue()).isEqualTo(12.5);
    assertThat(t.getRetryBudget().getMinRetryConcurrency().getValue()).isEqualTo(2);
    assertThat(c.getCircuitBreakers().getPerHostThresholdsList()).hasSize(1);
    assertThat(c.getCircuitBreakers().getPerHostThresholds(0).getMaxConnections().getValue())
        .isEqualTo(3);
    Cluster plain =
        apply(
            http1(),
            with(
                new CircuitBreakerIr(10L, null, null, null, null, null, null),
                null,
                null,
                false,
                null,
                null));
    assertThat(plain.getCircuitBreakers().getPerHostThresholdsList()).isEmpty();
    assertThat(plain.getCircuitBreakers().getThresholds(0).hasRetryBudget()).isFalse();
  }

  @Test
  void httpHealthCheckHostBodyRetriableStatusesAndJitter() {
    var active =
        new ActiveHealthCheckIr(
            "HTTP",
            new DurationIr(1000),
            new DurationIr(3000),
            3,
            1,
            "/healthz",
            "POST",
            List.of(200),
            null,
            null,
            null,
            null,
            null,
            null,
            "health.example.com",
            new PayloadIr("ping", null),
            List.of(503),
            new DurationIr(2000));
    HealthCheck h = apply(http1(), with(null, active, null, false, null, null)).getHealthChecks(0);
    assertThat(h.getHttpHealthCheck().getHost()).isEqualTo("health.example.com");
    assertThat(h.getHttpHealthCheck().getSend().getText()).isEqualTo("70696E67");
    assertThat(h.getHttpHealthCheck().getRetriableStatusesList())
        .containsExactly(Int64Range.newBuilder().setStart(503).setEnd(504).build());
    assertThat(h.getInitialJitter().getSeconds()).isEqualTo(2);
  }

  @Test
  void failurePercentageIsEnforcedAndAlwaysEjectOneOnlyWhenTrue() {
    var o =
        apply(
                http1(),
                with(
                    null,
                    null,
                    new PassiveHealthCheckIr(null, null, null, null, null, null, null, 80, true),
                    false,
                    null,
                    null))
            .getOutlierDetection();
    assertThat(o.getFailurePercentageThreshold().getValue()).isEqualTo(80);
    assertThat(o.getEnforcingFailurePercentage().getValue()).isEqualTo(100);
    assertThat(o.getAlwaysEjectOneHost().getValue()).isTrue();
    var off =
        apply(
                http1(),
                with(
                    null,
                    null,
                    new PassiveHealthCheckIr(null, null, null, 5, null, null, null, null, false),
                    false,
                    null,
                    null))
            .getOutlierDetection();
    assertThat(off.hasFailurePercentageThreshold()).isFalse();
    assertThat(off.hasAlwaysEjectOneHost()).isFalse();
  }

  @Test
  void keepaliveGoesOnHttp2ConnectionsOnly() throws Exception {
    var k = new Http2KeepaliveIr(30_000L, 5_000L, 20, 10_000L);
    var ks =
        options(apply(http2(), with(null, null, null, false, k, null)))
            .getExplicitHttpConfig()
            .getHttp2ProtocolOptions()
            .getConnectionKeepalive();
    assertThat(ks.getInterval().getSeconds()).isEqualTo(30);
    assertThat(ks.getTimeout().getSeconds()).isEqualTo(5);
    assertThat(ks.getIntervalJitter().getValue()).isEqualTo(20);
    assertThat(ks.getConnectionIdleInterval().getSeconds()).isEqualTo(10);
    // The client's protocol: the HTTP/2 connections it opens get the PINGs.
    assertThat(
            options(apply(http1(), with(null, null, null, true, k, null)))
                .getUseDownstreamProtocolConfig()
                .getHttp2ProtocolOptions()
                .getConnectionKeepalive()
                .getTimeout()
                .getSeconds())
        .isEqualTo(5);
    // An HTTP/1.1 cluster has no HTTP/2 connection to keep alive.
    assertThat(
            apply(http1(), with(null, null, null, false, k, null))
                .getTypedExtensionProtocolOptionsMap())
        .isEmpty();
  }

  @Test
  void socketBufferLimitSetsBothKernelBuffersBeforeConnecting() {
    List<SocketOption> options =
        apply(http1(), with(null, null, null, false, null, 65_536L))
            .getUpstreamBindConfig()
            .getSocketOptionsList();
    assertThat(options).hasSize(2);
    assertThat(options)
        .extracting(SocketOption::getLevel, SocketOption::getName, SocketOption::getIntValue)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, 8L, 65_536L),
            org.assertj.core.groups.Tuple.tuple(1L, 7L, 65_536L));
    assertThat(options).allMatch(o -> o.getState() == SocketOption.SocketState.STATE_PREBIND);
    assertThat(apply(http1(), NONE).hasUpstreamBindConfig()).isFalse();
  }

  private static ClusterSettingsIr orca(ClusterSettingsIr.OutOfBandIr oob) {
    var lb =
        new ClusterSettingsIr.LoadBalancerIr(
            "BackendUtilization",
            null,
            null,
            new ClusterSettingsIr.BackendUtilizationIr(
                null, null, null, null, List.of(), false, oob),
            null,
            List.of(),
            null);
    return new ClusterSettingsIr(
        null, null, null, lb, null, null, null, null, null, null, null, null, false, null, null,
        null, null, null, null, null, null, null);
  }

  private static com.google.protobuf.Any policy(Cluster c) {
    var p = c.getLoadBalancingPolicy().getPolicies(0).getTypedExtensionConfig();
    assertThat(p.getName())
        .isEqualTo("envoy.load_balancing_policies.client_side_weighted_round_robin");
    return p.getTypedConfig();
  }

  @Test
  void outOfBandReportsWithAndWithoutTheirOwnPortAndAuthority() throws Exception {
    // A period only: the protos eg4j builds with carry it.
    var plain =
        policy(
                apply(
                    http1(),
                    orca(new ClusterSettingsIr.OutOfBandIr(new DurationIr(3000), null, null))))
            .unpack(
                io.envoyproxy.envoy.extensions.load_balancing_policies
                    .client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin.class);
    assertThat(plain.getEnableOobLoadReport().getValue()).isTrue();
    assertThat(plain.getOobReportingPeriod().getSeconds()).isEqualTo(3);
    // A port and an authority: oob_reporting_config, in a TypedStruct.
    var struct =
        policy(
                apply(
                    http1(),
                    orca(new ClusterSettingsIr.OutOfBandIr(null, 9001, "orca.example.com"))))
            .unpack(com.github.xds.type.v3.TypedStruct.class);
    assertThat(struct.getTypeUrl()).endsWith(".ClientSideWeightedRoundRobin");
    var fields = struct.getValue().getFieldsMap();
    assertThat(fields.get("enable_oob_load_report").getBoolValue()).isTrue();
    var config = fields.get("oob_reporting_config").getStructValue().getFieldsMap();
    assertThat(config.get("port_value").getNumberValue()).isEqualTo(9001);
    assertThat(config.get("authority").getStringValue()).isEqualTo("orca.example.com");
    // No out-of-band reports: none asked for.
    var none =
        policy(apply(http1(), orca(null)))
            .unpack(
                io.envoyproxy.envoy.extensions.load_balancing_policies
                    .client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin.class);
    assertThat(none.hasEnableOobLoadReport()).isFalse();
  }
}
