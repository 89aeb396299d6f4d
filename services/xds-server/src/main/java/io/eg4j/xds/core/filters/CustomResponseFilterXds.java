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
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.custom_response.v3.CustomResponse;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.http.custom_response.local_response_policy.v3.LocalResponsePolicy;
import io.envoyproxy.envoy.extensions.http.custom_response.redirect_policy.v3.RedirectPolicy;
import io.envoyproxy.envoy.type.matcher.v3.HttpResponseHeaderMatchInput;
import io.envoyproxy.envoy.type.matcher.v3.HttpResponseStatusCodeMatchInput;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A BackendTrafficPolicy's response overrides: Envoy's custom response filter, inert on the
 * listener (no matcher), and on each route whose policy overrides responses a per-route config that
 * matches the response's status code and headers (all must match) and answers with the local
 * response, or with the response to an internal redirect, instead.
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
      List<Matcher.MatcherList.Predicate> all = new ArrayList<>();
      if (!o.statusCodes().isEmpty()) {
        String codes =
            o.statusCodes().stream().map(String::valueOf).collect(Collectors.joining("|"));
        all.add(
            single(
                "status-code",
                any(HttpResponseStatusCodeMatchInput.getDefaultInstance()),
                StringMatcher.newBuilder()
                    .setSafeRegex(
                        RegexMatcher.newBuilder()
                            .setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance())
                            .setRegex("^(?:" + codes + ")$"))
                    .build()));
      }
      for (ResponseOverrideIr.HeaderMatchIr h : o.responseHeaders()) {
        all.add(
            single(
                "response-header",
                any(HttpResponseHeaderMatchInput.newBuilder().setHeaderName(h.name()).build()),
                valueMatcher(h)));
      }
      if (o.source() != null) {
        all.add(
            single(
                "local-reply",
                localReplyInput(),
                StringMatcher.newBuilder()
                    .setExact(o.source().equals("Local") ? "true" : "false")
                    .build()));
      }
      Matcher.MatcherList.Predicate predicate =
          all.size() == 1
              ? all.get(0)
              : Matcher.MatcherList.Predicate.newBuilder()
                  .setAndMatcher(
                      Matcher.MatcherList.Predicate.PredicateList.newBuilder().addAllPredicate(all))
                  .build();
      matchers.addMatchers(
          Matcher.MatcherList.FieldMatcher.newBuilder()
              .setPredicate(predicate)
              .setOnMatch(
                  Matcher.OnMatch.newBuilder()
                      .setAction(
                          TypedExtensionConfig.newBuilder()
                              .setName(policy + "/responseoverride/rule/" + i)
                              .setTypedConfig(
                                  o.redirect() != null
                                      ? any(redirect(o.redirect()))
                                      : any(localResponse(o))))));
    }
    route.putTypedPerFilterConfig(
        TYPE,
        any(
            CustomResponse.newBuilder()
                .setCustomResponseMatcher(Matcher.newBuilder().setMatcherList(matchers))
                .build()));
  }

  private static Matcher.MatcherList.Predicate single(
      String inputName, com.google.protobuf.Any input, StringMatcher value) {
    return Matcher.MatcherList.Predicate.newBuilder()
        .setSinglePredicate(
            Matcher.MatcherList.Predicate.SinglePredicate.newBuilder()
                .setInput(
                    TypedExtensionConfig.newBuilder().setName(inputName).setTypedConfig(input))
                .setValueMatch(value))
        .build();
  }

  /**
   * Envoy's input that tells its own replies ({@code "true"}) from upstream responses ({@code
   * "false"}). Its message ({@code envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput}, no
   * fields) is newer than the protos eg4j builds with, so it travels as a TypedStruct of that type,
   * which Envoy reads with its own descriptors.
   */
  private static com.google.protobuf.Any localReplyInput() {
    return any(
        com.github.xds.type.v3.TypedStruct.newBuilder()
            .setTypeUrl(
                "type.googleapis.com/envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput")
            .setValue(com.google.protobuf.Struct.getDefaultInstance())
            .build());
  }

  private static StringMatcher valueMatcher(ResponseOverrideIr.HeaderMatchIr h) {
    StringMatcher.Builder m = StringMatcher.newBuilder();
    switch (h.type()) {
      case "Prefix" -> m.setPrefix(h.value());
      case "Suffix" -> m.setSuffix(h.value());
      case "RegularExpression" ->
          m.setSafeRegex(
              RegexMatcher.newBuilder()
                  .setGoogleRe2(RegexMatcher.GoogleRE2.getDefaultInstance())
                  .setRegex(h.value()));
      default -> m.setExact(h.value());
    }
    return m.build();
  }

  /**
   * An internal redirect: Envoy sends the request again with the new URL parts through the route
   * table and answers with that response (its status replaced by {@code statusCode} unless it is an
   * error).
   */
  private static RedirectPolicy redirect(ResponseOverrideIr.RedirectIr r) {
    RedirectAction.Builder a = RedirectAction.newBuilder();
    if (r.scheme() != null) {
      a.setSchemeRedirect(r.scheme());
    }
    if (r.hostname() != null) {
      a.setHostRedirect(r.hostname());
    }
    if (r.port() != null) {
      a.setPortRedirect(r.port());
    }
    if (r.path() != null) {
      a.setPathRedirect(r.path());
    }
    return RedirectPolicy.newBuilder()
        .setRedirectAction(a)
        .setStatusCode(com.google.protobuf.UInt32Value.of(r.statusCode()))
        .build();
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
