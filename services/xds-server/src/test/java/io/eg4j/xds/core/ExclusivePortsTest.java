package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Standalone mode's listeners: TCP ones bind without SO_REUSEPORT, UDP ones keep Envoy's default.
 */
class ExclusivePortsTest {
  private static Listener listener(String name, SocketAddress.Protocol protocol) {
    return Listener.newBuilder()
        .setName(name)
        .setAddress(
            Address.newBuilder()
                .setSocketAddress(
                    SocketAddress.newBuilder()
                        .setAddress("0.0.0.0")
                        .setPortValue(8888)
                        .setProtocol(protocol)))
        .build();
  }

  @Test
  void tcpListenersBindExclusivelyAndUdpOnesAreLeftAlone() {
    XdsResources in =
        new XdsResources(
            List.of(
                listener("tcp", SocketAddress.Protocol.TCP),
                listener("udp", SocketAddress.Protocol.UDP)),
            List.of(),
            List.of(),
            List.of(),
            List.of());
    XdsResources out = XdsSnapshots.exclusivePorts(in);
    assertThat(out.listeners()).hasSize(2);
    Listener tcp = out.listeners().get(0);
    Listener udp = out.listeners().get(1);
    assertThat(tcp.getName()).isEqualTo("tcp");
    assertThat(tcp.hasEnableReusePort()).isTrue();
    assertThat(tcp.getEnableReusePort().getValue()).isFalse();
    // QUIC and UDP listeners spread datagrams over the workers with SO_REUSEPORT.
    assertThat(udp.hasEnableReusePort()).isFalse();
    // Nothing else changes.
    assertThat(tcp.toBuilder().clearEnableReusePort().build())
        .isEqualTo(listener("tcp", SocketAddress.Protocol.TCP));
  }
}
