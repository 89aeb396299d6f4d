package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr.FilterPositionIr;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The connection manager's filter order: Envoy Gateway's default order, ties by name, then the
 * EnvoyProxy filterOrder entries applied one after the other; the router always last.
 */
class HttpFiltersOrderTest {
  static final String CORS = "envoy.filters.http.cors";
  static final String EXT_AUTHZ = "envoy.filters.http.ext_authz/securitypolicy/default/a";
  static final String EXT_AUTHZ_B = "envoy.filters.http.ext_authz/securitypolicy/default/b";
  static final String BASIC = "envoy.filters.http.basic_auth/securitypolicy/default/a";
  static final String JWT = "envoy.filters.http.jwt_authn";
  static final String RBAC = "envoy.filters.http.rbac";
  static final String GZIP = "envoy.filters.http.compressor.gzip";
  static final String ROUTER = HttpFilters.ROUTER;
  static final List<String> INPUT =
      List.of(ROUTER, RBAC, JWT, GZIP, BASIC, EXT_AUTHZ_B, CORS, EXT_AUTHZ);

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            "default order",
            List.of(),
            List.of(CORS, EXT_AUTHZ, EXT_AUTHZ_B, BASIC, JWT, RBAC, GZIP, ROUTER)),
        Arguments.of(
            "a type moves before another",
            List.of(
                new FilterPositionIr(
                    "envoy.filters.http.jwt_authn", "envoy.filters.http.cors", null)),
            List.of(JWT, CORS, EXT_AUTHZ, EXT_AUTHZ_B, BASIC, RBAC, GZIP, ROUTER)),
        Arguments.of(
            "every filter of a type moves after the last of another",
            List.of(
                new FilterPositionIr(
                    "envoy.filters.http.ext_authz", null, "envoy.filters.http.rbac")),
            List.of(CORS, BASIC, JWT, RBAC, EXT_AUTHZ, EXT_AUTHZ_B, GZIP, ROUTER)),
        Arguments.of(
            "entries apply in order",
            List.of(
                new FilterPositionIr("envoy.filters.http.rbac", "envoy.filters.http.cors", null),
                new FilterPositionIr("envoy.filters.http.cors", "envoy.filters.http.rbac", null)),
            List.of(CORS, RBAC, EXT_AUTHZ, EXT_AUTHZ_B, BASIC, JWT, GZIP, ROUTER)),
        Arguments.of(
            "an anchor that is not there changes nothing",
            List.of(
                new FilterPositionIr(
                    "envoy.filters.http.jwt_authn", "envoy.filters.http.wasm", null)),
            List.of(CORS, EXT_AUTHZ, EXT_AUTHZ_B, BASIC, JWT, RBAC, GZIP, ROUTER)),
        Arguments.of(
            "nothing moves after the router",
            List.of(new FilterPositionIr("envoy.filters.http.cors", null, ROUTER)),
            List.of(EXT_AUTHZ, EXT_AUTHZ_B, BASIC, JWT, RBAC, GZIP, CORS, ROUTER)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void sorts(String name, List<FilterPositionIr> order, List<String> want) {
    List<HttpFilter> in =
        INPUT.stream().map(n -> HttpFilter.newBuilder().setName(n).build()).toList();
    assertThat(HttpFilters.sort(in, order).stream().map(HttpFilter::getName).toList())
        .isEqualTo(want);
  }
}
