package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.traffic.HttpConnectionLimitsIr;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import org.junit.jupiter.api.Test;

/** A ClientTrafficPolicy's HTTP connection and stream limits in the connection manager. */
class HttpConnectionLimitsXdsTest {
  @Test
  void eachLimitSetsEnvoysField() {
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder();
    ListenerXdsTranslator.httpLimits(
        hcm,
        new HttpConnectionLimitsIr(
            new DurationIr(5_000), new DurationIr(600_000), 100L, new DurationIr(1_500), true));
    assertThat(hcm.getRequestHeadersTimeout().getSeconds()).isEqualTo(5);
    var common = hcm.getCommonHttpProtocolOptions();
    assertThat(common.getMaxConnectionDuration().getSeconds()).isEqualTo(600);
    assertThat(common.getMaxRequestsPerConnection().getValue()).isEqualTo(100);
    assertThat(common.getMaxStreamDuration().getNanos()).isEqualTo(500_000_000);
    assertThat(hcm.getHttp1SafeMaxConnectionDuration()).isTrue();
  }

  @Test
  void unsetLimitsStayUnset() {
    HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder();
    ListenerXdsTranslator.httpLimits(hcm, new HttpConnectionLimitsIr(null, null, 7L, null, false));
    assertThat(hcm.hasRequestHeadersTimeout()).isFalse();
    assertThat(hcm.getCommonHttpProtocolOptions().hasMaxConnectionDuration()).isFalse();
    assertThat(hcm.getCommonHttpProtocolOptions().getMaxRequestsPerConnection().getValue())
        .isEqualTo(7);
    assertThat(hcm.getHttp1SafeMaxConnectionDuration()).isFalse();
  }
}
