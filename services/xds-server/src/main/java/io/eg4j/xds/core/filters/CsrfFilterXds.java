package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.CsrfIr;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.csrf.v3.CsrfPolicy;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.List;

/**
 * CSRF protection from a SecurityPolicy: the listener's csrf filter is enabled for 0% of requests
 * (so it does nothing by default), and a route with a policy enables it with its own origins.
 */
final class CsrfFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.csrf";

  @Override
  public String type() {
    return TYPE;
  }

  private static CsrfIr csrfOf(HttpRouteIr r) {
    return r.security() == null ? null : r.security().csrf();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    if (routes.stream().anyMatch(r -> csrfOf(r) != null)) {
      CsrfPolicy off =
          CsrfPolicy.newBuilder()
              .setFilterEnabled(
                  RuntimeFractionalPercent.newBuilder()
                      .setDefaultValue(FractionalPercent.getDefaultInstance()))
              .build();
      filters.add(HttpFilter.newBuilder().setName(TYPE).setTypedConfig(any(off)).build());
    }
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    CsrfIr c = csrfOf(ir);
    if (c == null) {
      return;
    }
    FractionalPercent.DenominatorType type =
        switch (c.shadowDenominator()) {
          case 10_000 -> FractionalPercent.DenominatorType.TEN_THOUSAND;
          case 1_000_000 -> FractionalPercent.DenominatorType.MILLION;
          default -> FractionalPercent.DenominatorType.HUNDRED;
        };
    CsrfPolicy.Builder p =
        CsrfPolicy.newBuilder()
            // Enforced on the share not in shadow mode; every request is counted in shadow.
            .setFilterEnabled(fraction(c.shadowDenominator() - c.shadowNumerator(), type))
            .setShadowEnabled(fraction(c.shadowDenominator(), type));
    for (String origin : c.additionalOrigins()) {
      // Envoy compares the Origin's host and port only.
      int scheme = origin.indexOf("://");
      p.addAdditionalOrigins(OriginMatchers.of(scheme < 0 ? origin : origin.substring(scheme + 3)));
    }
    route.putTypedPerFilterConfig(TYPE, any(p.build()));
  }

  private static RuntimeFractionalPercent fraction(
      int numerator, FractionalPercent.DenominatorType type) {
    return RuntimeFractionalPercent.newBuilder()
        .setDefaultValue(
            FractionalPercent.newBuilder().setNumerator(numerator).setDenominator(type))
        .build();
  }
}
