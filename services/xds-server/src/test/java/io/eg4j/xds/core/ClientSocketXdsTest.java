package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.SocketOption;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ClientTrafficPolicy socket settings: the socket receive buffer, the listener filters' timeout,
 * the TLS handshake timeout of terminating chains, the TCP proxy's idle timeout and the scheme sent
 * upstream.
 */
class ClientSocketXdsTest {
  private static final String HTTPS_CLIENT =
      "    hostnames: [\"a.example.com\"]\n"
          + "    client:\n"
          + "      policy: clienttrafficpolicy/default/https\n"
          + "      socket: {socketBufferLimitBytes: 65536, tlsHandshakeTimeout: {millis: 2000},"
          + " connectionInspectionTimeout: {millis: 3000}, scheme: MatchBackend}\n";

  private static final String TCP_CLIENT =
      "  - name: default/tls/tcp\n"
          + "    client:\n"
          + "      policy: clienttrafficpolicy/default/tcp\n"
          + "      socket: {tcpIdleTimeout: {millis: 1500}}\n";

  private static List<Listener> listeners(String... replacements) throws Exception {
    return new ListenerXdsTranslator().translate(XdsGoldenCases.read("tls-tcp-udp", replacements));
  }

  private static Listener port(List<Listener> all, int port) {
    return all.stream()
        .filter(l -> l.getAddress().getSocketAddress().getPortValue() == port)
        .filter(l -> !l.getName().endsWith("-quic"))
        .findFirst()
        .orElseThrow();
  }

  private static <T extends com.google.protobuf.Message> T config(Filter f, Class<T> type)
      throws Exception {
    return f.getTypedConfig().unpack(type);
  }

  @Test
  void theSettingsReachTheirListenersAndChains() throws Exception {
    List<Listener> all =
        listeners(
            "    hostnames: [\"a.example.com\"]\n",
            HTTPS_CLIENT,
            "  - name: default/tls/tcp\n",
            TCP_CLIENT);
    Listener tls = port(all, 10443);
    assertThat(tls.getSocketOptionsList())
        .anySatisfy(
            o -> {
              assertThat(o.getLevel()).isEqualTo(1);
              assertThat(o.getName()).isEqualTo(8);
              assertThat(o.getIntValue()).isEqualTo(65536);
              assertThat(o.getState()).isEqualTo(SocketOption.SocketState.STATE_PREBIND);
            });
    assertThat(tls.getListenerFiltersTimeout().getSeconds()).isEqualTo(3);
    FilterChain a =
        tls.getFilterChainsList().stream()
            .filter(c -> c.getName().equals("default/tls/https-a"))
            .findFirst()
            .orElseThrow();
    assertThat(a.getTransportSocketConnectTimeout().getSeconds()).isEqualTo(2);
    assertThat(
            config(a.getFilters(a.getFiltersCount() - 1), HttpConnectionManager.class)
                .getSchemeHeaderTransformation()
                .getMatchUpstream())
        .isTrue();
    // The other HTTPS listener has no policy: no handshake timeout, the client's scheme.
    FilterChain b =
        tls.getFilterChainsList().stream()
            .filter(c -> c.getName().equals("default/tls/https-b"))
            .findFirst()
            .orElseThrow();
    assertThat(b.hasTransportSocketConnectTimeout()).isFalse();
    assertThat(
            config(b.getFilters(b.getFiltersCount() - 1), HttpConnectionManager.class)
                .hasSchemeHeaderTransformation())
        .isFalse();
    Listener tcp = port(all, 10900);
    for (FilterChain c : tcp.getFilterChainsList()) {
      TcpProxy tp = config(c.getFilters(c.getFiltersCount() - 1), TcpProxy.class);
      assertThat(tp.getIdleTimeout().getSeconds()).isEqualTo(1);
      assertThat(tp.getIdleTimeout().getNanos()).isEqualTo(500_000_000);
    }
    assertThat(tcp.getSocketOptionsList()).noneMatch(o -> o.getName() == 8);
    assertThat(tcp.hasListenerFiltersTimeout()).isFalse();
  }

  @Test
  void withoutThePolicyNothingChanges() throws Exception {
    for (Listener l : listeners()) {
      assertThat(l.getSocketOptionsList()).noneMatch(o -> o.getName() == 8);
      assertThat(l.hasListenerFiltersTimeout()).isFalse();
      for (FilterChain c : l.getFilterChainsList()) {
        assertThat(c.hasTransportSocketConnectTimeout()).isFalse();
        Filter last = c.getFilters(c.getFiltersCount() - 1);
        if (last.getName().equals("envoy.filters.network.tcp_proxy")) {
          assertThat(config(last, TcpProxy.class).hasIdleTimeout()).isFalse();
        }
      }
    }
  }
}
