package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.compression.brotli.compressor.v3.Brotli;
import io.envoyproxy.envoy.extensions.compression.gzip.compressor.v3.Gzip;
import io.envoyproxy.envoy.extensions.compression.zstd.compressor.v3.Zstd;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.bandwidth_limit.v3.BandwidthLimit;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.Buffer;
import io.envoyproxy.envoy.extensions.filters.http.buffer.v3.BufferPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.compressor.v3.Compressor;
import io.envoyproxy.envoy.extensions.filters.http.compressor.v3.CompressorOverrides;
import io.envoyproxy.envoy.extensions.filters.http.compressor.v3.CompressorPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.compressor.v3.ResponseDirectionOverrides;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The BackendTrafficPolicy features that are HTTP filters, each disabled (or inert) on the listener
 * and turned on by the routes whose policy sets it: fault injection, response compression (gzip,
 * brotli, zstd) and request buffering.
 */
final class TrafficFiltersXds {
  private TrafficFiltersXds() {}

  private static TrafficIr traffic(HttpRouteIr r) {
    return r.traffic();
  }

  /** Fault injection: an inert filter on the listener, the route's fault per route. */
  static final class Fault implements HttpFilterXds {
    static final String TYPE = "envoy.filters.http.fault";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
      if (routes.stream().anyMatch(r -> traffic(r) != null && traffic(r).fault() != null)) {
        filters.add(
            HttpFilter.newBuilder()
                .setName(TYPE)
                .setTypedConfig(any(HTTPFault.getDefaultInstance()))
                .build());
      }
    }

    @Override
    public void patchRoute(Route.Builder route, HttpRouteIr ir) {
      TrafficIr t = traffic(ir);
      if (t == null || t.fault() == null) {
        return;
      }
      TrafficIr.FaultIr f = t.fault();
      HTTPFault.Builder h = HTTPFault.newBuilder();
      if (f.abortPercent() != null) {
        FaultAbort.Builder a = FaultAbort.newBuilder().setPercentage(percent(f.abortPercent()));
        if (f.httpStatus() != null) {
          a.setHttpStatus(f.httpStatus());
        } else {
          a.setGrpcStatus(f.grpcStatus());
        }
        h.setAbort(a);
      }
      if (f.delay() != null) {
        h.setDelay(
            FaultDelay.newBuilder()
                .setFixedDelay(Protos.millis(f.delay().millis()))
                .setPercentage(percent(f.delayPercent())));
      }
      route.putTypedPerFilterConfig(TYPE, any(h.build()));
    }

