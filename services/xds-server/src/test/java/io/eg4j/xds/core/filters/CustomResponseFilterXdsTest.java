package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.xds.type.matcher.v3.Matcher;
import com.github.xds.type.v3.TypedStruct;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.traffic.TrafficIr;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr.HeaderIr;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr.HeaderMatchIr;
import io.eg4j.model.ir.traffic.TrafficIr.ResponseOverrideIr.RedirectIr;
import io.eg4j.xds.testing.Ir;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.custom_response.v3.CustomResponse;
import io.envoyproxy.envoy.extensions.http.custom_response.local_response_policy.v3.LocalResponsePolicy;
import io.envoyproxy.envoy.extensions.http.custom_response.redirect_policy.v3.RedirectPolicy;
import io.envoyproxy.envoy.type.matcher.v3.HttpResponseHeaderMatchInput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-route custom response matcher: status codes, response headers, source and actions. */
class CustomResponseFilterXdsTest {
  static HttpRouteIr route(List<ResponseOverrideIr> overrides) {
    TrafficIr t =
        new TrafficIr(
            "backendtrafficpolicy/default/p",
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            false,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            overrides,
            null);
    return Ir.route("httproute/default/r/rule/0/match/0/x")
        .prefix("/")
        .to(Ir.dest("d", "HTTP", 8080))
        .build()
        .withTraffic(t);
  }

  static List<Matcher.MatcherList.FieldMatcher> matchers(List<ResponseOverrideIr> overrides)
      throws Exception {
    Route.Builder r = Route.newBuilder();
    new CustomResponseFilterXds().patchRoute(r, route(overrides));
    return r.getTypedPerFilterConfigOrThrow(CustomResponseFilterXds.TYPE)
        .unpack(CustomResponse.class)
        .getCustomResponseMatcher()
        .getMatcherList()
        .getMatchersList();
  }

  @Test
  void aRedirectBecomesARedirectPolicyWithTheURLParts() throws Exception {
    var m =
        matchers(
            List.of(
                new ResponseOverrideIr(
                    List.of(404, 500),
                    null,
                    null,
                    null,
                    List.of(),
                    List.of(),
                    new RedirectIr("https", "err.example.com", 8443, "/oops", 301),
                    null)));
    assertThat(m).hasSize(1);
    // Status codes alone: a single predicate, no AND.
    assertThat(
            m.get(0).getPredicate().getSinglePredicate().getValueMatch().getSafeRegex().getRegex())
        .isEqualTo("^(?:404|500)$");
    assertThat(m.get(0).getOnMatch().getAction().getName())
        .isEqualTo("backendtrafficpolicy/default/p/responseoverride/rule/0");
    RedirectPolicy p =
        m.get(0).getOnMatch().getAction().getTypedConfig().unpack(RedirectPolicy.class);
    assertThat(p.getStatusCode().getValue()).isEqualTo(301);
    assertThat(p.getRedirectAction().getSchemeRedirect()).isEqualTo("https");
    assertThat(p.getRedirectAction().getHostRedirect()).isEqualTo("err.example.com");
    assertThat(p.getRedirectAction().getPortRedirect()).isEqualTo(8443);
    assertThat(p.getRedirectAction().getPathRedirect()).isEqualTo("/oops");
    // The response code of the action stays unset: the policy's status_code carries it.
    assertThat(p.getRedirectAction().getResponseCodeValue()).isZero();
  }

  @Test
  void headerMatchesAndTheSourceAreAndedWithTheStatusCodes() throws Exception {
    var m =
        matchers(
            List.of(
                new ResponseOverrideIr(
                    List.of(503),
                    "text/plain",
                    "busy",
                    429,
                    List.of(new HeaderIr("x-a", "1", "add"), new HeaderIr("x-b", "2", "set")),
                    List.of(
                        new HeaderMatchIr("x-reason", "Prefix", "over"),
                        new HeaderMatchIr("x-kind", "RegularExpression", "^q.*$")),
                    null,
                    "Backend")));
    var and = m.get(0).getPredicate().getAndMatcher().getPredicateList();
    assertThat(and).hasSize(4);
    assertThat(and.get(0).getSinglePredicate().getValueMatch().getSafeRegex().getRegex())
        .isEqualTo("^(?:503)$");
    var h1 = and.get(1).getSinglePredicate();
    assertThat(
            h1.getInput()
                .getTypedConfig()
                .unpack(HttpResponseHeaderMatchInput.class)
                .getHeaderName())
        .isEqualTo("x-reason");
    assertThat(h1.getValueMatch().getPrefix()).isEqualTo("over");
    assertThat(and.get(2).getSinglePredicate().getValueMatch().getSafeRegex().getRegex())
        .isEqualTo("^q.*$");
    var source = and.get(3).getSinglePredicate();
    assertThat(source.getInput().getTypedConfig().unpack(TypedStruct.class).getTypeUrl())
        .isEqualTo("type.googleapis.com/envoy.type.matcher.v3.HttpResponseLocalReplyMatchInput");
    assertThat(source.getValueMatch().getExact())
        .as("Backend: not a local reply")
        .isEqualTo("false");
    LocalResponsePolicy p =
        m.get(0).getOnMatch().getAction().getTypedConfig().unpack(LocalResponsePolicy.class);
    assertThat(p.getStatusCode().getValue()).isEqualTo(429);
    assertThat(p.getBody().getInlineString()).isEqualTo("busy");
    assertThat(p.getResponseHeadersToAddList())
        .extracting(
            h ->
                h.getHeader().getKey() + "=" + h.getHeader().getValue() + ":" + h.getAppendAction())
        .containsExactly(
            "Content-Type=text/plain:"
                + HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
            "x-a=1:" + HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
            "x-b=2:" + HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
  }

  @Test
  void headersAloneNeedNoStatusCodeAndLocalMatchesEnvoysOwnReplies() throws Exception {
    var m =
        matchers(
            List.of(
                new ResponseOverrideIr(
                    List.of(),
                    null,
                    "x",
                    null,
                    List.of(),
                    List.of(new HeaderMatchIr("x-error", "Exact", "yes")),
                    null,
                    null),
                new ResponseOverrideIr(
                    List.of(401), null, "who", null, List.of(), List.of(), null, "Local")));
    var single = m.get(0).getPredicate().getSinglePredicate();
    assertThat(single.getInput().getName()).isEqualTo("response-header");
    assertThat(single.getValueMatch().getExact()).isEqualTo("yes");
    var and = m.get(1).getPredicate().getAndMatcher().getPredicateList();
    assertThat(and).hasSize(2);
    assertThat(and.get(1).getSinglePredicate().getValueMatch().getExact()).isEqualTo("true");
  }
}
