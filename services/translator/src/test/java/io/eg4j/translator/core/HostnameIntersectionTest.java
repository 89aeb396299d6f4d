package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hostnames a route serves on a listener (Gateway API: HTTPRoute/GRPCRoute/TLSRoute
 * `spec.hostnames` and Listener `hostname`; the HTTPRoute- and TLSRouteHostnameIntersection
 * conformance tests). A `*.` wildcard stands for one or more labels and never for the bare suffix;
 * two wildcards intersect in the narrower one. Route hostnames are separated by `|`; `-` is none.
 */
class HostnameIntersectionTest {

  @ParameterizedTest(name = "listener {0}, route {1} -> {2}")
  @CsvSource({
    // no listener hostname: the route's own, or every host
    "'',              -,                               *",
    "'',              abc.example.com|*.com,           *.com|abc.example.com",
    // no route hostnames: the listener's
    "abc.example.com, -,                               abc.example.com",
    "*.example.com,   -,                               *.example.com",
    // exact listener
    "abc.example.com, abc.example.com,                 abc.example.com",
    "abc.example.com, *.example.com,                   abc.example.com",
    "abc.example.com, *.com,                           abc.example.com",
    "abc.example.com, *.abc.example.com,               -",
    "abc.example.com, def.example.com,                 -",
    // wildcard listener: names under it, never the bare suffix
    "*.example.com,   abc.example.com,                 abc.example.com",
    "*.example.com,   b.a.example.com,                 b.a.example.com",
    "*.example.com,   example.com,                     -",
    "*.example.com,   abc.example.org,                 -",
    // two wildcards: the narrower one
    "*.example.com,   *.example.com,                   *.example.com",
    "*.example.com,   *.a.example.com,                 *.a.example.com",
    "*.example.com,   *.com,                           *.example.com",
    "*.com,           *.example.com,                   *.example.com",
    "*.example.com,   *.org,                           -",
    "*.example.com,   *.ample.com,                     -",
    // several route hostnames: each that intersects
    "*.example.com,   non.matching.com|foo.example.com|*.com, *.example.com|foo.example.com",
    // hostnames the API server would refuse match nothing
    "*.example.com,   a..example.com|-bad.example.com, -",
  })
  void intersection(String listener, String route, String expected) {
    ObjectNode spec = JsonNodeFactory.instance.objectNode().put("name", "l");
    if (!listener.isEmpty()) {
      spec.put("hostname", listener);
    }
    ListenerContext l = new ListenerContext(null, null, spec, null);
    List<String> routeHostnames = route.equals("-") ? List.of() : Arrays.asList(route.split("\\|"));
    List<String> want = expected.equals("-") ? List.of() : Arrays.asList(expected.split("\\|"));
    assertThat(RouteParentResolver.computeHosts(routeHostnames, l))
        .containsExactlyInAnyOrderElementsOf(want);
  }
}