    private static FractionalPercent percent(double p) {
      return FractionalPercent.newBuilder()
          .setNumerator((int) Math.round(p * 10_000))
          .setDenominator(FractionalPercent.DenominatorType.MILLION)
          .build();
    }
  }

  /**
   * Compression: one compressor filter per algorithm any route uses, disabled on the listener; a
   * route turns on its policy's algorithms. When a client accepts several, the first of the
   * policy's list wins.
   */
  static final class Compression implements HttpFilterXds {
    static final String PREFIX = "envoy.filters.http.compressor.";

    @Override
    public String type() {
      return "envoy.filters.http.compressor";
    }

    @Override
    public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
      Set<String> types = new LinkedHashSet<>();
      Set<String> first = new LinkedHashSet<>();
      java.util.Map<String, Long> minLength = new java.util.HashMap<>();
      for (HttpRouteIr r : routes) {
        if (traffic(r) != null && !traffic(r).compression().isEmpty()) {
          for (String t : traffic(r).compression()) {
            // The filter is shared by the listener's routes: as in Envoy Gateway, the first route
            // that compresses with a type sets its minimum length.
            if (types.add(t) && traffic(r).compressionMinContentLength().containsKey(t)) {
              minLength.put(t, traffic(r).compressionMinContentLength().get(t));
            }
          }
          first.add(traffic(r).compression().get(0));
        }
      }
      for (String t : types) {
        Compressor.Builder c = Compressor.newBuilder().setCompressorLibrary(library(t));
        if (first.contains(t)) {
          c.setChooseFirst(true);
        }
        if (minLength.containsKey(t)) {
          c.setResponseDirectionConfig(
              Compressor.ResponseDirectionConfig.newBuilder()
                  .setCommonConfig(
                      Compressor.CommonDirectionConfig.newBuilder()
                          .setMinContentLength(
                              com.google.protobuf.UInt32Value.of(minLength.get(t).intValue()))));
        }
        filters.add(
            HttpFilter.newBuilder()
                .setName(PREFIX + t.toLowerCase(Locale.ROOT))
                .setDisabled(true)
                .setTypedConfig(any(c.build()))
                .build());
      }
    }

    private static TypedExtensionConfig library(String type) {
      String lib = type.toLowerCase(Locale.ROOT);
      TypedExtensionConfig.Builder b =
          TypedExtensionConfig.newBuilder().setName("envoy.compression." + lib + ".compressor");
      return switch (type) {
        case "Brotli" -> b.setTypedConfig(any(Brotli.getDefaultInstance())).build();
        case "Zstd" -> b.setTypedConfig(any(Zstd.getDefaultInstance())).build();
        default -> b.setTypedConfig(any(Gzip.getDefaultInstance())).build();
      };
    }

    @Override
    public void patchRoute(Route.Builder route, HttpRouteIr ir) {
      TrafficIr t = traffic(ir);
      if (t == null) {
        return;
      }
      for (String type : t.compression()) {
        route.putTypedPerFilterConfig(
            PREFIX + type.toLowerCase(Locale.ROOT),
            any(
                CompressorPerRoute.newBuilder()
                    .setOverrides(
                        CompressorOverrides.newBuilder()
                            .setResponseDirectionConfig(
                                ResponseDirectionOverrides.getDefaultInstance()))
                    .build()));
      }
    }
  }

  /** Request buffering: disabled on the listener, each route's limit per route. */
  static final class RequestBuffer implements HttpFilterXds {
    static final String TYPE = "envoy.filters.http.buffer";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
      routes.stream()
          .filter(r -> traffic(r) != null && traffic(r).requestBufferBytes() != null)
          .findFirst()
          .ifPresent(
              r ->
                  filters.add(
                      HttpFilter.newBuilder()
                          .setName(TYPE)
                          .setDisabled(true)
                          .setTypedConfig(any(buffer(traffic(r).requestBufferBytes())))
                          .build()));
    }

    private static Buffer buffer(long bytes) {
      return Buffer.newBuilder()
          .setMaxRequestBytes(
              com.google.protobuf.UInt32Value.of((int) Math.min(bytes, 0xFFFFFFFFL)))
          .build();
    }

    @Override
    public void patchRoute(Route.Builder route, HttpRouteIr ir) {
      TrafficIr t = traffic(ir);
      if (t != null && t.requestBufferBytes() != null) {
        route.putTypedPerFilterConfig(
            TYPE,
            any(BufferPerRoute.newBuilder().setBuffer(buffer(t.requestBufferBytes())).build()));
      }
    }
  }

  /**
   * Bandwidth limits: a disabled filter per direction on the listener, each route's limits per
   * route. The response direction reports the delay it added in {@code x-eg-*} trailers.
   */
  static final class Bandwidth implements HttpFilterXds {
    static final String TYPE = "envoy.filters.http.bandwidth_limit";
    private static final String STAT_PREFIX = "http_bandwidth_limiter";

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
      boolean request =
          routes.stream().anyMatch(r -> traffic(r) != null && traffic(r).requestKbps() != null);
      boolean response =
          routes.stream().anyMatch(r -> traffic(r) != null && traffic(r).responseKbps() != null);
      for (String dir :
          request && response
              ? List.of("request", "response")
              : request ? List.of("request") : response ? List.of("response") : List.<String>of()) {
        filters.add(
            HttpFilter.newBuilder()
                .setName(TYPE + "/" + dir)
                .setDisabled(true)
                .setTypedConfig(any(BandwidthLimit.newBuilder().setStatPrefix(STAT_PREFIX).build()))
                .build());
      }
    }

    @Override
    public void patchRoute(Route.Builder route, HttpRouteIr ir) {
      TrafficIr t = traffic(ir);
      if (t == null) {
        return;
      }
      if (t.requestKbps() != null) {
        route.putTypedPerFilterConfig(
            TYPE + "/request",
            any(
                BandwidthLimit.newBuilder()
                    .setStatPrefix(STAT_PREFIX)
                    .setEnableMode(BandwidthLimit.EnableMode.REQUEST)
                    .setLimitKbps(com.google.protobuf.UInt64Value.of(t.requestKbps()))
                    .build()));
      }
      if (t.responseKbps() != null) {
        route.putTypedPerFilterConfig(
            TYPE + "/response",
            any(
                BandwidthLimit.newBuilder()
                    .setStatPrefix(STAT_PREFIX)
                    .setEnableMode(BandwidthLimit.EnableMode.RESPONSE)
                    .setLimitKbps(com.google.protobuf.UInt64Value.of(t.responseKbps()))
                    .setEnableResponseTrailers(true)
                    .setResponseTrailerPrefix(
                        t.responseTrailerPrefix() == null ? "x-eg" : t.responseTrailerPrefix())
                    .build()));
      }
    }
  }
}
