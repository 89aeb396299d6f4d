package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.envoy.extensions.filters.http.compressor.v3.Compressor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compressor filters of a listener: one per type, each with its minimum response length. */
class CompressionFilterXdsTest {
  static HttpRouteIr route(String name, List<String> types, Map<String, Long> minLength) {
    TrafficIr t =
        new TrafficIr(
            "backendtrafficpolicy/default/" + name,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            false,
            types,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            minLength);
    return Ir.route("httproute/default/" + name + "/rule/0/match/0/x")
        .prefix("/" + name)
        .to(Ir.dest("d", "HTTP", 8080))
        .build()
        .withTraffic(t);
  }

  static Compressor compressor(List<HttpFilter> filters, String name) throws Exception {
    return filters.stream()
        .filter(f -> f.getName().equals(name))
        .findFirst()
        .orElseThrow()
        .getTypedConfig()
        .unpack(Compressor.class);
  }

  @Test
  void theFirstRouteOfATypeSetsItsMinimumContentLength() throws Exception {
    List<HttpFilter> filters = new ArrayList<>();
    new TrafficFiltersXds.Compression()
        .patchHcm(
            filters,
            List.of(
                route("a", List.of("Gzip", "Brotli"), Map.of("Brotli", 2048L)),
                route("b", List.of("Brotli", "Zstd"), Map.of("Brotli", 64L, "Zstd", 100L))));
    assertThat(filters)
        .extracting(HttpFilter::getName)
        .containsExactly(
            "envoy.filters.http.compressor.gzip",
            "envoy.filters.http.compressor.brotli",
            "envoy.filters.http.compressor.zstd");
    assertThat(
            compressor(filters, "envoy.filters.http.compressor.gzip").hasResponseDirectionConfig())
        .isFalse();
    assertThat(
            compressor(filters, "envoy.filters.http.compressor.brotli")
                .getResponseDirectionConfig()
                .getCommonConfig()
                .getMinContentLength()
                .getValue())
        .isEqualTo(2048);
    assertThat(
            compressor(filters, "envoy.filters.http.compressor.zstd")
                .getResponseDirectionConfig()
                .getCommonConfig()
                .getMinContentLength()
                .getValue())
        .isEqualTo(100);
  }
}
