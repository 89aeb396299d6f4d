package io.eg4j.translator.core;

import io.eg4j.model.ir.HttpRouteIr;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Orders HTTP routes the way the Gateway API spec (HTTPRouteRule precedence) and Envoy Gateway's
 * {@code sortXdsIRMap} do, so Envoy, which takes the first matching route, picks the most specific
 * one. Ties keep their insertion order (route creation time, then name), which the sort is stable
 * for.
 */
final class RoutePrecedence {
  private RoutePrecedence() {}

  private static int pathRank(HttpRouteIr r) {
    if (r.pathMatch() == null) {
      return 0;
    }
    return switch (r.pathMatch().type()) {
      case "Exact" -> 3;
      case "RegularExpression" -> 2;
      default -> 1;
    };
  }

  private static int pathLength(HttpRouteIr r) {
    return r.pathMatch() == null || r.pathMatch().value() == null
        ? 0
        : r.pathMatch().value().length();
  }

  static final Comparator<HttpRouteIr> ORDER =
      Comparator.comparingInt(RoutePrecedence::pathRank)
          .thenComparingInt(RoutePrecedence::pathLength)
          .thenComparingInt(r -> r.method() != null ? 1 : 0)
          .thenComparingInt(r -> r.headerMatches().size())
          .thenComparingInt(r -> r.queryMatches().size())
          .reversed();

  static List<HttpRouteIr> sort(List<HttpRouteIr> routes) {
    List<HttpRouteIr> out = new ArrayList<>(routes);
    out.sort(ORDER);
    return out;
  }
}
