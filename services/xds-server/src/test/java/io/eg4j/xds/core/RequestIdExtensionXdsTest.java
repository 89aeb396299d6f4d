package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.TelemetryIr;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * EnvoyProxy {@code telemetry.requestID.tracing}: each value sets the UUID request ID extension's
 * two switches on every HTTP connection manager; unset leaves Envoy's default (no extension).
 */
class RequestIdExtensionXdsTest {
  private static UuidRequestIdConfig uuid(String tracing) throws Exception {
    return TelemetryXds.requestIdExtension(tracing)
        .getTypedConfig()
        .unpack(UuidRequestIdConfig.class);
  }

  @Test
  void eachValueSetsPackingAndSampling() throws Exception {
    assertThat(uuid("PackAndSample").getPackTraceReason().getValue()).isTrue();
    assertThat(uuid("PackAndSample").getUseRequestIdForTraceSampling().getValue()).isTrue();
    assertThat(uuid("Pack").getPackTraceReason().getValue()).isTrue();
    assertThat(uuid("Pack").getUseRequestIdForTraceSampling().getValue()).isFalse();
    assertThat(uuid("Sample").getPackTraceReason().getValue()).isFalse();
    assertThat(uuid("Sample").getUseRequestIdForTraceSampling().getValue()).isTrue();
    assertThat(uuid("Disable").hasPackTraceReason()).isTrue();
    assertThat(uuid("Disable").getPackTraceReason().getValue()).isFalse();
    assertThat(uuid("Disable").getUseRequestIdForTraceSampling().getValue()).isFalse();
    assertThat(TelemetryXds.requestIdExtension(null)).isNull();
  }

  @Test
  void everyConnectionManagerGetsTheExtension() throws Exception {
    List<Listener> plain =
        new ListenerXdsTranslator().translate(XdsGoldenCases.read("client-http1-upstream"));
    List<Listener> out = TelemetryXds.apply(plain, new TelemetryIr(null, null, null, "Disable"));
    int managers = 0;
    for (Listener l : out) {
      List<io.envoyproxy.envoy.config.listener.v3.FilterChain> chains =
          new java.util.ArrayList<>(l.getFilterChainsList());
      if (l.hasDefaultFilterChain()) {
        chains.add(l.getDefaultFilterChain());
      }
      for (var fc : chains) {
        for (var f : fc.getFiltersList()) {
          if (f.getTypedConfig().is(HttpConnectionManager.class)) {
            managers++;
            HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
            assertThat(
                    hcm.getRequestIdExtension()
                        .getTypedConfig()
                        .unpack(UuidRequestIdConfig.class)
                        .getUseRequestIdForTraceSampling()
                        .getValue())
                .isFalse();
          }
        }
      }
    }
    assertThat(managers).isPositive();
  }
}
