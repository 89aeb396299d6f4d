package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.any;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.BoolValue;
import io.eg4j.model.ir.traffic.ConnectionManagerIr;
import io.eg4j.model.ir.traffic.ConnectionManagerIr.HeaderMutationIr;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.http.health_check.v3.HealthCheck;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * The connection manager settings of a ClientTrafficPolicy ({@link ConnectionManagerIr}) applied to
 * a connection manager: path normalization, header handling and mutations, HTTP/2, the health check
 * path, the request header limit and the forwarded client certificate.
 */
final class ConnectionManagerXds {
  private ConnectionManagerXds() {}

  static final String HEADER_MUTATION = "envoy.filters.http.header_mutation";
  static final String HEALTH_CHECK = "envoy.filters.http.health_check";

  static void apply(HttpConnectionManager.Builder hcm, ConnectionManagerIr c) {
    if (c.mergeSlashes() != null) {
      hcm.setMergeSlashes(c.mergeSlashes());
    }
    if (c.escapedSlashesAction() != null) {
      hcm.setPathWithEscapedSlashesAction(
          HttpConnectionManager.PathWithEscapedSlashesAction.valueOf(c.escapedSlashesAction()));
    }
    if (c.underscoresAction() != null) {
      hcm.setCommonHttpProtocolOptions(
          hcm.getCommonHttpProtocolOptions().toBuilder()
              .setHeadersWithUnderscoresAction(
                  HttpProtocolOptions.HeadersWithUnderscoresAction.valueOf(c.underscoresAction())));
    }
    if (c.generateRequestId() != null) {
      hcm.setGenerateRequestId(BoolValue.of(c.generateRequestId()));
    }
    if (c.preserveRequestId() != null) {
      hcm.setPreserveExternalRequestId(c.preserveRequestId());
    }
    if (c.maxRequestHeadersKb() != null) {
      hcm.setMaxRequestHeadersKb(Protos.u32(c.maxRequestHeadersKb()));
    }
    if (c.stripTrailingHostDot()) {
      hcm.setStripTrailingHostDot(true);
    }
    if (c.xfccMode() != null) {
      hcm.setForwardClientCertDetails(
          HttpConnectionManager.ForwardClientCertDetails.valueOf(c.xfccMode()));
      if (!c.xfccDetails().isEmpty()) {
        HttpConnectionManager.SetCurrentClientCertDetails.Builder d =
            HttpConnectionManager.SetCurrentClientCertDetails.newBuilder();
        for (String detail : c.xfccDetails()) {
          switch (detail) {
            case "Subject" -> d.setSubject(BoolValue.of(true));
            case "Cert" -> d.setCert(true);
            case "Chain" -> d.setChain(true);
            case "DNS" -> d.setDns(true);
            case "URI" -> d.setUri(true);
            default -> {}
          }
        }
        hcm.setSetCurrentClientCertDetails(d);
      }
    }
    if (c.http10DefaultHost() != null || c.preserveHeaderCase() || !c.ignoredUpgrades().isEmpty()) {
      io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions.Builder h1 =
          hcm.getHttpProtocolOptions().toBuilder();
      if (c.http10DefaultHost() != null) {
        h1.setAcceptHttp10(true).setDefaultHostForHttp10(c.http10DefaultHost());
      }
      if (c.preserveHeaderCase()) {
        h1.setHeaderKeyFormat(preserveCase());
      }
      for (var u : c.ignoredUpgrades()) {
        StringMatcher.Builder m = StringMatcher.newBuilder();
        switch (u.type()) {
          case "Prefix" -> m.setPrefix(u.value());
          case "Suffix" -> m.setSuffix(u.value());
          case "RegularExpression" ->
              m.setSafeRegex(
                  io.envoyproxy.envoy.type.matcher.v3.RegexMatcher.newBuilder()
                      .setRegex(u.value()));
          default -> m.setExact(u.value());
        }
        h1.addIgnoreHttp11Upgrade(m);
      }
      hcm.setHttpProtocolOptions(h1);
    }
    if (c.http2Keepalive() != null) {
      var k = c.http2Keepalive();
      io.envoyproxy.envoy.config.core.v3.KeepaliveSettings.Builder ks =
          io.envoyproxy.envoy.config.core.v3.KeepaliveSettings.newBuilder();
      if (k.intervalMillis() != null) {
        ks.setInterval(Protos.millis(k.intervalMillis()));
      }
      if (k.timeoutMillis() != null) {
        ks.setTimeout(Protos.millis(k.timeoutMillis()));
      }
      if (k.intervalJitterPercent() != null) {
        ks.setIntervalJitter(
            io.envoyproxy.envoy.type.v3.Percent.newBuilder().setValue(k.intervalJitterPercent()));
      }
      if (k.idleIntervalMillis() != null) {
        ks.setConnectionIdleInterval(Protos.millis(k.idleIntervalMillis()));
      }
      hcm.setHttp2ProtocolOptions(
          hcm.getHttp2ProtocolOptions().toBuilder().setConnectionKeepalive(ks));
    }
    if (c.http2() != null) {
      Http2ProtocolOptions.Builder h2 = hcm.getHttp2ProtocolOptions().toBuilder();
      var h = c.http2();
      if (h.initialStreamWindowSize() != null) {
        h2.setInitialStreamWindowSize(Protos.u32(h.initialStreamWindowSize()));
      }
      if (h.initialConnectionWindowSize() != null) {
        h2.setInitialConnectionWindowSize(Protos.u32(h.initialConnectionWindowSize()));
      }
      if (h.maxConcurrentStreams() != null) {
        h2.setMaxConcurrentStreams(Protos.u32(h.maxConcurrentStreams()));
      }
      if (h.terminateStreamOnInvalidMessage() != null) {
        h2.setOverrideStreamErrorOnInvalidHttpMessage(
            BoolValue.of(h.terminateStreamOnInvalidMessage()));
      }
      hcm.setHttp2ProtocolOptions(h2);
    }
    if (c.earlyRequestHeaders() != null) {
      ObjectNode cfg = JsonNodeFactory.instance.objectNode();
      cfg.set("mutations", mutations(c.earlyRequestHeaders()));
      hcm.addEarlyHeaderMutationExtensions(
          TypedExtensionConfig.newBuilder()
              .setName("envoy.http.early_header_mutation.header_mutation")
              .setTypedConfig(
                  Protos.anyWithFields(
                      io.envoyproxy.envoy.extensions.http.early_header_mutation.header_mutation.v3
                          .HeaderMutation.getDefaultInstance(),
                      n -> n.setAll(cfg))));
    }
    List<HttpFilter> filters = new ArrayList<>(hcm.getHttpFiltersList());
    int router = filters.size() - 1;
    if (c.enableEnvoyHeaders() && router >= 0) {
      filters.set(
          router,
          filters.get(router).toBuilder().setTypedConfig(any(Router.getDefaultInstance())).build());
    }
    if (c.grpcWeb()
        && filters.stream().noneMatch(h -> h.getName().equals("envoy.filters.http.grpc_web"))) {
      filters.add(
          Math.max(0, filters.size() - 1),
          HttpFilter.newBuilder()
              .setName("envoy.filters.http.grpc_web")
              .setTypedConfig(
                  any(
                      io.envoyproxy.envoy.extensions.filters.http.grpc_web.v3.GrpcWeb
                          .getDefaultInstance()))
              .build());
    }
    if (c.lateResponseHeaders() != null) {
      ObjectNode cfg = JsonNodeFactory.instance.objectNode();
      cfg.putObject("mutations").set("response_mutations", mutations(c.lateResponseHeaders()));
      filters.add(
          Math.max(0, router),
          HttpFilter.newBuilder()
              .setName(HEADER_MUTATION)
              .setTypedConfig(
                  Protos.anyWithFields(
                      io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
                          .getDefaultInstance(),
                      n -> n.setAll(cfg)))
              .build());
    }
    if (c.healthCheckPath() != null) {
      // First, as Envoy Gateway orders it (after a geolocation lookup): the probe is answered
      // before any authentication or rate limit.
      int at =
          !filters.isEmpty() && filters.get(0).getName().startsWith("envoy.filters.http.geoip")
              ? 1
              : 0;
      filters.add(
          at,
          HttpFilter.newBuilder()
              .setName(HEALTH_CHECK)
              .setTypedConfig(
                  any(
                      HealthCheck.newBuilder()
                          .setPassThroughMode(BoolValue.of(false))
                          .addHeaders(
                              HeaderMatcher.newBuilder()
                                  .setName(":path")
                                  .setStringMatch(
                                      StringMatcher.newBuilder().setExact(c.healthCheckPath())))
                          .build()))
              .build());
    }
    hcm.clearHttpFilters().addAllHttpFilters(filters);
  }

