package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.github.xds.core.v3.TypedExtensionConfig;
import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate;
import com.github.xds.type.matcher.v3.RegexMatcher;
import com.github.xds.type.matcher.v3.StringMatcher;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.envoyproxy.envoy.config.rbac.v3.Action;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBACPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.HttpRequestHeaderMatchInput;
import java.util.List;

/**
 * The loopback guard of routes to a Backend of type DynamicResolver (Envoy Gateway's {@code
 * envoy.filters.http.rbac.dfp_loopback_deny}). Such a route sends each request to the host the
 * request names, so a client could name the proxy's own host and reach what listens on loopback
 * there. An RBAC filter that allows everything is added to the listener once; each dynamic resolver
 * route enables a per-route matcher that answers 403 when the host the upstream is taken from (the
 * {@code :authority}, or the header a host rewrite takes it from) is a loopback name or address,
 * with or without a port. The check is on the name as sent, not on the address it resolves to. A
 * route whose host is rewritten to a literal name is not checked: its upstream is fixed.
 */
final class DfpLoopbackDenyFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.rbac.dfp_loopback_deny";

  /** Loopback names and addresses, each with an optional port. */
  static final List<String> LOOPBACK_HOSTS =
      List.of(
          "^127\\.0\\.0\\.1(?::\\d+)?$",
          "^localhost(?::\\d+)?$",
          "^localhost\\.localdomain(?::\\d+)?$",
          "^ip6-localhost(?::\\d+)?$",
          "^ip6-loopback(?::\\d+)?$",
          "^\\[::1\\](?::\\d+)?$",
          "^::1(?::\\d+)?$");

  @Override
  public String type() {
    return TYPE;
  }

  /** True when the route sends requests to a dynamic resolver. */
  static boolean dynamicResolver(HttpRouteIr r) {
    return r.destination() != null
        && r.directResponse() == null
        && r.redirect() == null
        && r.destination().settings().stream().anyMatch(DestinationSettingIr::dynamicResolver);
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    if (routes.stream().anyMatch(DfpLoopbackDenyFilterXds::dynamicResolver)) {
      // No rules: every request passes unless its route's config says otherwise.
      filters.add(
          HttpFilter.newBuilder()
              .setName(TYPE)
              .setTypedConfig(
                  any(
                      io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC
                          .getDefaultInstance()))
              .build());
    }
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    if (!dynamicResolver(ir)) {
      return;
    }
    HttpRouteIr.UrlRewriteIr rewrite = ir.rewrite();
    if (rewrite != null && rewrite.hostname() != null) {
      return;
    }
    String header =
        rewrite != null && rewrite.host() != null && "Header".equals(rewrite.host().type())
            ? rewrite.host().header()
            : ":authority";
    TypedExtensionConfig input =
        TypedExtensionConfig.newBuilder()
            .setName("http_header")
            .setTypedConfig(
                any(HttpRequestHeaderMatchInput.newBuilder().setHeaderName(header).build()))
            .build();
    Matcher.MatcherList.Predicate.PredicateList.Builder any =
        Matcher.MatcherList.Predicate.PredicateList.newBuilder();
    for (String pattern : LOOPBACK_HOSTS) {
      any.addPredicate(
          Predicate.newBuilder()
              .setSinglePredicate(
                  Predicate.SinglePredicate.newBuilder()
                      .setInput(input)
                      .setValueMatch(
                          StringMatcher.newBuilder()
                              .setSafeRegex(
                                  RegexMatcher.newBuilder()
                                      .setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance())
                                      .setRegex(pattern)))));
    }
    Matcher matcher =
        Matcher.newBuilder()
            .setMatcherList(
                Matcher.MatcherList.newBuilder()
                    .addMatchers(
                        Matcher.MatcherList.FieldMatcher.newBuilder()
                            .setPredicate(Predicate.newBuilder().setOrMatcher(any))
                            .setOnMatch(
                                action(
                                    "deny-loopback-host",
                                    Action.newBuilder()
                                        .setName("DENY")
                                        .setAction(RBAC.Action.DENY)
                                        .build()))))
            .setOnNoMatch(action("default", Action.newBuilder().setName("ALLOW").build()))
            .build();
    route.putTypedPerFilterConfig(
        TYPE,
        any(
            RBACPerRoute.newBuilder()
                .setRbac(
                    io.envoyproxy
                        .envoy
                        .extensions
                        .filters
                        .http
                        .rbac
                        .v3
                        .RBAC
                        .newBuilder()
                        .setMatcher(matcher))
                .build()));
  }

  private static Matcher.OnMatch action(String name, Action a) {
    return Matcher.OnMatch.newBuilder()
        .setAction(TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(any(a)))
        .build();
  }
}
