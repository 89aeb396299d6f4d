package io.eg4j.model.ir.security;

import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.RouteDestinationIr;
import java.util.List;

/**
 * External authorization (Envoy's ext_authz filter), over HTTP or gRPC: every request of the route
 * is first checked by the service; a denial is answered by Envoy with the service's status.
 *
 * @param grpc true for the gRPC {@code envoy.service.auth.v3} API, false for HTTP
 * @param destination the authorization service
 * @param authority the service's host and port ({@code name.namespace:port}), sent as the gRPC
 *     authority and used in the HTTP service URI
 * @param path for HTTP, the path prefix of the check request, or null
 * @param headersToExtAuth request headers sent to the service (empty for Envoy's default)
 * @param headersToBackend for HTTP, the service's response headers copied onto the request
 * @param maxRequestBytes the request body sent with the check, up to this size; 0 for none
 * @param failOpen true to let requests through when the service cannot be reached or fails
 * @param timeout the check timeout
 * @param recomputeRoute true to pick the route again after the check (headers may have changed)
 * @param statusOnError the status answered when the service errors, or 0 for Envoy's default
 * @param retry retries of the check, or null
 * @param pathOverride for HTTP, the path every check request uses instead of the request's own, or
 *     null
 * @param contextExtensions opaque key-value pairs sent to a gRPC service with every check (the
 *     CheckRequest's context extensions); empty for none
 */
public record ExtAuthIr(
    boolean grpc,
    RouteDestinationIr destination,
    String authority,
    String path,
    List<String> headersToExtAuth,
    List<String> headersToBackend,
    int maxRequestBytes,
    boolean failOpen,
    DurationIr timeout,
    boolean recomputeRoute,
    int statusOnError,
    PolicyRetryIr retry,
    String pathOverride,
    java.util.Map<String, String> contextExtensions) {
  public ExtAuthIr {
    contextExtensions =
        contextExtensions == null
            ? java.util.Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(contextExtensions));
    headersToExtAuth = headersToExtAuth == null ? List.of() : List.copyOf(headersToExtAuth);
    headersToBackend = headersToBackend == null ? List.of() : List.copyOf(headersToBackend);
    if (destination == null) {
      throw new IllegalArgumentException("external authorization needs a service");
    }
  }
}
