package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.github.xds.core.v3.TypedExtensionConfig;
import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.Matcher.MatcherList.Predicate;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.security.AuthorizationIr;
import io.eg4j.model.ir.security.AuthorizationIr.ClaimIr;
import io.eg4j.model.ir.security.AuthorizationIr.GeoLocationIr;
import io.eg4j.model.ir.security.AuthorizationIr.RuleIr;
import io.eg4j.model.ir.security.GeoIpIr;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Action;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBACPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.matching.common_inputs.network.v3.DynamicMetadataInput;
import io.envoyproxy.envoy.extensions.matching.common_inputs.network.v3.SourceIPInput;
import io.envoyproxy.envoy.extensions.matching.input_matchers.ip.v3.Ip;
import io.envoyproxy.envoy.extensions.matching.input_matchers.metadata.v3.Metadata;
import io.envoyproxy.envoy.type.matcher.v3.HttpRequestHeaderMatchInput;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Authorization: the RBAC filter, empty on the listener (it enforces nothing there), with each
 * route's rules as a per-route matcher tree: rules in order, the first that matches allows or
 * denies, the default action otherwise. Client addresses are the downstream source address (after
 * the connection manager's client IP detection); JWT claims come from the payload jwt_authn put in
 * dynamic metadata.
 */
final class RbacFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.rbac";
  static final String JWT_FILTER = "envoy.filters.http.jwt_authn";

  @Override
  public String type() {
    return TYPE;
  }

  private static AuthorizationIr authz(HttpRouteIr r) {
    return r.security() == null ? null : r.security().authorization();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    if (routes.stream().anyMatch(r -> authz(r) != null)) {
      filters.add(
          HttpFilter.newBuilder()
              .setName(TYPE)
              .setTypedConfig(any(RBAC.getDefaultInstance()))
              .build());
    }
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    AuthorizationIr a = authz(ir);
    if (a == null) {
      return;
    }
    Matcher.MatcherList.Builder list = Matcher.MatcherList.newBuilder();
    for (RuleIr rule : a.rules()) {
      list.addMatchers(
          Matcher.MatcherList.FieldMatcher.newBuilder()
              .setPredicate(predicate(rule))
              .setOnMatch(onMatch(rule.name(), rule.action())));
    }
    Matcher.Builder m = Matcher.newBuilder().setOnNoMatch(onMatch("default", a.defaultAction()));
    if (list.getMatchersCount() > 0) {
      m.setMatcherList(list);
    }
    route.putTypedPerFilterConfig(
        TYPE, any(RBACPerRoute.newBuilder().setRbac(RBAC.newBuilder().setMatcher(m)).build()));
  }

  private static Matcher.OnMatch onMatch(String name, String action) {
    boolean deny = "Deny".equals(action);
    Action.Builder a = Action.newBuilder().setName(deny ? "DENY" : "ALLOW");
    if (deny) {
      a.setAction(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY);
    }
    return Matcher.OnMatch.newBuilder()
        .setAction(TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(any(a.build())))
        .build();
  }

  private static Predicate predicate(RuleIr rule) {
    List<Predicate> all = new ArrayList<>();
    if (!rule.clientCidrs().isEmpty()) {
      Ip.Builder ip = Ip.newBuilder().setStatPrefix("client_ip");
      for (String c : rule.clientCidrs()) {
        int slash = c.indexOf('/');
        ip.addCidrRanges(
            CidrRange.newBuilder()
                .setAddressPrefix(c.substring(0, slash))
                .setPrefixLen(
                    com.google.protobuf.UInt32Value.of(Integer.parseInt(c.substring(slash + 1)))));
      }
      all.add(
          single(
              input("client_ip", SourceIPInput.getDefaultInstance()),
              custom("ip_matcher", ip.build())));
    }
    for (AuthorizationIr.HeaderIr h : rule.headers()) {
      List<Predicate> any = new ArrayList<>();
      for (String v : h.values()) {
        any.add(headerEquals(h.name(), v));
      }
      all.add(or(any));
    }
    if (!rule.methods().isEmpty()) {
      List<Predicate> any = new ArrayList<>();
      for (String method : rule.methods()) {
        any.add(headerEquals(":method", method));
      }
      all.add(or(any));
    }
    if (!rule.geoLocations().isEmpty()) {
      List<Predicate> any = new ArrayList<>();
      for (GeoLocationIr g : rule.geoLocations()) {
        any.add(geoLocation(g));
      }
      all.add(or(any));
    }
    if (rule.jwt() != null) {
      for (ClaimIr c : rule.jwt().claims()) {
        List<String> path = new ArrayList<>(List.of(c.name().split("\\.")));
        List<Predicate> any = new ArrayList<>();
        for (String v : c.values()) {
          any.add(claimMatches(rule.jwt().metadataKey(), path, v, c.list(), "claim"));
        }
        all.add(or(any));
      }
      for (String scope : rule.jwt().scopes()) {
        // Scopes are space-delimited in "scope" or "scp"; jwt_authn splits both into lists.
        all.add(
            or(
                List.of(
                    claimMatches(rule.jwt().metadataKey(), List.of("scope"), scope, true, "scope"),
                    claimMatches(rule.jwt().metadataKey(), List.of("scp"), scope, true, "scope"))));
      }
    }
    return and(all);
  }

  /**
   * A geolocation: each field it sets against the header the geoip filter wrote. Names compare
   * case-insensitively. A flag set to false matches unless the database says true (an address the
   * Anonymous-IP database does not list is not anonymous).
   */
  private static Predicate geoLocation(GeoLocationIr g) {
    List<Predicate> all = new ArrayList<>();
    if (g.country() != null) {
      all.add(headerIs(GeoIpIr.COUNTRY, g.country(), true));
    }
    if (g.region() != null) {
      all.add(headerIs(GeoIpIr.REGION, g.region(), true));
    }
    if (g.city() != null) {
      all.add(headerIs(GeoIpIr.CITY, g.city(), true));
    }
    if (g.asn() != null) {
      all.add(headerIs(GeoIpIr.ASN, String.valueOf(g.asn()), false));
    }
    if (g.isp() != null) {
      all.add(headerIs(GeoIpIr.ISP, g.isp(), true));
    }
    flag(all, GeoIpIr.ANONYMOUS, g.anonymous());
    flag(all, GeoIpIr.VPN, g.vpn());
    flag(all, GeoIpIr.HOSTING, g.hosting());
    flag(all, GeoIpIr.TOR, g.tor());
    flag(all, GeoIpIr.PROXY, g.proxy());
    return and(all);
  }

  private static void flag(List<Predicate> all, String header, Boolean value) {
    if (value == null) {
      return;
    }
    Predicate isTrue = headerIs(header, "true", true);
    all.add(value ? isTrue : Predicate.newBuilder().setNotMatcher(isTrue).build());
  }

  private static Predicate headerIs(String name, String value, boolean ignoreCase) {
    return Predicate.newBuilder()
        .setSinglePredicate(
            Predicate.SinglePredicate.newBuilder()
                .setInput(
                    input(
                        "http_header",
                        HttpRequestHeaderMatchInput.newBuilder().setHeaderName(name).build()))
                .setValueMatch(
                    com.github.xds.type.matcher.v3.StringMatcher.newBuilder()
                        .setExact(value)
                        .setIgnoreCase(ignoreCase)))
        .build();
  }

  private static Predicate headerEquals(String name, String value) {
    return single(
        input(name, HttpRequestHeaderMatchInput.newBuilder().setHeaderName(name).build()),
        StringMatcher.newBuilder().setExact(value).build());
  }

  private static Predicate claimMatches(
      String provider, List<String> path, String value, boolean list, String name) {
    DynamicMetadataInput.Builder in = DynamicMetadataInput.newBuilder().setFilter(JWT_FILTER);
    in.addPath(DynamicMetadataInput.PathSegment.newBuilder().setKey(provider));
    for (String k : path) {
      in.addPath(DynamicMetadataInput.PathSegment.newBuilder().setKey(k));
    }
    ValueMatcher exact =
        ValueMatcher.newBuilder()
            .setStringMatch(StringMatcher.newBuilder().setExact(value))
            .build();
    ValueMatcher value2 =
        list
            ? ValueMatcher.newBuilder()
                .setListMatch(ListMatcher.newBuilder().setOneOf(exact))
                .build()
            : exact;
    return single(
        input(name, in.build()),
        custom(name + "_matcher", Metadata.newBuilder().setValue(value2).build()));
  }

  private static TypedExtensionConfig input(String name, com.google.protobuf.Message m) {
    return TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(any(m)).build();
  }

  private static TypedExtensionConfig custom(String name, com.google.protobuf.Message m) {
    return TypedExtensionConfig.newBuilder().setName(name).setTypedConfig(any(m)).build();
  }

  private static Predicate single(TypedExtensionConfig input, TypedExtensionConfig custom) {
    return Predicate.newBuilder()
        .setSinglePredicate(
            Predicate.SinglePredicate.newBuilder().setInput(input).setCustomMatch(custom))
        .build();
  }

  private static Predicate single(TypedExtensionConfig input, StringMatcher value) {
    return Predicate.newBuilder()
        .setSinglePredicate(
            Predicate.SinglePredicate.newBuilder()
                .setInput(input)
                .setValueMatch(
                    com.github.xds.type.matcher.v3.StringMatcher.newBuilder()
                        .setExact(value.getExact())))
        .build();
  }

  private static Predicate or(List<Predicate> ps) {
    if (ps.size() == 1) {
      return ps.get(0);
    }
    return Predicate.newBuilder()
        .setOrMatcher(Predicate.PredicateList.newBuilder().addAllPredicate(ps))
        .build();
  }

  private static Predicate and(List<Predicate> ps) {
    if (ps.size() == 1) {
      return ps.get(0);
    }
    return Predicate.newBuilder()
        .setAndMatcher(Predicate.PredicateList.newBuilder().addAllPredicate(ps))
        .build();
  }
}
