package io.eg4j.model.k8s;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Gateway API features eg4j supports (upstream's names, {@code sigs.k8s.io/gateway-api/pkg/
 * features} v1.6.1): published in every GatewayClass's {@code status.supportedFeatures}, as Envoy
 * Gateway publishes the features it claims, and the same list the upstream conformance suite runs
 * with ({@code conformance/suite/supported-features.txt}; a test keeps the two equal). The core
 * features of the profiles eg4j runs are included.
 */
public final class SupportedFeatures {
  /** The features, sorted by name as the API requires. */
  public static final List<String> NAMES =
      Stream.of(
              "BackendTLSPolicy",
              "BackendTLSPolicySANValidation",
              "GRPCRoute",
              "GRPCRouteNamedRouteRule",
              "Gateway",
              "GatewayAddressEmpty",
              "GatewayBackendClientCertificate",
              "GatewayFrontendClientCertificateValidation",
              "GatewayFrontendClientCertificateValidationInsecureFallback",
              "GatewayHTTPSListenerDetectMisdirectedRequests",
              "GatewayInfrastructurePropagation",
              "GatewayPort8080",
              "HTTPRoute",
              "HTTPRoute303RedirectStatusCode",
              "HTTPRoute307RedirectStatusCode",
              "HTTPRoute308RedirectStatusCode",
              "HTTPRouteBackendProtocolH2C",
              "HTTPRouteBackendProtocolWebSocket",
              "HTTPRouteBackendRequestHeaderModification",
              "HTTPRouteBackendTimeout",
              "HTTPRouteCORS",
              "HTTPRouteDestinationPortMatching",
              "HTTPRouteHostRewrite",
              "HTTPRouteMethodMatching",
              "HTTPRouteNamedRouteRule",
              "HTTPRouteParentRefPort",
              "HTTPRoutePathRedirect",
              "HTTPRoutePathRewrite",
              "HTTPRoutePortRedirect",
              "HTTPRouteQueryParamMatching",
              "HTTPRouteRequestMirror",
              "HTTPRouteRequestMultipleMirrors",
              "HTTPRouteRequestPercentageMirror",
              "HTTPRouteRequestTimeout",
              "HTTPRouteResponseHeaderModification",
              "HTTPRouteRetry",
              "HTTPRouteRetryBackendTimeout",
              "HTTPRouteRetryConnectionError",
              "HTTPRouteSchemeRedirect",
              "ListenerSet",
              "ReferenceGrant",
              "TLSRoute",
              "TLSRouteModeMixed",
              "TLSRouteModeTerminate")
          .sorted()
          .toList();

  private SupportedFeatures() {}

  /** {@code status.supportedFeatures}: one {@code {name: ...}} object per feature, sorted. */
  public static ArrayNode toJson() {
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    NAMES.forEach(n -> out.addObject().put("name", n));
    return out;
  }
}
