package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.JwtIr;
import io.eg4j.model.ir.security.JwtIr.JwtProviderIr;
import io.eg4j.model.ir.security.SecurityIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HttpUri;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwksAsyncFetch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RemoteJwks;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JWT authentication: one jwt_authn filter per connection manager holding the providers of every
 * policy its routes use, and one requirement per policy ({@code requirement_map}, named by the
 * policy id). A route with JWT names its policy's requirement; a route without names none, so the
 * filter does nothing there. The verified payload is kept in dynamic metadata under the provider
 * name, where the RBAC filter reads claims.
 */
final class JwtAuthnFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.jwt_authn";

  @Override
  public String type() {
    return TYPE;
  }

  /** The provider name in the filter: unique per policy and provider. */
  static String providerName(SecurityIr s, JwtProviderIr p) {
    return s.policy() + "/" + p.name();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    Map<String, SecurityIr> policies = new TreeMap<>();
    for (HttpRouteIr r : routes) {
      if (r.security() != null && r.security().jwt() != null) {
        policies.putIfAbsent(r.security().policy(), r.security());
      }
    }
    if (policies.isEmpty()) {
      return;
    }
    JwtAuthentication.Builder cfg = JwtAuthentication.newBuilder();
    for (SecurityIr s : policies.values()) {
      JwtIr jwt = s.jwt();
      JwtRequirementOrList.Builder any = JwtRequirementOrList.newBuilder();
      for (JwtProviderIr p : jwt.providers()) {
        cfg.putProviders(providerName(s, p), provider(s, p));
        any.addRequirements(JwtRequirement.newBuilder().setProviderName(providerName(s, p)));
      }
      if (jwt.failOpen()) {
        any.addRequirements(
            JwtRequirement.newBuilder()
                .setAllowMissingOrFailed(com.google.protobuf.Empty.getDefaultInstance()));
      } else if (jwt.optional()) {
        any.addRequirements(
            JwtRequirement.newBuilder()
                .setAllowMissing(com.google.protobuf.Empty.getDefaultInstance()));
      }
      JwtRequirement requirement =
          any.getRequirementsCount() == 1
              ? any.getRequirements(0)
              : JwtRequirement.newBuilder().setRequiresAny(any).build();
      cfg.putRequirementMap(s.policy(), requirement);
    }
    filters.add(HttpFilter.newBuilder().setName(TYPE).setTypedConfig(any(cfg.build())).build());
  }

  private static JwtProvider provider(SecurityIr s, JwtProviderIr p) {
    JwtProvider.Builder b =
        JwtProvider.newBuilder()
            // The token stays on the request, and the payload goes to metadata for RBAC.
            .setForward(true)
            .setPayloadInMetadata(providerName(s, p))
            // Scopes are space-delimited strings; as lists, authorization rules can match one.
            .setNormalizePayloadInMetadata(
                io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider
                    .NormalizePayload.newBuilder()
                    .addSpaceDelimitedClaims("scope")
                    .addSpaceDelimitedClaims("scp"))
            .setClearRouteCache(p.recomputeRoute());
    if (p.issuer() != null) {
      b.setIssuer(p.issuer());
    }
    b.addAllAudiences(p.audiences());
    if (p.localJwks() != null) {
      b.setLocalJwks(DataSource.newBuilder().setInlineString(p.localJwks()));
    } else {
      RemoteJwks.Builder remote =
          RemoteJwks.newBuilder()
              .setHttpUri(
                  HttpUri.newBuilder()
                      .setUri(p.remoteUri())
                      .setCluster(p.jwksCluster().name())
                      .setTimeout(PolicyRetries.requestTimeout(p.jwksCluster())))
              // Fetched in the background at start, so the first request need not wait.
              .setAsyncFetch(
                  p.failedRefetch() == null
                      ? JwksAsyncFetch.getDefaultInstance()
                      : JwksAsyncFetch.newBuilder()
                          .setFailedRefetchDuration(Protos.millis(p.failedRefetch().millis()))
                          .build());
      if (p.jwksRetry() != null) {
        remote.setRetryPolicy(PolicyRetries.of(p.jwksRetry()));
      }
      if (p.cacheDuration() != null) {
        remote.setCacheDuration(Protos.millis(p.cacheDuration().millis()));
      }
      b.setRemoteJwks(remote);
    }
    for (JwtIr.ClaimToHeaderIr c : p.claimToHeaders()) {
      b.addClaimToHeaders(
          JwtClaimToHeader.newBuilder().setClaimName(c.claim()).setHeaderName(c.header()));
    }
    for (JwtIr.TokenHeaderIr h : p.fromHeaders()) {
      JwtHeader.Builder jh = JwtHeader.newBuilder().setName(h.name());
      if (h.valuePrefix() != null) {
        jh.setValuePrefix(h.valuePrefix());
      }
      b.addFromHeaders(jh);
    }
    b.addAllFromParams(p.fromParams());
    b.addAllFromCookies(p.fromCookies());
    return b.build();
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (ir.security() == null || ir.security().jwt() == null) {
      return;
    }
    route.putTypedPerFilterConfig(
        TYPE, any(PerRouteConfig.newBuilder().setRequirementName(ir.security().policy()).build()));
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    for (HttpRouteIr r : routes) {
      if (r.security() != null && r.security().jwt() != null) {
        for (JwtProviderIr p : r.security().jwt().providers()) {
          if (p.jwksCluster() != null) {
            out.addPolicyService(p.jwksCluster());
          }
        }
      }
    }
  }
}
