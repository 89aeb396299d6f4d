package io.eg4j.translator.kafka;

import io.eg4j.model.bus.ResourceKey;
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
    List<ResourceStatus> statuses = statuses(previous.statuses(), next.statuses());
    Map<String, XdsIr> xdsIr = xdsIr(previous.xdsIr(), next.xdsIr());
    if (statuses == next.statuses() && xdsIr == next.xdsIr()) {
      return next;
    }
    return new TranslateResult(
        statuses, xdsIr, next.infraIr(), next.endpointSources(), next.endpointIndex());
  }

  private static List<ResourceStatus> statuses(
      List<ResourceStatus> previous, List<ResourceStatus> next) {
    Map<ResourceKey, ResourceStatus> before = new HashMap<>(previous.size() * 2);
    for (ResourceStatus s : previous) {
      before.put(s.key(), s);
    }
    List<ResourceStatus> out = new ArrayList<>(next.size());
    boolean reused = false;
    for (ResourceStatus s : next) {
      ResourceStatus old = before.get(s.key());
      if (old != null && old != s && OutputPublisher.sameContent(old, s)) {
        out.add(old);
        reused = true;
      } else {
        out.add(s);
      }
    }
    return reused ? out : next;
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

  /** {@code next} with the previous listener's equal routes in place of its own. */
  private static XdsIr routes(XdsIr previous, XdsIr next) {
    Map<String, HttpListenerIr> before = new HashMap<>();
    for (HttpListenerIr l : previous.http()) {
      before.put(l.name(), l);
    }
    List<HttpListenerIr> http = new ArrayList<>(next.http().size());
    boolean changed = false;
    for (HttpListenerIr l : next.http()) {
      HttpListenerIr old = before.get(l.name());
      HttpListenerIr merged = old == null || old == l ? l : routes(old, l);
      changed |= merged != l;
      http.add(merged);
    }
    return changed ? next.withListeners(http, next.tcp(), next.udp()) : next;
  }

  private static HttpListenerIr routes(HttpListenerIr previous, HttpListenerIr next) {
    Map<String, HttpRouteIr> before = new HashMap<>(previous.routes().size() * 2);
    for (HttpRouteIr r : previous.routes()) {
      before.put(r.name(), r);
    }
    List<HttpRouteIr> routes = new ArrayList<>(next.routes().size());
    boolean reused = false;
    for (HttpRouteIr r : next.routes()) {
      HttpRouteIr old = before.get(r.name());
      if (old != null && old != r && old.equals(r)) {
        routes.add(old);
        reused = true;
      } else {
        routes.add(r);
      }
    }
    return reused ? next.withRoutes(routes) : next;
  }
}
