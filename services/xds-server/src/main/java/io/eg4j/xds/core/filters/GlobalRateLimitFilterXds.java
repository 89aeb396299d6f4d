package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.RouteDestinationIr.DestinationSettingIr;
import io.eg4j.model.ir.RouteDestinationIr.EndpointIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr.RuleIr;
import io.eg4j.model.ir.traffic.RateLimitServiceConfigs;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.ratelimit.v3.RateLimitServiceConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit;
import io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BackendTrafficPolicy global rate limits, as Envoy Gateway builds them: a connection manager with
 * such routes gets the {@code ratelimit} filter, which asks the rate limit service ({@link
 * #CLUSTER}) about each request; each route's per-route config holds its domain and one {@code
 * rate_limits} entry per rule, whose actions build the descriptor: the route (or, for a shared
 * rule, the policy and rule), then the rule's header, method, path and client address selectors.
 * Shared rules count in their policy's own domain, through one more filter named after the policy,
 * so all its routes on every listener share the counter. The service holds the same descriptors
 * with their limits ({@link RateLimitServiceConfigs}).
 */
public final class GlobalRateLimitFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.ratelimit";

  /** The cluster of the rate limit service (Envoy Gateway's name). */
  public static final String CLUSTER = "ratelimit_cluster";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  @Override
  public String type() {
    return TYPE;
  }

  static GlobalRateLimitIr of(HttpRouteIr r) {
    return r.traffic() == null ? null : r.traffic().globalRateLimit();
  }

  /** The filter name that counts a policy's shared rules. */
  static String sharedFilterName(GlobalRateLimitIr g) {
    return TYPE + "/" + g.sharedDomain();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    GlobalRateLimitIr first = null;
    Map<String, GlobalRateLimitIr> shared = new LinkedHashMap<>();
    for (HttpRouteIr r : routes) {
      GlobalRateLimitIr g = of(r);
      if (g == null) {
        continue;
      }
      if (first == null && g.rules().stream().anyMatch(rule -> !rule.shared())) {
        first = g;
      }
      if (g.rules().stream().anyMatch(RuleIr::shared)) {
        shared.putIfAbsent(sharedFilterName(g), g);
      }
    }
    if (first == null && shared.isEmpty()) {
      return;
    }
    // The listener-wide filter: each route's per-route config names its own domain.
    GlobalRateLimitIr base = first != null ? first : shared.values().iterator().next();
    // Every route of a connection manager is on the same listener: its ClientTrafficPolicy decides
    // whether the x-ratelimit-* headers are sent (a rule's own setting wins, in its rate_limits).
    boolean headers = !base.listenerHeadersOff();
    filters.add(
        filter(TYPE, base.domain() == null ? "eg4j" : base.domain(), base.service(), headers));
    for (Map.Entry<String, GlobalRateLimitIr> e : shared.entrySet()) {
      filters.add(filter(e.getKey(), e.getValue().sharedDomain(), e.getValue().service(), headers));
    }
  }

  private static HttpFilter filter(
      String name, String domain, GlobalRateLimitIr.ServiceIr s, boolean headers) {
    RateLimit.Builder rl =
        RateLimit.newBuilder()
            .setDomain(domain)
            .setRateLimitService(
                RateLimitServiceConfig.newBuilder()
                    .setGrpcService(
                        GrpcService.newBuilder()
                            .setEnvoyGrpc(
                                GrpcService.EnvoyGrpc.newBuilder().setClusterName(CLUSTER)))
                    .setTransportApiVersion(ApiVersion.V3))
            // The x-ratelimit-* headers tell clients their quota; x-envoy-ratelimited is internal.
            .setEnableXRatelimitHeaders(
                headers
                    ? RateLimit.XRateLimitHeadersRFCVersion.DRAFT_VERSION_03
                    : RateLimit.XRateLimitHeadersRFCVersion.OFF)
            .setDisableXEnvoyRatelimitedHeader(true)
            .setFailureModeDeny(s.failClosed());
    if (s.timeoutMillis() != null) {
      rl.setTimeout(Protos.millis(s.timeoutMillis()));
    }
    return HttpFilter.newBuilder().setName(name).setTypedConfig(any(rl.build())).build();
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    GlobalRateLimitIr g = of(ir);
    if (g == null) {
      return;
    }
    ArrayNode own = F.arrayNode();
    ArrayNode shared = F.arrayNode();
    for (int i = 0; i < g.rules().size(); i++) {
      RuleIr rule = g.rules().get(i);
      addRateLimits(rule.shared() ? shared : own, rule, i, g, ir.name());
    }
    if (!own.isEmpty()) {
      route.putTypedPerFilterConfig(TYPE, perRoute(g.domain(), own));
    }
    if (!shared.isEmpty()) {
      route.putTypedPerFilterConfig(sharedFilterName(g), perRoute(g.sharedDomain(), shared));
    }
  }

  private static com.google.protobuf.Any perRoute(String domain, ArrayNode rateLimits) {
    // RateLimitPerRoute's domain and rate_limits are newer than eg4j's protos.
    return Protos.anyWithFields(
        RateLimitPerRoute.getDefaultInstance(),
        n -> {
          if (domain != null) {
            n.put("domain", domain);
          }
          n.set("rate_limits", rateLimits);
        });
  }

  /** The first descriptor entry of a rule: the route's, or for a shared rule the policy's. */
  static String ruleHead(GlobalRateLimitIr g, RuleIr rule, int index, String routeName) {
    return RateLimitServiceConfigs.ruleHead(g, rule, index, routeName);
  }

  static String headerKey(int rule, int match) {
    return RateLimitServiceConfigs.headerKey(rule, match);
  }

  private static void addRateLimits(
      ArrayNode out, RuleIr rule, int i, GlobalRateLimitIr g, String routeName) {
    ArrayNode actions = F.arrayNode();
    String head = ruleHead(g, rule, i, routeName);
    actions
        .addObject()
        .putObject("generic_key")
        .put("descriptor_key", head)
        .put("descriptor_value", head);
    for (int j = 0; j < rule.headers().size(); j++) {
      GlobalRateLimitIr.HeaderMatchIr h = rule.headers().get(j);
      String key = headerKey(i, j);
      if (h.type().equals("Distinct")) {
        actions
            .addObject()
            .putObject("request_headers")
            .put("descriptor_key", key)
            .put("header_name", h.name());
      } else {
        actions.add(headerValueMatch(key, h.name(), stringMatch(h.type(), h.value()), !h.invert()));
      }
    }
    if (!rule.methods().isEmpty()) {
      ObjectNode m =
          rule.methods().size() == 1
              ? F.objectNode().put("exact", rule.methods().get(0))
              : regex("^(" + String.join("|", rule.methods()) + ")$");
      actions.add(headerValueMatch("rule-" + i + "-method", ":method", m, !rule.methodsInvert()));
    }
    if (rule.path() != null) {
      actions.add(
          headerValueMatch(
              "rule-" + i + "-path",
              ":path",
              pathMatch(rule.path().type(), rule.path().value()),
              !rule.path().invert()));
    }
    for (int j = 0; j < rule.queryParams().size(); j++) {
      GlobalRateLimitIr.HeaderMatchIr q = rule.queryParams().get(j);
      String key = RateLimitServiceConfigs.queryKey(i, j);
      if (q.type().equals("Distinct")) {
        // One counter per value; a request without the parameter is not counted by this rule.
        actions
            .addObject()
            .putObject("query_parameters")
            .put("descriptor_key", key)
            .put("query_parameter_name", q.name());
      } else {
        ObjectNode a = actions.addObject();
        ObjectNode m = a.putObject("query_parameter_value_match");
        m.put("descriptor_key", key).put("descriptor_value", key).put("expect_match", !q.invert());
        m.putArray("query_parameters")
            .addObject()
            .put("name", q.name())
            .set("string_match", stringMatch(q.type(), q.value()));
      }
    }
    if (rule.cidr() != null) {
      actions.add(remoteAddress("masked_remote_address", rule.cidr().cidr(), rule.cidr()));
      if (rule.cidr().distinct()) {
        // One counter per client address inside the range.
        actions.add(
            remoteAddress(
                "remote_address", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", rule.cidr()));
      }
    }
    if (!rule.hasMatch()) {
      String key = headerKey(i, -1);
      actions
          .addObject()
          .putObject("generic_key")
          .put("descriptor_key", key)
          .put("descriptor_value", key);
    }
    ObjectNode rl = out.addObject();
    rl.set("actions", actions);
    if (rule.requestCost() != null) {
      rl.set("hits_addend", hitsAddend(rule.requestCost()));
    }
    if (rule.limitFromMetadata() != null) {
      rl.set("limit", limitOverride(rule.limitFromMetadata()));
    }
    if (rule.rateLimitHeaders() != null) {
      rl.put(
          "x_ratelimit_option", rule.rateLimitHeaders().equals("Off") ? "OFF" : "DRAFT_VERSION_03");
    }
    if (rule.responseCost() != null) {
      // The response's cost is added when the stream ends, by a second entry with the same
      // descriptor.
      ObjectNode resp = out.addObject();
      resp.set("actions", actions.deepCopy());
      resp.put("apply_on_stream_done", true);
      resp.set("hits_addend", hitsAddend(rule.responseCost()));
      if (rule.limitFromMetadata() != null) {
        resp.set("limit", limitOverride(rule.limitFromMetadata()));
      }
      if (rule.rateLimitHeaders() != null) {
        resp.put(
            "x_ratelimit_option",
            rule.rateLimitHeaders().equals("Off") ? "OFF" : "DRAFT_VERSION_03");
      }
    }
  }

  private static ObjectNode hitsAddend(GlobalRateLimitIr.CostIr c) {
    ObjectNode h = F.objectNode();
    if (c.number() != null) {
      h.put("number", c.number());
    } else {
      h.put("format", "%DYNAMIC_METADATA(" + c.metadataNamespace() + ":" + c.metadataKey() + ")%");
    }
    return h;
  }

  private static ObjectNode limitOverride(GlobalRateLimitIr.CostIr c) {
    ObjectNode l = F.objectNode();
    ObjectNode key = l.putObject("dynamic_metadata").putObject("metadata_key");
    key.put("key", c.metadataNamespace());
    key.putArray("path").addObject().put("key", c.metadataKey());
    return l;
  }

  private static ObjectNode headerValueMatch(
      String key, String header, ObjectNode stringMatch, boolean expectMatch) {
    ObjectNode a = F.objectNode();
    ObjectNode h = a.putObject("header_value_match");
    h.put("descriptor_key", key).put("descriptor_value", key).put("expect_match", expectMatch);
    h.putArray("headers").addObject().put("name", header).set("string_match", stringMatch);
    return a;
  }

  private static ObjectNode remoteAddress(String key, String value, GlobalRateLimitIr.CidrIr cidr) {
    ObjectNode a = F.objectNode();
    ObjectNode r = a.putObject("remote_address_match");
    r.putObject("address_matcher")
        .putArray("ranges")
        .addObject()
        .put("address_prefix", cidr.address())
        .put("prefix_len", cidr.prefixLength());
    if (cidr.invert()) {
      // The descriptor is sent for the clients outside the range.
      ((ObjectNode) r.get("address_matcher")).put("invert_match", true);
    }
    r.put("descriptor_key", key).put("descriptor_value", value);
    return a;
  }

  private static ObjectNode stringMatch(String type, String value) {
    return type.equals("RegularExpression") ? regex(value) : F.objectNode().put("exact", value);
  }

  /**
   * A path selector: a prefix matches whole segments, as Gateway API path prefixes do (a plain
   * string prefix for {@code /}, which every path has).
   */
  private static ObjectNode pathMatch(String type, String value) {
    return switch (type) {
      case "Exact" -> F.objectNode().put("exact", value);
      case "RegularExpression" -> regex(value);
      default -> {
        String p =
            value.endsWith("/") && value.length() > 1
                ? value.substring(0, value.length() - 1)
                : value;
        yield p.equals("/")
            ? F.objectNode().put("prefix", "/")
            : regex("^" + escapeRegex(p) + "(/.*|\\?.*|#.*|;.*|$)");
      }
    };
  }

  /** {@code s} as a literal in an RE2 regular expression. */
  static String escapeRegex(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  private static ObjectNode regex(String r) {
    ObjectNode s = F.objectNode();
    s.putObject("safe_regex").put("regex", r);
    return s;
  }

  @Override
  public void patchResources(List<HttpRouteIr> routes, FilterResources out) {
    for (HttpRouteIr r : routes) {
      GlobalRateLimitIr g = of(r);
      if (g != null) {
        out.addSingleCluster(destination(g.service()));
        return;
      }
    }
  }

  /**
   * {@code cluster} with mutual TLS to the rate limit service when it is {@link #CLUSTER} and a
   * route of {@code ir} calls the service over TLS, as Envoy Gateway always does in Kubernetes: the
   * proxy's certificate and key and the CA, all files on the proxy (its xDS client certificate
   * mount). Any other cluster is returned as it is.
   */
  public static Cluster withServiceTls(Cluster cluster, XdsIr ir) {
    if (!cluster.getName().equals(CLUSTER)) {
      return cluster;
    }
    GlobalRateLimitIr.TlsFilesIr tls = serviceTls(ir);
    if (tls == null) {
      return cluster;
    }
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
    if (tls.clientCertificate() != null) {
      // Envoy Gateway's way: the proxy's certificate over SDS (the secret {@link
      // #clientCertificate} adds), the CA a file on the proxy, TLS 1.3 at most.
      common
          .addTlsCertificateSdsSecretConfigs(
              io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig.newBuilder()
                  .setName(tls.clientCertificate().name())
                  .setSdsConfig(
                      Protos.ads().toBuilder()
                          .setInitialFetchTimeout(
                              com.google.protobuf.Duration.getDefaultInstance())))
          .setTlsParams(
              io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters.newBuilder()
                  .setTlsMaximumProtocolVersion(
                      io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters
                          .TlsProtocol.TLSv1_3));
    } else if (tls.certFile() != null && tls.keyFile() != null) {
      common.addTlsCertificates(
          TlsCertificate.newBuilder()
              .setCertificateChain(file(tls.certFile()))
              .setPrivateKey(file(tls.keyFile())));
    }
    // Neither: TLS without a client certificate (the controller's certificate is unusable).
    if (tls.clientCertificate() == null) {
      // TLS 1.3 at most, as on the SDS path.
      common.setTlsParams(
          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters.newBuilder()
              .setTlsMaximumProtocolVersion(
                  io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol
                      .TLSv1_3));
    }
    common.setValidationContext(
        CertificateValidationContext.newBuilder().setTrustedCa(file(tls.caFile())));
    UpstreamTlsContext ctx = UpstreamTlsContext.newBuilder().setCommonTlsContext(common).build();
    return cluster.toBuilder()
        .setTransportSocket(
            TransportSocket.newBuilder()
                .setName("envoy.transport_sockets.tls")
                .setTypedConfig(any(ctx)))
        .build();
  }

  /**
   * The client certificate the proxy presents to the rate limit service over SDS, or null when it
   * calls the service in plaintext or with files.
   */
  public static io.eg4j.model.ir.TlsIr.CertificateIr clientCertificate(XdsIr ir) {
    GlobalRateLimitIr.TlsFilesIr tls = serviceTls(ir);
    return tls == null ? null : tls.clientCertificate();
  }

  /** The TLS the routes of {@code ir} call the rate limit service with, or null. */
  private static GlobalRateLimitIr.TlsFilesIr serviceTls(XdsIr ir) {
    GlobalRateLimitIr.TlsFilesIr tls = null;
    for (HttpListenerIr l : ir.http()) {
      for (HttpRouteIr r : l.routes()) {
        GlobalRateLimitIr g = of(r);
        if (g != null && g.service().tls() != null) {
          tls = g.service().tls();
          break;
        }
      }
      if (tls != null) {
        break;
      }
    }
    return tls;
  }

  private static DataSource file(String path) {
    return DataSource.newBuilder().setFilename(path).build();
  }

  /** The rate limit service as an upstream: gRPC, one endpoint, resolved by DNS when a name. */
  static RouteDestinationIr destination(GlobalRateLimitIr.ServiceIr s) {
    boolean ip = s.host().matches("[0-9.]+") || s.host().contains(":");
    return new RouteDestinationIr(
        CLUSTER,
        List.of(
            new DestinationSettingIr(
                CLUSTER + "/backend/-1",
                1,
                "GRPC",
                ip ? "IP" : "FQDN",
                List.of(new EndpointIr(s.host(), s.port())),
                null)));
  }
}
