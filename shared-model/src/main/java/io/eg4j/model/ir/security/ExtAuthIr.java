package io.eg4j.model.ir.security;

import io.eg4j.model.ir.RouteDestinationIr;
import java.util.List;

/**
 * External authorization (Envoy's ext_authz filter), over HTTP or gRPC.
 *
 * @param grpc true for the gRPC {@code envoy.service.auth.v3} API, false for HTTP
 * @param destination the authorization service
 * @param headersToExtAuth request headers sent to the service (empty for Envoy's default)
 * @param failOpen true to let requests through when the service cannot be reached
 */
public record ExtAuthIr(
    boolean grpc, RouteDestinationIr destination, List<String> headersToExtAuth, boolean failOpen) {
  public ExtAuthIr {
    headersToExtAuth = headersToExtAuth == null ? List.of() : List.copyOf(headersToExtAuth);
  }
}
