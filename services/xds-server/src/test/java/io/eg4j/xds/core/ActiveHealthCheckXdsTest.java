package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.ClusterSettingsIr;
import io.eg4j.model.ir.ClusterSettingsIr.ActiveHealthCheckIr;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink;
import java.util.List;
import org.junit.jupiter.api.Test;

/** gRPC health checks, the health check port and the health check event log in Envoy's config. */
class ActiveHealthCheckXdsTest {
  private static ClusterSettingsIr settings(ActiveHealthCheckIr a) {
    return new ClusterSettingsIr(
        null, null, null, null, null, null, null, null, null, null, a, null, false, null, null,
        null, null, null, null, null, null, null);
  }

  private static ActiveHealthCheckIr grpc(Integer port, ClusterSettingsIr.HealthCheckLogIr log) {
    return new ActiveHealthCheckIr(
        "GRPC",
        new DurationIr(1000),
        new DurationIr(5000),
        3,
        1,
        null,
        null,
        List.of(),
        null,
        null,
        null,
        "foo-service",
        port,
        log,
        null,
        null,
        List.of(),
        null);
  }

  private static ClusterXdsTranslator.ClusterRef ref(String protocol, ActiveHealthCheckIr a) {
    DestinationSettingIr s =
        new DestinationSettingIr(
            "grpcroute/default/r/rule/0/backend/0",
            1,
            protocol,
            "IP",
            List.of(new EndpointIr("10.0.0.1", 50051)),
            null);
    return new ClusterXdsTranslator.ClusterRef(
        "grpcroute/default/r/rule/0", 1, s, List.of(), settings(a));
  }

  @Test
  void grpcCheckWithLogAndPortOverride() throws Exception {
    var ref =
        ref(
            "GRPC",
            grpc(50052, new ClusterSettingsIr.HealthCheckLogIr(true, false, "/tmp/hc.log")));
    var c = ClusterXdsTranslator.cluster(ref);
    HealthCheck h = c.getHealthChecks(0);
    assertThat(h.getGrpcHealthCheck().getServiceName()).isEqualTo("foo-service");
    assertThat(h.getAlwaysLogHealthCheckFailures()).isTrue();
    assertThat(h.getAlwaysLogHealthCheckSuccess()).isFalse();
    assertThat(h.getEventLogger(0).getName()).isEqualTo("envoy.health_check.event_sinks.file");
    assertThat(
            h.getEventLogger(0)
                .getTypedConfig()
                .unpack(HealthCheckEventFileSink.class)
                .getEventLogPath())
        .isEqualTo("/tmp/hc.log");
    var cla = ClusterXdsTranslator.assignment(ref);
    assertThat(
            cla.getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getHealthCheckConfig()
                .getPortValue())
        .isEqualTo(50052);
    assertThat(
            cla.getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getAddress()
                .getSocketAddress()
                .getPortValue())
        .isEqualTo(50051);
  }

  @Test
  void grpcCheckIsLeftOutOfAnHttp1Cluster() {
    var c = ClusterXdsTranslator.cluster(ref("HTTP", grpc(null, null)));
    assertThat(c.getHealthChecksList()).isEmpty();
  }
}
