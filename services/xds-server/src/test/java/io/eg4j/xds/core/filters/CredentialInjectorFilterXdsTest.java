package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.CredentialInjectionIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.credential_injector.v3.CredentialInjector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.http.injected_credentials.generic.v3.Generic;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Credential injection: one disabled filter per HTTPRouteFilter (shared by its routes), enabled on
 * those routes only, and the credential served as an SDS generic secret of the decoded value.
 */
class CredentialInjectorFilterXdsTest {
  private static final CredentialInjectionIr CRED =
      new CredentialInjectionIr(
          "httproutefilter/default/cred",
          "x-api-key",
          true,
          Base64.getEncoder().encodeToString("token-1".getBytes(StandardCharsets.UTF_8)));

  private static HttpRouteIr route(String name, CredentialInjectionIr c) {
    RouteDestinationIr d =
        new RouteDestinationIr(
            name + "/rule/0",
            List.of(
                new RouteDestinationIr.DestinationSettingIr(
                    name + "/rule/0/backend/0",
                    1,
                    "HTTP",
                    "IP",
                    List.of(new RouteDestinationIr.EndpointIr("10.0.0.1", 8080, null)),
                    null)));
    return new HttpRouteIr(
        name, "*", null, List.of(), List.of(), null, d, null, null, null, null, null, List.of(),
        null, null, null, false, Map.of(), null, null, null, null, c);
  }

  @Test
  void oneDisabledFilterPerHttpRouteFilterEnabledOnItsRoutes() throws Exception {
    CredentialInjectorFilterXds x = new CredentialInjectorFilterXds();
    List<HttpRouteIr> routes = List.of(route("a", CRED), route("b", CRED), route("c", null));
    List<HttpFilter> filters = new ArrayList<>();
    x.patchHcm(filters, routes);
    assertThat(filters).hasSize(1);
    HttpFilter f = filters.get(0);
    assertThat(f.getName())
        .isEqualTo("envoy.filters.http.credential_injector/httproutefilter/default/cred");
    assertThat(f.getDisabled()).isTrue();
    CredentialInjector ci = f.getTypedConfig().unpack(CredentialInjector.class);
    assertThat(ci.getOverwrite()).isTrue();
    Generic g = ci.getCredential().getTypedConfig().unpack(Generic.class);
    assertThat(g.getHeader()).isEqualTo("x-api-key");
    assertThat(g.getCredential().getName())
        .isEqualTo("credential_injector/credential/httproutefilter/default/cred");
    assertThat(g.getCredential().getSdsConfig().hasAds()).isTrue();

    Route.Builder with = Route.newBuilder();
    x.patchRoute(with, routes.get(0));
    assertThat(with.getTypedPerFilterConfigMap().get(f.getName()).is(FilterConfig.class)).isTrue();
    Route.Builder without = Route.newBuilder();
    x.patchRoute(without, routes.get(2));
    assertThat(without.getTypedPerFilterConfigMap()).isEmpty();
    // A route that fails closed does not enable it.
    Route.Builder closed = Route.newBuilder();
    x.patchRoute(closed, routes.get(0).failClosed(500));
    assertThat(closed.getTypedPerFilterConfigMap()).isEmpty();

    FilterResources res = new FilterResources();
    x.patchResources(routes, res);
    assertThat(res.secrets()).hasSize(1);
    assertThat(res.secrets().get(0).getGenericSecret().getSecret().getInlineBytes().toStringUtf8())
        .isEqualTo("token-1");
  }

  @Test
  void withoutAHeaderEnvoysDefaultAuthorizationIsUsed() throws Exception {
    CredentialInjectorFilterXds x = new CredentialInjectorFilterXds();
    List<HttpFilter> filters = new ArrayList<>();
    x.patchHcm(
        filters,
        List.of(
            route(
                "a",
                new CredentialInjectionIr(
                    "httproutefilter/default/plain", null, false, CRED.credential()))));
    CredentialInjector ci = filters.get(0).getTypedConfig().unpack(CredentialInjector.class);
    assertThat(ci.getOverwrite()).isFalse();
    assertThat(ci.getCredential().getTypedConfig().unpack(Generic.class).getHeader()).isEmpty();
  }
}
