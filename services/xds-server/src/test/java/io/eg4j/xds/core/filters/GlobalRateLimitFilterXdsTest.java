package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.xds.type.v3.TypedStruct;
import com.google.protobuf.util.JsonFormat;
import io.eg4j.model.bus.Json;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.CidrIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.CostIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.HeaderMatchIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.PathMatchIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.RuleIr;
import io.eg4j.model.ir.traffic.RateLimitServiceConfigs;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Global rate limits in Envoy's configuration and the rate limit service's: the descriptors Envoy
 * builds from a rule's selectors must be exactly the chain the service holds the limit on, or the
 * service never limits anything.
 */
class GlobalRateLimitFilterXdsTest {
  static final GlobalRateLimitIr.ServiceIr SERVICE =
      new GlobalRateLimitIr.ServiceIr(
          "envoy-ratelimit.ns.svc.cluster.local", 8081, true, 250L, null);

  static RuleIr rule(
      List<HeaderMatchIr> headers, PathMatchIr path, CidrIr cidr, long n, boolean shared) {
    return new RuleIr(
        headers, List.of(), false, path, cidr, n, "Minute", false, shared, null, null, null, null);
  }

  static HttpRouteIr route(String name, GlobalRateLimitIr g) {
    TrafficIr t =
        new TrafficIr(
            "backendtrafficpolicy/default/p",
            null,
            null,
            null,
            null,
            null,
            g,
            null,
            false,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    return Ir.route(name).prefix("/").to(Ir.dest("d", "HTTP", 8080)).build().withTraffic(t);
  }

  static JsonNode perRoute(Route r, String filter) throws Exception {
    TypedStruct ts = r.getTypedPerFilterConfigOrThrow(filter).unpack(TypedStruct.class);
    return Json.MAPPER.readTree(JsonFormat.printer().print(ts.getValue()));
  }

  @Test
  void routeRuleActionsAndServiceDescriptorsAgree() throws Exception {
    GlobalRateLimitIr g =
        new GlobalRateLimitIr(
            "default/eg/http",
            "default",
            "p",
            List.of(
                rule(
                    List.of(
                        new HeaderMatchIr("x-user", "Exact", "one", false),
                        new HeaderMatchIr("x-org", "Distinct", null, false),
                        new HeaderMatchIr("x-org", "Exact", "admin", true)),
                    new PathMatchIr("PathPrefix", "/user", false),
                    new CidrIr("192.168.0.0", 16, true),
                    5,
                    false),
                rule(List.of(), null, null, 7, false)),
            SERVICE,
            false);
    HttpRouteIr r = route("httproute/default/a/rule/0/match/0/x", g);
    Route.Builder b = Route.newBuilder();
    new GlobalRateLimitFilterXds().patchRoute(b, r);
    JsonNode cfg = perRoute(b.build(), GlobalRateLimitFilterXds.TYPE);
    assertThat(cfg.path("domain").asText()).isEqualTo("default/eg/http");
    JsonNode actions = cfg.path("rate_limits").get(0).path("actions");
    List<String> keys = new ArrayList<>();
    for (JsonNode a : actions) {
      JsonNode body = a.elements().next();
      keys.add(body.path("descriptor_key").asText());
    }
    assertThat(keys)
        .containsExactly(
            r.name(),
            "rule-0-match-0",
            "rule-0-match-1",
            "rule-0-match-2",
            "rule-0-path",
            "masked_remote_address",
            "remote_address");
    assertThat(actions.get(1).path("header_value_match").path("expect_match").asBoolean()).isTrue();
    assertThat(actions.get(2).has("request_headers")).isTrue();
    assertThat(actions.get(3).path("header_value_match").path("expect_match").asBoolean())
        .isFalse();
    assertThat(
            actions
                .get(4)
                .path("header_value_match")
                .path("headers")
                .get(0)
                .path("string_match")
                .path("safe_regex")
                .path("regex")
                .asText())
        .isEqualTo("^/user(/.*|\\?.*|#.*|;.*|$)");
    // A rule without selectors counts every request of the route.
    JsonNode second = cfg.path("rate_limits").get(1).path("actions");
    assertThat(second.get(1).path("generic_key").path("descriptor_key").asText())
        .isEqualTo("rule-1-match--1");

    Map<String, String> files = RateLimitServiceConfigs.ofRoutes(List.of(r));
    assertThat(files).containsOnlyKeys("default/eg/http");
    JsonNode doc = Json.YAML.readTree(files.get("default/eg/http"));
    assertThat(doc.path("domain").asText()).isEqualTo("default/eg/http");
    JsonNode d = doc.path("descriptors").get(0);
    assertThat(d.path("key").asText()).isEqualTo(r.name());
    List<String> chain = new ArrayList<>();
    JsonNode cur = d.path("descriptors").get(0);
    while (true) {
      chain.add(cur.path("key").asText() + "=" + cur.path("value").asText("*"));
      if (cur.has("rate_limit")) {
        break;
      }
      cur = cur.path("descriptors").get(0);
    }
    assertThat(chain)
        .containsExactly(
            "rule-0-match-0=rule-0-match-0",
            "rule-0-match-1=*",
            "rule-0-match-2=rule-0-match-2",
            "rule-0-path=rule-0-path",
            "masked_remote_address=192.168.0.0/16",
            "remote_address=*");
    assertThat(cur.path("rate_limit").path("unit").asText()).isEqualTo("minute");
    assertThat(cur.path("rate_limit").path("requests_per_unit").asLong()).isEqualTo(5);
    JsonNode noMatch = d.path("descriptors").get(1);
    assertThat(noMatch.path("key").asText()).isEqualTo("rule-1-match--1");
    assertThat(noMatch.path("rate_limit").path("requests_per_unit").asLong()).isEqualTo(7);
  }

  @Test
  void queryParametersAndAnInvertedRangeAgreeWithTheService() throws Exception {
    RuleIr withQuery =
        new RuleIr(
            List.of(),
            List.of(),
            false,
            null,
            new CidrIr("10.0.0.0", 8, false, true),
            2,
            "Minute",
            false,
            false,
            null,
            null,
            null,
            null,
            List.of(
                new HeaderMatchIr("tier", "Exact", "free", false),
                new HeaderMatchIr("key", "Distinct", null, false),
                new HeaderMatchIr("debug", "RegularExpression", "1|true", true)));
    GlobalRateLimitIr g =
        new GlobalRateLimitIr(
            "default/eg/http", "default", "p", List.of(withQuery), SERVICE, false);
    HttpRouteIr r = route("httproute/default/q/rule/0/match/0/x", g);
    Route.Builder b = Route.newBuilder();
    new GlobalRateLimitFilterXds().patchRoute(b, r);
    JsonNode actions =
        perRoute(b.build(), GlobalRateLimitFilterXds.TYPE)
            .path("rate_limits")
            .get(0)
            .path("actions");
    JsonNode exact = actions.get(1).path("query_parameter_value_match");
    assertThat(exact.path("descriptor_key").asText()).isEqualTo("rule-0-query-0");
    assertThat(exact.path("expect_match").asBoolean()).isTrue();
    assertThat(exact.path("query_parameters").get(0).path("name").asText()).isEqualTo("tier");
    assertThat(exact.path("query_parameters").get(0).path("string_match").path("exact").asText())
        .isEqualTo("free");
    JsonNode distinct = actions.get(2).path("query_parameters");
    assertThat(distinct.path("descriptor_key").asText()).isEqualTo("rule-0-query-1");
    assertThat(distinct.path("query_parameter_name").asText()).isEqualTo("key");
    JsonNode inverted = actions.get(3).path("query_parameter_value_match");
    assertThat(inverted.path("expect_match").asBoolean()).isFalse();
    assertThat(
            inverted
                .path("query_parameters")
                .get(0)
                .path("string_match")
                .path("safe_regex")
                .path("regex")
                .asText())
        .isEqualTo("1|true");
    JsonNode range = actions.get(4).path("remote_address_match");
    assertThat(range.path("descriptor_key").asText()).isEqualTo("masked_remote_address");
    assertThat(range.path("address_matcher").path("invert_match").asBoolean()).isTrue();
    assertThat(actions).hasSize(5);

    JsonNode doc =
        Json.YAML.readTree(RateLimitServiceConfigs.ofRoutes(List.of(r)).get("default/eg/http"));
    List<String> chain = new ArrayList<>();
    JsonNode cur = doc.path("descriptors").get(0).path("descriptors").get(0);
    while (true) {
      chain.add(cur.path("key").asText() + "=" + cur.path("value").asText("*"));
      if (cur.has("rate_limit")) {
        break;
      }
      cur = cur.path("descriptors").get(0);
    }
    assertThat(chain)
        .containsExactly(
            "rule-0-query-0=rule-0-query-0",
            "rule-0-query-1=*",
            "rule-0-query-2=rule-0-query-2",
            "masked_remote_address=10.0.0.0/8");
  }

  @Test
  void sharedRulesCountInThePolicyDomainThroughTheirOwnFilter() throws Exception {
    GlobalRateLimitIr g =
        new GlobalRateLimitIr(
            "default/eg/http",
            "default",
            "p",
            List.of(
                rule(
                    List.of(new HeaderMatchIr("x-user", "Exact", "one", false)),
                    null,
                    null,
                    3,
                    true)),
            SERVICE,
            false);
    HttpRouteIr a = route("a", g);
    HttpRouteIr b = route("b", g.withDomain("default/eg/other"));
    List<HttpFilter> filters = new ArrayList<>();
    new GlobalRateLimitFilterXds().patchHcm(filters, List.of(a, b));
    assertThat(filters)
        .extracting(HttpFilter::getName)
        .containsExactly(
            GlobalRateLimitFilterXds.TYPE, GlobalRateLimitFilterXds.TYPE + "/default/p");
    RateLimit shared = filters.get(1).getTypedConfig().unpack(RateLimit.class);
    assertThat(shared.getDomain()).isEqualTo("default/p");
    assertThat(shared.getFailureModeDeny()).isTrue();
    assertThat(shared.getTimeout().getNanos()).isEqualTo(250_000_000);
    assertThat(shared.getRateLimitService().getGrpcService().getEnvoyGrpc().getClusterName())
        .isEqualTo(GlobalRateLimitFilterXds.CLUSTER);

    Route.Builder rb = Route.newBuilder();
    new GlobalRateLimitFilterXds().patchRoute(rb, a);
    assertThat(rb.getTypedPerFilterConfigMap())
        .containsOnlyKeys(GlobalRateLimitFilterXds.TYPE + "/default/p");
    JsonNode cfg = perRoute(rb.build(), GlobalRateLimitFilterXds.TYPE + "/default/p");
    assertThat(cfg.path("domain").asText()).isEqualTo("default/p");
    assertThat(
            cfg.path("rate_limits")
                .get(0)
                .path("actions")
                .get(0)
                .path("generic_key")
                .path("descriptor_key")
                .asText())
        .isEqualTo("default/p/rule/0");

    // Both routes, on two listeners, share one descriptor in one domain.
    Map<String, String> files = RateLimitServiceConfigs.ofRoutes(List.of(a, b));
    assertThat(files).containsOnlyKeys("default/p");
    JsonNode doc = Json.YAML.readTree(files.get("default/p"));
    assertThat(doc.path("descriptors")).hasSize(1);
  }

  @Test
  void theListenersSwitchTurnsTheFiltersHeadersOff() throws Exception {
    GlobalRateLimitIr on =
        new GlobalRateLimitIr(
            "default/eg/http",
            "default",
            "p",
            List.of(rule(List.of(), null, null, 3, false)),
            SERVICE,
            false);
    for (boolean headers : new boolean[] {true, false}) {
      List<HttpFilter> filters = new ArrayList<>();
      new GlobalRateLimitFilterXds()
          .patchHcm(filters, List.of(route("a", headers ? on : on.withListenerHeadersOff())));
      RateLimit rl = filters.get(0).getTypedConfig().unpack(RateLimit.class);
      assertThat(rl.getEnableXRatelimitHeaders())
          .as("headers %s", headers)
          .isEqualTo(
              headers
                  ? RateLimit.XRateLimitHeadersRFCVersion.DRAFT_VERSION_03
                  : RateLimit.XRateLimitHeadersRFCVersion.OFF);
    }
  }

  @Test
  void costsAndLimitOverride() throws Exception {
    RuleIr r =
        new RuleIr(
            List.of(),
            List.of("GET", "POST"),
            true,
            null,
            null,
            10,
            "Hour",
            true,
            false,
            new CostIr(2L, null, null),
            new CostIr(null, "ns.io", "tokens"),
            new CostIr(null, "ns.io", "limit"),
            "Off");
    GlobalRateLimitIr g = new GlobalRateLimitIr("l", "default", "p", List.of(r), SERVICE, false);
    Route.Builder b = Route.newBuilder();
    new GlobalRateLimitFilterXds().patchRoute(b, route("x", g));
    JsonNode limits = perRoute(b.build(), GlobalRateLimitFilterXds.TYPE).path("rate_limits");
    assertThat(limits).hasSize(2);
    JsonNode method = limits.get(0).path("actions").get(1).path("header_value_match");
    assertThat(method.path("expect_match").asBoolean()).isFalse();
    assertThat(
            method
                .path("headers")
                .get(0)
                .path("string_match")
                .path("safe_regex")
                .path("regex")
                .asText())
        .isEqualTo("^(GET|POST)$");
    assertThat(limits.get(0).path("hits_addend").path("number").asLong()).isEqualTo(2);
    assertThat(limits.get(0).path("x_ratelimit_option").asText()).isEqualTo("OFF");
    assertThat(
            limits
                .get(0)
                .path("limit")
                .path("dynamic_metadata")
                .path("metadata_key")
                .path("key")
                .asText())
        .isEqualTo("ns.io");
    assertThat(limits.get(1).path("apply_on_stream_done").asBoolean()).isTrue();
    assertThat(limits.get(1).path("hits_addend").path("format").asText())
        .isEqualTo("%DYNAMIC_METADATA(ns.io:tokens)%");
    JsonNode doc =
        Json.YAML.readTree(RateLimitServiceConfigs.ofRoutes(List.of(route("x", g))).get("l"));
    JsonNode leaf = doc.path("descriptors").get(0).path("descriptors").get(0);
    assertThat(leaf.path("key").asText()).isEqualTo("rule-0-method");
    assertThat(leaf.path("shadow_mode").asBoolean()).isTrue();
  }

  @Test
  void theServiceIsAGrpcUpstreamResolvedByDnsWhenNamed() {
    FilterResources out = new FilterResources();
    new GlobalRateLimitFilterXds()
        .patchResources(
            List.of(
                route(
                    "x",
                    new GlobalRateLimitIr(
                        "l",
                        "d",
                        "p",
                        List.of(rule(List.of(), null, null, 1, false)),
                        SERVICE,
                        false))),
            out);
    assertThat(out.singleClusters()).hasSize(1);
    var s = out.singleClusters().get(0).settings().get(0);
    assertThat(out.singleClusters().get(0).name()).isEqualTo("ratelimit_cluster");
    assertThat(s.protocol()).isEqualTo("GRPC");
    assertThat(s.addressType()).isEqualTo("FQDN");
    assertThat(
            GlobalRateLimitFilterXds.destination(
                    new GlobalRateLimitIr.ServiceIr("127.0.0.1", 8081, false, null, null))
                .settings()
                .get(0)
                .addressType())
        .isEqualTo("IP");
  }

  /** The clusters an IR with one rate-limited route gets. */
  static List<io.envoyproxy.envoy.config.cluster.v3.Cluster> clusters(
      GlobalRateLimitIr.ServiceIr service) {
    GlobalRateLimitIr g =
        new GlobalRateLimitIr(
            "default/eg/http",
            "d",
            "p",
            List.of(rule(List.of(), null, null, 1, false)),
            service,
            false);
    return new io.eg4j.xds.core.XdsTranslator()
        .translate(
            new io.eg4j.model.ir.XdsIr(
                "default/eg",
                List.of(
                    new io.eg4j.model.ir.HttpListenerIr(
                        "default/eg/http",
                        null,
                        10080,
                        80,
                        List.of("*"),
                        null,
                        List.of(route("r", g)),
                        null)),
                List.of(),
                List.of(),
                List.of()))
        .clusters();
  }

  static io.envoyproxy.envoy.config.cluster.v3.Cluster rateLimitCluster(
      GlobalRateLimitIr.ServiceIr service) {
    return clusters(service).stream()
        .filter(c -> c.getName().equals(GlobalRateLimitFilterXds.CLUSTER))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void theServiceIsCalledOverMutualTlsWithTheProxysFiles() throws Exception {
    var tls = new GlobalRateLimitIr.TlsFilesIr("/certs/ca.crt", "/certs/tls.crt", "/certs/tls.key");
    var cluster =
        rateLimitCluster(
            new GlobalRateLimitIr.ServiceIr("envoy-ratelimit.ns.svc", 8081, false, null, tls));
    assertThat(cluster.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    var ctx =
        cluster
            .getTransportSocket()
            .getTypedConfig()
            .unpack(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class)
            .getCommonTlsContext();
    assertThat(ctx.getTlsCertificates(0).getCertificateChain().getFilename())
        .isEqualTo("/certs/tls.crt");
    assertThat(ctx.getTlsCertificates(0).getPrivateKey().getFilename()).isEqualTo("/certs/tls.key");
    assertThat(ctx.getValidationContext().getTrustedCa().getFilename()).isEqualTo("/certs/ca.crt");
    // The route's own backend keeps its plaintext cluster.
    assertThat(clusters(new GlobalRateLimitIr.ServiceIr("h", 8081, false, null, tls)))
        .filteredOn(c -> !c.getName().equals(GlobalRateLimitFilterXds.CLUSTER))
        .allSatisfy(c -> assertThat(c.hasTransportSocket()).isFalse());
  }

  @Test
  void theProxysCertificateIsServedOverSdsAsEnvoyGatewayDoes() throws Exception {
    var cert =
        new io.eg4j.model.ir.TlsIr.CertificateIr("eg/envoy", "CERT-PEM", "KEY-PEM", List.of());
    var service =
        new GlobalRateLimitIr.ServiceIr(
            "envoy-ratelimit.eg.svc",
            8081,
            false,
            null,
            new GlobalRateLimitIr.TlsFilesIr("/certs/ca.crt", null, null, cert));
    var ctx =
        rateLimitCluster(service)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class)
            .getCommonTlsContext();
    assertThat(ctx.getTlsCertificatesCount()).isZero();
    var sds = ctx.getTlsCertificateSdsSecretConfigs(0);
    assertThat(sds.getName()).isEqualTo("eg/envoy");
    assertThat(sds.getSdsConfig().hasAds()).isTrue();
    // Envoy waits for the secret instead of starting the cluster without a certificate.
    assertThat(sds.getSdsConfig().hasInitialFetchTimeout()).isTrue();
    assertThat(sds.getSdsConfig().getInitialFetchTimeout().getSeconds()).isZero();
    assertThat(ctx.getTlsParams().getTlsMaximumProtocolVersion())
        .isEqualTo(
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol
                .TLSv1_3);
    assertThat(ctx.getValidationContext().getTrustedCa().getFilename()).isEqualTo("/certs/ca.crt");
    // The secret itself: the certificate and key, served under the name the cluster asks for.
    GlobalRateLimitIr g =
        new GlobalRateLimitIr(
            "default/eg/http",
            "d",
            "p",
            List.of(rule(List.of(), null, null, 1, false)),
            service,
            false);
    var secrets =
        new io.eg4j.xds.core.SecretXdsTranslator()
            .translate(
                new io.eg4j.model.ir.XdsIr(
                    "default/eg",
                    List.of(
                        new io.eg4j.model.ir.HttpListenerIr(
                            "default/eg/http",
                            null,
                            10080,
                            80,
                            List.of("*"),
                            null,
                            List.of(route("r", g)),
                            null)),
                    List.of(),
                    List.of(),
                    List.of()));
    assertThat(secrets).hasSize(1);
    assertThat(secrets.get(0).getName()).isEqualTo("eg/envoy");
    assertThat(secrets.get(0).getTlsCertificate().getCertificateChain().getInlineString())
        .isEqualTo("CERT-PEM");
    assertThat(secrets.get(0).getTlsCertificate().getPrivateKey().getInlineString())
        .isEqualTo("KEY-PEM");
  }

  @Test
  void anUnusableProxyCertificateStillMeansTlsWithoutAClientCertificate() throws Exception {
    var tls = new GlobalRateLimitIr.TlsFilesIr("/certs/ca.crt", null, null);
    var cluster =
        rateLimitCluster(
            new GlobalRateLimitIr.ServiceIr("envoy-ratelimit.ns.svc", 8081, false, null, tls));
    assertThat(cluster.getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
    var ctx =
        cluster
            .getTransportSocket()
            .getTypedConfig()
            .unpack(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext.class)
            .getCommonTlsContext();
    assertThat(ctx.getTlsCertificatesCount()).isZero();
    assertThat(ctx.getTlsCertificateSdsSecretConfigsCount()).isZero();
    assertThat(ctx.getTlsParams().getTlsMaximumProtocolVersion())
        .isEqualTo(
            io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol
                .TLSv1_3);
    assertThat(ctx.getValidationContext().getTrustedCa().getFilename()).isEqualTo("/certs/ca.crt");
  }

  @Test
  void withoutTlsTheServiceIsCalledInPlaintext() {
    assertThat(rateLimitCluster(SERVICE).hasTransportSocket()).isFalse();
  }
}
