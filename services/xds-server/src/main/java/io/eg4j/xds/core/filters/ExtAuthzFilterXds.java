package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.ExtAuthIr;
import io.eg4j.model.ir.security.SecurityIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.AuthorizationResponse;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.BufferSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.CheckSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.HttpService;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * External authorization: one ext_authz filter per SecurityPolicy (service, headers and body
 * settings are listener-level), disabled on the listener and enabled on the policy's routes.
 */
final class ExtAuthzFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.ext_authz";

  @Override
  public String type() {
    return TYPE;
  }

  static String filterName(SecurityIr s) {
    return TYPE + "/" + s.policy();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, ExtAuthIr> byFilter = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.security() != null && r.security().extAuth() != null) {
        byFilter.putIfAbsent(filterName(r.security()), r.security().extAuth());
      }
    }
    byFilter.forEach(
        (name, a) ->
            filters.add(
                HttpFilter.newBuilder()
                    .setName(name)
                    .setTypedConfig(typedConfig(a))
                    .setDisabled(true)
                    .build()));
  }

  /**
   * The filter's config; an HTTP service's path override and retry policy are fields newer than the
   * protos eg4j builds with, so that config travels as a TypedStruct.
   */
  static com.google.protobuf.Any typedConfig(ExtAuthIr a) {
    ExtAuthz c = config(a);
    if (a.grpc() || (a.pathOverride() == null && a.retry() == null)) {
      return any(c);
    }
    return Protos.anyWithFields(
        c,
        json -> {
          var http = (com.fasterxml.jackson.databind.node.ObjectNode) json.get("http_service");
          if (a.pathOverride() != null) {
            http.put("path_override", a.pathOverride());
          }
          if (a.retry() != null) {
            http.set("retry_policy", Protos.jsonTree(PolicyRetries.of(a.retry())));
          }
        });
  }

  static ExtAuthz config(ExtAuthIr a) {
    // Several backendRefs are one cluster named after the destination, each backendRef a locality.
    String cluster = FilterResources.policyServiceCluster(a.destination());
    ExtAuthz.Builder b =
        ExtAuthz.newBuilder()
            .setTransportApiVersion(ApiVersion.V3)
            .setFailureModeAllow(a.failOpen())
            .setClearRouteCache(a.recomputeRoute());
    if (a.grpc()) {
      GrpcService.Builder grpc =
          GrpcService.newBuilder()
              .setEnvoyGrpc(
                  GrpcService.EnvoyGrpc.newBuilder()
                      .setClusterName(cluster)
                      .setAuthority(a.authority()))
              .setTimeout(Protos.millis(a.timeout().millis()));
      if (a.retry() != null) {
        grpc.setRetryPolicy(PolicyRetries.of(a.retry()));
      }
      b.setGrpcService(grpc);
    } else {
      boolean tls = a.destination().settings().stream().anyMatch(s -> s.tls() != null);
      String path = a.pathOverride() != null ? a.pathOverride() : a.path() == null ? "" : a.path();
      HttpService.Builder http =
          HttpService.newBuilder()
              .setServerUri(
                  HttpUri.newBuilder()
                      .setUri((tls ? "https://" : "http://") + a.authority() + path)
                      .setCluster(cluster)
                      .setTimeout(Protos.millis(a.timeout().millis())));
      if (!path.isEmpty() && a.pathOverride() == null) {
        http.setPathPrefix(path);
      }
      if (!a.headersToBackend().isEmpty()) {
        http.setAuthorizationResponse(
            AuthorizationResponse.newBuilder()
                .setAllowedUpstreamHeaders(matchers(a.headersToBackend())));
      }
      b.setHttpService(http);
    }
    if (!a.headersToExtAuth().isEmpty()) {
      b.setAllowedHeaders(matchers(a.headersToExtAuth()));
    }
    if (a.statusOnError() > 0) {
      b.setStatusOnError(
          io.envoyproxy.envoy.type.v3.HttpStatus.newBuilder().setCodeValue(a.statusOnError()));
    }
    if (a.maxRequestBytes() > 0) {
      b.setWithRequestBody(BufferSettings.newBuilder().setMaxRequestBytes(a.maxRequestBytes()));
    }
    return b.build();
  }

  private static ListStringMatcher matchers(List<String> names) {
    ListStringMatcher.Builder m = ListStringMatcher.newBuilder();
    for (String n : names) {
      m.addPatterns(StringMatcher.newBuilder().setExact(n).setIgnoreCase(true));
    }
    return m.build();
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.security() == null || ir.security().extAuth() == null) {
      return;
    }
    route.putTypedPerFilterConfig(
        filterName(ir.security()),
        any(
            ExtAuthzPerRoute.newBuilder()
                .setCheckSettings(
                    CheckSettings.newBuilder()
                        .putAllContextExtensions(ir.security().extAuth().contextExtensions()))
                .build()));
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    for (HttpRouteIr r : routes) {
      if (r.security() != null && r.security().extAuth() != null) {
        out.addPolicyService(r.security().extAuth().destination());
      }
    }
  }
}
