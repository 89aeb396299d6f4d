package io.eg4j.xds.bench;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.RouteDestinationIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.xds.testing.Ir;
import java.util.ArrayList;
import java.util.List;

/** Large IRs for benchmarks. */
final class BenchIr {
  private BenchIr() {}

  /**
   * One HTTP listener with {@code routes} routes spread over 100 hostnames, each with its own
   * backend (so also {@code routes} clusters and endpoint sets); every tenth route has header and
   * query matches, every fifth a weighted split.
   *
   * @param generation changes the path of route 0 only (a one-route change)
   */
  static XdsIr http(int routes, int generation) {
    List<HttpRouteIr> out = new ArrayList<>(routes);
    for (int i = 0; i < routes; i++) {
      String name = "httproute/ns-" + (i % 50) + "/route-" + i;
      Ir.R r =
          Ir.route(name + "/rule/0/match/0")
              .host("host-" + (i % 100) + ".example.com")
              .prefix("/svc-" + i + (i == 0 ? "/g" + generation : ""));
      if (i % 10 == 0) {
        r.header("x-tenant", "t" + i).query("v", "2");
      }
      RouteDestinationIr dest =
          i % 5 == 0
              ? Ir.weighted(
                  name + "/rule/0",
                  new int[] {10000 + i % 5000, 20000 + i % 5000},
                  new int[] {90, 10})
              : Ir.dest(name + "/rule/0", "HTTP", 10000 + i % 5000);
      out.add(r.to(dest).build());
    }
    return new XdsIr(
        "default/eg",
        List.of(
            new HttpListenerIr(
                "default/eg/http", "0.0.0.0", 10080, 80, List.of("*"), null, out, null)),
        List.of(),
        List.of(),
        List.of());
  }
}
