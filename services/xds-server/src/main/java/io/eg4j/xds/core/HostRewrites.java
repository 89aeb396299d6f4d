package io.eg4j.xds.core;

import io.eg4j.model.ir.HttpRouteIr;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;

/**
 * The Host header a route sends upstream: a literal name (Gateway API URLRewrite), the value of a
 * request header, the name of the upstream host, or a regex substitution of the path (an
 * HTTPRouteFilter's {@code urlRewrite.hostname}). The client's Host is appended to X-Forwarded-Host
 * unless the rewrite says not to.
 */
final class HostRewrites {
  private HostRewrites() {}

  static void apply(RouteAction.Builder a, HttpRouteIr.UrlRewriteIr rewrite) {
    boolean rewritten = true;
    HttpRouteIr.UrlRewriteIr.HostRewriteIr from = rewrite.host();
    if (rewrite.hostname() != null) {
      a.setHostRewriteLiteral(rewrite.hostname());
    } else if (from == null) {
      rewritten = false;
    } else {
      switch (from.type()) {
        case "Header" -> a.setHostRewriteHeader(from.header());
        case "Backend" -> a.setAutoHostRewrite(com.google.protobuf.BoolValue.of(true));
        case "PathRegex" ->
            a.setHostRewritePathRegex(
                RegexMatchAndSubstitute.newBuilder()
                    .setPattern(RegexMatcher.newBuilder().setRegex(from.pattern()))
                    .setSubstitution(from.substitution()));
        default -> throw new IllegalArgumentException("unknown host rewrite " + from.type());
      }
    }
    if (rewritten && rewrite.appendXForwardedHost()) {
      a.setAppendXForwardedHost(true);
    }
  }
}
