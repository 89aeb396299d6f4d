package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.github.xds.core.v3.TypedExtensionConfig;
import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.matcher.v3.RegexMatcher;
import com.github.xds.type.matcher.v3.StringMatcher;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.custom_response.v3.CustomResponse;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.http.custom_response.local_response_policy.v3.LocalResponsePolicy;
import io.envoyproxy.envoy.type.matcher.v3.HttpResponseStatusCodeMatchInput;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A BackendTrafficPolicy's response overrides: Envoy's custom response filter, inert on the
 * listener (no matcher), and on each route whose policy overrides responses a per-route config that
 * matches the response status codes and answers with the local response instead.
 */
final class CustomResponseFilterXds implements HttpFilterXds {
  static final String TYPE = "envoy.filters.http.custom_response";

  @Override
  public String type() {
    return TYPE;
  }

  private static List<ResponseOverrideIr> overrides(HttpRouteIr r) {
    return r.traffic() == null ? List.of() : r.traffic().responseOverrides();
  }

  @Override
  public void patchHcm(List<HttpFilter> filters, List<HttpRouteIr> routes) {
    if (routes.stream().anyMatch(r -> !overrides(r).isEmpty())) {
      filters.add(
          HttpFilter.newBuilder()
              .setName(TYPE)
              .setTypedConfig(any(CustomResponse.getDefaultInstance()))
              .build());
    }
  }

  @Override
  public void patchRoute(Route.Builder route, HttpRouteIr ir) {
    List<ResponseOverrideIr> list = overrides(ir);
    if (list.isEmpty()) {
      return;
    }
    Matcher.MatcherList.Builder matchers = Matcher.MatcherList.newBuilder();
    String policy = ir.traffic().policy();
    for (int i = 0; i < list.size(); i++) {
      ResponseOverrideIr o = list.get(i);
      String codes = o.statusCodes().stream().map(String::valueOf).collect(Collectors.joining("|"));
      matchers.addMatchers(
          Matcher.MatcherList.FieldMatcher.newBuilder()
              .setPredicate(
                  Matcher.MatcherList.Predicate.newBuilder()
                      .setSinglePredicate(
                          Matcher.MatcherList.Predicate.SinglePredicate.newBuilder()
                              .setInput(
                                  TypedExtensionConfig.newBuilder()
                                      .setName("status-code")
                                      .setTypedConfig(
                                          any(
                                              HttpResponseStatusCodeMatchInput
                                                  .getDefaultInstance())))
                              .setValueMatch(
                                  StringMatcher.newBuilder()
                                      .setSafeRegex(
                                          RegexMatcher.newBuilder()
                                              .setGoogleRe2(
                                                  RegexMatcher.GoogleRE2.getDefaultInstance())
                                              .setRegex("^(?:" + codes + ")$")))))
              .setOnMatch(
                  Matcher.OnMatch.newBuilder()
                      .setAction(
                          TypedExtensionConfig.newBuilder()
                              .setName(policy + "/responseoverride/rule/" + i)
                              .setTypedConfig(any(localResponse(o))))));
    }
    route.putTypedPerFilterConfig(
        TYPE,
        any(
            CustomResponse.newBuilder()
                .setCustomResponseMatcher(Matcher.newBuilder().setMatcherList(matchers))
                .build()));
  }

  private static LocalResponsePolicy localResponse(ResponseOverrideIr o) {
    LocalResponsePolicy.Builder p = LocalResponsePolicy.newBuilder();
    if (o.body() != null) {
      p.setBody(
          io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder().setInlineString(o.body()));
    }
    if (o.statusCode() != null) {
      p.setStatusCode(com.google.protobuf.UInt32Value.of(o.statusCode()));
    }
    if (o.contentType() != null) {
      p.addResponseHeadersToAdd(header("Content-Type", o.contentType(), "set"));
    }
    for (ResponseOverrideIr.HeaderIr h : o.headers()) {
      p.addResponseHeadersToAdd(header(h.name(), h.value(), h.op()));
    }
    return p.build();
  }

  private static HeaderValueOption header(String name, String value, String op) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(
            op.equals("set")
                ? HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD
                : HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD)
        .build();
  }
}
