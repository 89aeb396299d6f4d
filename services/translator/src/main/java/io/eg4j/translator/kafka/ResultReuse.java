package io.eg4j.translator.kafka;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.translator.core.TranslateResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/**
 * Puts the previous translation's instances in place of the equal parts of a new one: the statuses
 * that did not change (as {@link OutputPublisher} compares them, transition times aside) and the
 * HTTP routes that did not, listener by listener.
 *
 * <p>Memory (issue #16). A full translation builds every status and route afresh, and the
 * translator keeps the last result until the next change. What it keeps lives long enough to reach
 * the old generation, so without this every change left the whole previous result (some 5,000
 * statuses and 5,000 routes at 5,000 routes) there as garbage and G1 grew the heap under churn.
 * With it the fresh copies of unchanged parts die young, and only what changed replaces anything.
 * The publisher then finds each unchanged value identical to the one it last published.
 *
 * <p>A status kept this way carries the transition times of the one before it, which is what was
 * published: the publisher never sends a status whose only change is a transition time.
 */
final class ResultReuse {
  private ResultReuse() {}

  /** {@code next} with the equal parts of {@code previous}; {@code next} itself when none. */
  static TranslateResult reuse(TranslateResult previous, TranslateResult next) {
    if (previous == null) {
      return next;
    }
    List<ResourceStatus> statuses =
        keep(
            previous.statuses(),
            next.statuses(),
            ResourceStatus::key,
            (old, s) -> OutputPublisher.sameContent(old, s) ? old : s);
    Map<String, XdsIr> xdsIr = xdsIr(previous.xdsIr(), next.xdsIr());
    if (statuses == next.statuses() && xdsIr == next.xdsIr()) {
      return next;
    }
    return new TranslateResult(
        statuses, xdsIr, next.infraIr(), next.endpointSources(), next.endpointIndex());
  }

  private static Map<String, XdsIr> xdsIr(Map<String, XdsIr> previous, Map<String, XdsIr> next) {
    Map<String, XdsIr> out = null;
    for (Map.Entry<String, XdsIr> e : next.entrySet()) {
      XdsIr old = previous.get(e.getKey());
      XdsIr ir = e.getValue();
      XdsIr merged = old == null || old == ir ? ir : routes(old, ir);
      if (merged != ir) {
        if (out == null) {
          out = new LinkedHashMap<>(next);
        }
        out.put(e.getKey(), merged);
      }
    }
    return out == null ? next : out;
  }

  /** {@code next} with each listener's routes equal to the previous listener's kept. */
  private static XdsIr routes(XdsIr previous, XdsIr next) {
    List<HttpListenerIr> http =
        keep(previous.http(), next.http(), HttpListenerIr::name, ResultReuse::listener);
    return http == next.http() ? next : next.withListeners(http, next.tcp(), next.udp());
  }

  private static HttpListenerIr listener(HttpListenerIr previous, HttpListenerIr next) {
    List<HttpRouteIr> routes =
        keep(previous.routes(), next.routes(), HttpRouteIr::name, (o, r) -> o.equals(r) ? o : r);
    return routes == next.routes() ? next : next.withRoutes(routes);
  }

  /**
   * {@code next} with each element replaced by {@code merge(previous element of the same key, it)};
   * {@code next} itself when every element stays as it is. Keys are unique within each list.
   */
  private static <T, K> List<T> keep(
      List<T> previous, List<T> next, Function<T, K> key, BinaryOperator<T> merge) {
    Map<K, T> before = new HashMap<>(previous.size() * 2);
    for (T t : previous) {
      before.put(key.apply(t), t);
    }
    List<T> out = new ArrayList<>(next.size());
    boolean changed = false;
    for (T t : next) {
      T old = before.get(key.apply(t));
      T kept = old == null || old == t ? t : merge.apply(old, t);
      changed |= kept != t;
      out.add(kept);
    }
    return changed ? out : next;
  }
}
