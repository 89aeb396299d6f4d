package io.eg4j.xds.core.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.traffic.GlobalRateLimitIr;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files a host's rate limit service reads follow the IRs: added, changed, removed. */
class RateLimitConfigWriterTest {
  @TempDir Path dir;

  static XdsIr ir(String key, String listener, long requests) {
    GlobalRateLimitIr g =
        new GlobalRateLimitIr(
            listener,
            "default",
            "p",
            List.of(GlobalRateLimitFilterXdsTest.rule(List.of(), null, null, requests, false)),
            GlobalRateLimitFilterXdsTest.SERVICE,
            false);
    HttpRouteIr r = GlobalRateLimitFilterXdsTest.route("r", g);
    return new XdsIr(
        key,
        List.of(new HttpListenerIr(listener, null, 80, 80, List.of(), null, List.of(r), null)),
        List.of(),
        List.of(),
        List.of());
  }

  List<String> files() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void filesFollowTheIrs() throws Exception {
    RateLimitConfigWriter w = new RateLimitConfigWriter(dir);
    w.apply("default/a", ir("default/a", "default/a/http", 3));
    w.apply("default/b", ir("default/b", "default/b/http", 4));
    assertThat(files()).containsExactly("default_a_http.yaml", "default_b_http.yaml");
    assertThat(Files.readString(dir.resolve("default_a_http.yaml")))
        .contains("requests_per_unit: 3");
    w.apply("default/a", ir("default/a", "default/a/http", 9));
    assertThat(Files.readString(dir.resolve("default_a_http.yaml")))
        .contains("requests_per_unit: 9");
    w.apply("default/b", null);
    assertThat(files()).containsExactly("default_a_http.yaml");
  }

  @Test
  void filesAreTheConfigurationsOfEveryIrWhole() throws Exception {
    // The writer keeps only the routes that have a global rate limit; the files must be those
    // that the whole IRs give, routes without a limit (or without traffic settings) among them.
    XdsIr a = ir("default/a", "default/a/http", 3);
    HttpListenerIr l = a.http().get(0);
    HttpRouteIr unlimited = GlobalRateLimitFilterXdsTest.route("u", null);
    List<HttpRouteIr> routes = List.of(unlimited, l.routes().get(0));
    XdsIr mixed =
        new XdsIr(
            a.key(),
            List.of(new HttpListenerIr(l.name(), null, 80, 80, List.of(), null, routes, null)),
            List.of(),
            List.of(),
            List.of());
    XdsIr b = ir("default/b", "default/b/http", 4);
    RateLimitConfigWriter w = new RateLimitConfigWriter(dir);
    w.apply(mixed.key(), mixed);
    w.apply(b.key(), b);
    var expected = io.eg4j.model.ir.traffic.RateLimitServiceConfigs.of(List.of(mixed, b));
    assertThat(expected).hasSize(2);
    for (var e : expected.entrySet()) {
      String name = io.eg4j.model.ir.traffic.RateLimitServiceConfigs.fileName(e.getKey());
      assertThat(Files.readString(dir.resolve(name))).isEqualTo(e.getValue());
    }
    assertThat(files()).hasSize(2);
  }
}
