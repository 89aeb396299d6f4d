package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The route translator reuses the Route of an equal route IR from its last translation of a key:
 * what it returns must always be what a fresh translator returns, whatever it translated before.
 */
class RouteReuseTest {
  private static List<Route> routes(List<RouteConfiguration> rcs) {
    return rcs.stream()
        .flatMap(rc -> rc.getVirtualHostsList().stream())
        .flatMap(vh -> vh.getRoutesList().stream())
        .toList();
  }

  @Test
  void everyCaseAfterEveryOtherUnderOneKeyIsWhatAFreshTranslatorGives() throws Exception {
    RouteXdsTranslator reused = new RouteXdsTranslator();
    List<String> names = XdsGoldenCases.names();
    // Each case follows another under the same key, both ways round, and itself.
    for (int i = 0; i < names.size(); i++) {
      for (String name : List.of(names.get(i), names.get((i + 1) % names.size()), names.get(i))) {
        XdsIr ir = XdsGoldenCases.read(name).withKey("shared");
        assertThat(reused.translate(ir)).as(name).isEqualTo(new RouteXdsTranslator().translate(ir));
      }
    }
  }

  @Test
  void aChangedRouteIsTranslatedAgainAndTheOthersAreReused() throws Exception {
    RouteXdsTranslator t = new RouteXdsTranslator();
    XdsIr before = XdsGoldenCases.read("backend-traffic-features");
    XdsIr after =
        XdsGoldenCases.read(
            "backend-traffic-features",
            "          samplingNumerator: 1\n",
            "          samplingNumerator: 1\n"
                + "          clientSampling: {numerator: 1, denominator: 2}\n");
    List<Route> first = routes(t.translate(before));
    List<Route> second = routes(t.translate(after));
    assertThat(second).isEqualTo(routes(new RouteXdsTranslator().translate(after)));
    assertThat(second).isNotEqualTo(first);
    assertThat(second).hasSameSizeAs(first);
    int same = 0;
    for (int i = 0; i < first.size(); i++) {
      if (first.get(i) == second.get(i)) {
        same++;
      } else {
        assertThat(second.get(i)).isNotEqualTo(first.get(i));
      }
    }
    // The traced route changed; the others are the very Routes of the first translation.
    assertThat(same).isEqualTo(first.size() - 1);
  }

  @Test
  void aForgottenKeyStartsAfresh() throws Exception {
    RouteXdsTranslator t = new RouteXdsTranslator();
    XdsIr ir = XdsGoldenCases.read("backend-traffic-features");
    Route first = routes(t.translate(ir)).get(0);
    assertThat(routes(t.translate(ir)).get(0)).isSameAs(first);
    t.forget(ir.key());
    Route again = routes(t.translate(ir)).get(0);
    assertThat(again).isEqualTo(first).isNotSameAs(first);
  }

  private static List<io.eg4j.model.ir.HttpRouteIr> routeIrs(XdsIr ir) {
    return ir.http().stream().flatMap(l -> l.routes().stream()).toList();
  }

  @Test
  void theRouteIrKeptIsTheFirstOneSeenWhileItStaysEqual() throws Exception {
    RouteXdsTranslator t = new RouteXdsTranslator();
    XdsIr first = XdsGoldenCases.read("backend-traffic-features");
    // The same content read again (new instances), then with one route changed.
    XdsIr again = XdsGoldenCases.read("backend-traffic-features");
    XdsIr changed =
        XdsGoldenCases.read(
            "backend-traffic-features",
            "          samplingNumerator: 1\n",
            "          samplingNumerator: 1\n"
                + "          clientSampling: {numerator: 1, denominator: 2}\n");
    t.translate(first);
    var kept = t.keptRouteIrs(first.key());
    assertThat(kept).hasSize(routeIrs(first).size());
    List<Route> fromAgain = routes(t.translate(again));
    assertThat(fromAgain).isEqualTo(routes(new RouteXdsTranslator().translate(again)));
    // Nothing of the IR read again is kept: every route IR still equals the first one's.
    assertThat(t.keptRouteIrs(first.key()))
        .hasSize(kept.size())
        .allSatisfy(r -> assertThat(routeIrs(first)).anySatisfy(f -> assertThat(f).isSameAs(r)))
        .noneSatisfy(r -> assertThat(routeIrs(again)).anySatisfy(a -> assertThat(a).isSameAs(r)));
    List<Route> fromChanged = routes(t.translate(changed));
    assertThat(fromChanged).isEqualTo(routes(new RouteXdsTranslator().translate(changed)));
    // The changed route's IR is the new one; the others are still the first translation's.
    var keptNow = t.keptRouteIrs(first.key());
    long fromFirst =
        keptNow.stream().filter(r -> routeIrs(first).stream().anyMatch(f -> f == r)).count();
    long fromChangedIr =
        keptNow.stream().filter(r -> routeIrs(changed).stream().anyMatch(c -> c == r)).count();
    assertThat(fromChangedIr).isEqualTo(1);
    assertThat(fromFirst).isEqualTo(keptNow.size() - 1);
  }

  @Test
  void theSameRouteIrInstancesAreFoundWithoutDeepLookups() throws Exception {
    RouteXdsTranslator t = new RouteXdsTranslator();
    XdsIr ir = XdsGoldenCases.read("http-features");
    int n = routeIrs(ir).size();
    List<Route> first = routes(t.translate(ir));
    assertThat(t.deepLookups()).isEqualTo(n);
    // The reader gives unchanged routes as the same instances: no deep hash or equals for them.
    List<Route> again = routes(t.translate(ir.withListeners(ir.http(), ir.tcp(), ir.udp())));
    assertThat(t.deepLookups()).isEqualTo(n);
    for (int i = 0; i < first.size(); i++) {
      assertThat(again.get(i)).isSameAs(first.get(i));
    }
    // An equal route IR read anew (another instance) is found deeply and not kept by identity.
    XdsIr reread = XdsGoldenCases.read("http-features");
    t.translate(reread);
    t.translate(reread);
    assertThat(t.deepLookups()).isEqualTo(3 * n);
    assertThat(t.keptRouteIrs(ir.key()))
        .noneSatisfy(r -> assertThat(routeIrs(reread)).anySatisfy(a -> assertThat(a).isSameAs(r)));
    // One route changed (a new instance): that one alone is looked up deeply, and translated.
    var http = new java.util.ArrayList<>(ir.http());
    var l = http.get(0);
    var rs = new java.util.ArrayList<>(l.routes());
    rs.set(1, rs.get(1).withTimeout(new io.eg4j.model.ir.DurationIr(4321)));
    http.set(0, l.withRoutes(rs));
    XdsIr changed = ir.withListeners(http, ir.tcp(), ir.udp());
    List<Route> third = routes(t.translate(changed));
    assertThat(t.deepLookups()).isEqualTo(3 * n + 1);
    assertThat(third).isEqualTo(routes(new RouteXdsTranslator().translate(changed)));
    assertThat(third.stream().filter(r -> first.stream().noneMatch(f -> f == r)).count())
        .isEqualTo(1);
  }
}
