package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.CredentialInjectionIr;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.HttpRouteIr.UrlRewriteIr;
import io.eg4j.model.ir.HttpRouteIr.UrlRewriteIr.HostRewriteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.xds.core.filters.HttpFilters;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBACPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.HttpRequestHeaderMatchInput;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * DynamicResolver Backends, HTTPRouteFilter host rewrites and backendRef-level credential injection
 * in Envoy's configuration: the dynamic forward proxy cluster and its shared DNS cache, the
 * loopback guard (per route, on the header the upstream host comes from), the route action's host
 * rewrite fields, and the credential injector as an upstream filter of the backend's cluster.
 */
class DynamicResolverXdsTest {
  private static final String RBAC = "envoy.filters.http.rbac.dfp_loopback_deny";

  private static RouteDestinationIr dynamic(String name) {
    return new RouteDestinationIr(
        name,
        List.of(
            new DestinationSettingIr(
                name + "/backend/0", 1, "HTTP", DestinationSettingIr.DYNAMIC, List.of(), null)));
  }

  private static HttpListenerIr listener(List<HttpRouteIr> routes) {
    return new HttpListenerIr(
        "default/eg/http", "0.0.0.0", 10080, 80, List.of("*"), null, routes, null);
  }

  private static String guardedHeader(Route r) throws Exception {
    RBACPerRoute cfg = r.getTypedPerFilterConfigMap().get(RBAC).unpack(RBACPerRoute.class);
    var predicate =
        cfg.getRbac().getMatcher().getMatcherList().getMatchers(0).getPredicate().getOrMatcher();
    assertThat(predicate.getPredicateCount()).isEqualTo(7);
    return predicate
        .getPredicate(0)
        .getSinglePredicate()
        .getInput()
        .getTypedConfig()
        .unpack(HttpRequestHeaderMatchInput.class)
        .getHeaderName();
  }

  @Test
  void theClusterIsADynamicForwardProxyWithTheSharedCache() throws Exception {
    RouteDestinationIr d = dynamic("httproute/default/r/rule/0");
    Cluster c =
        ClusterXdsTranslator.cluster(
            new ClusterXdsTranslator.ClusterRef(d.name(), 1, d.settings().get(0)));
    assertThat(c.getClusterType().getName()).isEqualTo("envoy.clusters.dynamic_forward_proxy");
    ClusterConfig cfg = c.getClusterType().getTypedConfig().unpack(ClusterConfig.class);
    assertThat(cfg.getDnsCacheConfig().getName())
        .isEqualTo("envoy-gateway-dfp-cache-v4_preferred-30000ms-default");
    assertThat(cfg.getDnsCacheConfig().getDnsRefreshRate().getSeconds()).isEqualTo(30);
    assertThat(c.hasEdsClusterConfig()).isFalse();
    assertThat(c.hasLoadAssignment()).isFalse();
    // The SNI filter of a TLSRoute uses the very same cache.
    assertThat(DynamicForwardProxy.dnsCache(d)).isEqualTo(cfg.getDnsCacheConfig());
  }

  @Test
  void theLoopbackGuardChecksTheHeaderTheHostComesFrom() throws Exception {
    HttpRouteIr plain = Ir.route("plain").to(dynamic("httproute/default/a/rule/0")).build();
    HttpRouteIr fromHeader =
        Ir.route("hdr")
            .to(dynamic("httproute/default/b/rule/0"))
            .rewrite(
                new UrlRewriteIr(null, null, new HostRewriteIr("Header", "x-up", null, null), true))
            .build();
    HttpRouteIr literal =
        Ir.route("lit")
            .to(dynamic("httproute/default/c/rule/0"))
            .rewrite(new UrlRewriteIr("fixed.example", null))
            .build();
    HttpRouteIr stat =
        Ir.route("static").to(Ir.dest("httproute/default/d/rule/0", "HTTP", 8080)).build();

    List<HttpFilter> filters =
        HttpFilters.forConnectionManager(
            List.of(listener(List.of(plain, fromHeader, literal, stat))), List.of());
    assertThat(filters.stream().map(HttpFilter::getName)).contains(RBAC);
    assertThat(
            HttpFilters.forConnectionManager(List.of(listener(List.of(stat))), List.of()).stream()
                .map(HttpFilter::getName))
        .doesNotContain(RBAC);

    assertThat(guardedHeader(RouteXdsTranslator.route(plain))).isEqualTo(":authority");
    assertThat(guardedHeader(RouteXdsTranslator.route(fromHeader))).isEqualTo("x-up");
    // A literal host is fixed in the configuration: nothing to guard.
    assertThat(RouteXdsTranslator.route(literal).getTypedPerFilterConfigMap())
        .doesNotContainKey(RBAC);
    assertThat(RouteXdsTranslator.route(stat).getTypedPerFilterConfigMap()).doesNotContainKey(RBAC);
  }

