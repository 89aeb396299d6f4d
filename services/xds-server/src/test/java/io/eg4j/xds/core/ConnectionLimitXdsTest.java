package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ClientTrafficPolicy {@code connection.connectionLimit}: the connection_limit network filter comes
 * first in every filter chain of the policy's port, with the limit and the close delay; a port
 * without the setting has no such filter.
 */
class ConnectionLimitXdsTest {
  private static final String FILTER = "envoy.filters.network.connection_limit";

  private static List<Listener> listeners(String... replacements) throws Exception {
    return new ListenerXdsTranslator()
        .translate(XdsGoldenCases.read("client-http1-upstream", replacements));
  }

  private static Listener http(List<Listener> all) {
    return all.stream()
        .filter(l -> l.getAddress().getSocketAddress().getPortValue() == 10080)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void theLimitIsTheFirstFilterOfEveryChain() throws Exception {
    Listener l =
        http(
            listeners(
                "      grpcWeb: false\n      http10DefaultHost: www.example.com",
                "      grpcWeb: false\n      connectionLimit: 3\n"
                    + "      connectionLimitCloseDelayMillis: 250\n"
                    + "      http10DefaultHost: www.example.com"));
    List<FilterChain> chains = new java.util.ArrayList<>(l.getFilterChainsList());
    if (l.hasDefaultFilterChain()) {
      chains.add(l.getDefaultFilterChain());
    }
    assertThat(chains).isNotEmpty();
    for (FilterChain fc : chains) {
      Filter first = fc.getFilters(0);
      assertThat(first.getName()).isEqualTo(FILTER);
      ConnectionLimit cl = first.getTypedConfig().unpack(ConnectionLimit.class);
      assertThat(cl.getMaxConnections().getValue()).isEqualTo(3);
      assertThat(cl.getDelay().getNanos()).isEqualTo(250_000_000);
      assertThat(cl.getStatPrefix()).isNotEmpty();
      assertThat(fc.getFilters(1).getName())
          .isEqualTo("envoy.filters.network.http_connection_manager");
    }
  }

  @Test
  void withoutTheSettingThereIsNoLimit() throws Exception {
    for (Listener l : listeners()) {
      List<FilterChain> chains = new java.util.ArrayList<>(l.getFilterChainsList());
      if (l.hasDefaultFilterChain()) {
        chains.add(l.getDefaultFilterChain());
      }
      for (FilterChain fc : chains) {
        assertThat(fc.getFiltersList()).noneMatch(f -> f.getName().equals(FILTER));
      }
    }
  }
}
