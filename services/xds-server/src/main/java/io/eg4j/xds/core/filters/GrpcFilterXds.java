package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.BoolValue;
import io.eg4j.model.ir.HttpRouteIr;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.grpc_stats.v3.FilterConfig;
import io.envoyproxy.envoy.extensions.filters.http.grpc_web.v3.GrpcWeb;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;

/**
 * The gRPC filters of a connection manager that serves GRPCRoutes, as Envoy Gateway adds them:
 * gRPC-Web, so browsers reach gRPC backends through the same listener, and gRPC statistics (per
 * method call counts and the {@code grpc-status} of every call). Both act on gRPC requests only, so
 * the plain HTTP routes of the same listener are untouched.
 */
final class GrpcFilterXds implements HttpFilterXds {
  static final String GRPC_WEB = "envoy.filters.http.grpc_web";
  static final String GRPC_STATS = "envoy.filters.http.grpc_stats";

  @Override
  public String type() {
    return GRPC_WEB;
  }

  static boolean servesGrpc(List<HttpRouteIr> routes) {
    return routes.stream().anyMatch(HttpRouteIr::grpc);
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    if (!servesGrpc(routes)) {
      return;
    }
    filters.add(
        HttpFilter.newBuilder()
            .setName(GRPC_WEB)
            .setTypedConfig(any(GrpcWeb.getDefaultInstance()))
            .build());
    filters.add(
        HttpFilter.newBuilder()
            .setName(GRPC_STATS)
            .setTypedConfig(
                any(
                    FilterConfig.newBuilder()
                        .setEmitFilterState(true)
                        .setStatsForAllMethods(BoolValue.of(true))
                        .build()))
            .build());
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {}
}