  @Test
  void loopbackSniNamesAreDenied() {
    Pattern p = Pattern.compile(DynamicForwardProxy.LOOPBACK_SNI);
    assertThat(p.matcher("localhost").matches()).isTrue();
    assertThat(p.matcher("LOCALHOST.").matches()).isTrue();
    assertThat(p.matcher("127.0.0.1").matches()).isTrue();
    assertThat(p.matcher("[::1]").matches()).isTrue();
    assertThat(p.matcher("example.com").matches()).isFalse();
    assertThat(p.matcher("localhost.example.com").matches()).isFalse();
  }

  @Test
  void hostRewritesFromTheFilter() {
    RouteDestinationIr d = Ir.dest("httproute/default/r/rule/0", "HTTP", 8080);
    RouteAction header =
        RouteXdsTranslator.route(
                Ir.route("h")
                    .to(d)
                    .rewrite(
                        new UrlRewriteIr(
                            null, null, new HostRewriteIr("Header", "my-host", null, null), true))
                    .build())
            .getRoute();
    assertThat(header.getHostRewriteHeader()).isEqualTo("my-host");
    assertThat(header.getAppendXForwardedHost()).isTrue();

    RouteAction backend =
        RouteXdsTranslator.route(
                Ir.route("b")
                    .to(d)
                    .rewrite(
                        new UrlRewriteIr(
                            null, null, new HostRewriteIr("Backend", null, null, null), true))
                    .build())
            .getRoute();
    assertThat(backend.getAutoHostRewrite().getValue()).isTrue();

    RouteAction regex =
        RouteXdsTranslator.route(
                Ir.route("p")
                    .to(d)
                    .rewrite(
                        new UrlRewriteIr(
                            null,
                            null,
                            new HostRewriteIr("PathRegex", null, "^/node/([0-9]+)/.*", "n-\\1.svc"),
                            false))
                    .build())
            .getRoute();
    assertThat(regex.getHostRewritePathRegex().getPattern().getRegex())
        .isEqualTo("^/node/([0-9]+)/.*");
    assertThat(regex.getHostRewritePathRegex().getSubstitution()).isEqualTo("n-\\1.svc");
    // appendXForwardedHost: false keeps X-Forwarded-Host as the client sent it.
    assertThat(regex.getAppendXForwardedHost()).isFalse();
  }

  @Test
  void aBackendRefsCredentialIsAnUpstreamFilterOfItsOwnCluster() throws Exception {
    CredentialInjectionIr cred =
        new CredentialInjectionIr("httproutefilter/default/cred", null, false, "c2VjcmV0");
    DestinationSettingIr s =
        new DestinationSettingIr(
                "httproute/default/r/rule/0/backend/0",
                1,
                "HTTP",
                "IP",
                List.of(new EndpointIr("10.0.0.1", 8080)),
                null)
            .withBackendFilters(null, null, cred);
    RouteDestinationIr d = new RouteDestinationIr("httproute/default/r/rule/0", List.of(s));
    List<ClusterXdsTranslator.ClusterRef> refs = ClusterXdsTranslator.refs(d);
    assertThat(refs)
        .singleElement()
        .extracting(ClusterXdsTranslator.ClusterRef::name)
        .isEqualTo(s.name());
    Cluster c = ClusterXdsTranslator.cluster(refs.get(0));
    HttpProtocolOptions o =
        c.getTypedExtensionProtocolOptionsMap()
            .get("envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
            .unpack(HttpProtocolOptions.class);
    assertThat(o.getHttpFiltersList().stream().map(HttpFilter::getName))
        .containsExactly(
            "envoy.filters.http.credential_injector/httproutefilter/default/cred",
            "envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec");
    assertThat(o.getHttpFilters(0).getDisabled()).isFalse();

    HttpRouteIr r = Ir.route("r").to(d).build();
    RouteAction a = RouteXdsTranslator.route(r).getRoute();
    assertThat(a.getWeightedClusters().getClustersList())
        .singleElement()
        .extracting(w -> w.getName())
        .isEqualTo(s.name());
    var res =
        HttpFilters.resources(
            new io.eg4j.model.ir.XdsIr(
                "default/eg", List.of(listener(List.of(r))), List.of(), List.of(), List.of()));
    assertThat(res.secrets().stream().map(x -> x.getName()))
        .contains("credential_injector/credential/httproutefilter/default/cred");
  }
}