  /** HTTP/1.1 header names sent and forwarded with the case the peer used. */
  static io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions.HeaderKeyFormat preserveCase() {
    return io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions.HeaderKeyFormat.newBuilder()
        .setStatefulFormatter(
            TypedExtensionConfig.newBuilder()
                .setName("preserve_case")
                .setTypedConfig(
                    any(
                        io.envoyproxy.envoy.extensions.http.header_formatters.preserve_case.v3
                            .PreserveCaseFormatterConfig.getDefaultInstance())))
        .build();
  }

  /** Header mutations in Envoy's JSON form: add, add if absent, set, remove, remove by match. */
  private static ArrayNode mutations(HeaderMutationIr m) {
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    for (var h : m.add()) {
      out.addObject()
          .putObject("append")
          .putObject("header")
          .put("key", h.name())
          .put("value", h.value());
    }
    for (var h : m.addIfAbsent()) {
      ObjectNode a = out.addObject().putObject("append");
      a.put("append_action", "ADD_IF_ABSENT");
      a.putObject("header").put("key", h.name()).put("value", h.value());
    }
    for (var h : m.set()) {
      ObjectNode a = out.addObject().putObject("append");
      a.put("append_action", "OVERWRITE_IF_EXISTS_OR_ADD");
      a.putObject("header").put("key", h.name()).put("value", h.value());
    }
    for (String name : m.remove()) {
      out.addObject().put("remove", name);
    }
    for (var r : m.removeOnMatch()) {
      ObjectNode km = out.addObject().putObject("remove_on_match").putObject("key_matcher");
      switch (r.type()) {
        case "Prefix" -> km.put("prefix", r.value());
        case "Suffix" -> km.put("suffix", r.value());
        case "RegularExpression" -> km.putObject("safe_regex").put("regex", r.value());
        default -> km.put("exact", r.value());
      }
    }
    return out;
  }
}
