package io.eg4j.translator.core.nack;

import static io.eg4j.translator.core.nack.NackAttribution.CLUSTER_TYPE;
import static io.eg4j.translator.core.nack.NackAttribution.LISTENER_TYPE;
import static io.eg4j.translator.core.nack.NackAttribution.ROUTE_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.ir.XdsIr;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Envoy's NACK messages traced to the Gateway listeners and route rules they are about. */
class NackAttributionTest {
  static final XdsIr IR = NackFixtures.translate().xdsIr().get("default/eg");
  static final ResourceKey GATEWAY =
      new ResourceKey("gateway.networking.k8s.io", "Gateway", "default", "eg");
  static final ResourceKey APP =
      new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "default", "app");
  static final ResourceKey OTHER =
      new ResourceKey("gateway.networking.k8s.io", "HTTPRoute", "default", "other");

  static NackCulprit listener(String name) {
    return NackCulprit.listener("default/eg", GATEWAY, name);
  }

  static NackCulprit rule(ResourceKey route, int rule) {
    return NackCulprit.rule("default/eg", route, rule);
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            Named.of(
                "LDS bind failure names the port's listener: both listeners on it", LISTENER_TYPE),
            "Error adding/updating listener(s) default/eg/http: cannot bind '0.0.0.0:8080':"
                + " Address already in use",
            List.of(listener("http"), listener("http-b"))),
        Arguments.of(
            Named.of("LDS names the other port's listener only", LISTENER_TYPE),
            "Error adding/updating listener(s) default/eg/http2: cannot bind '0.0.0.0:8081':"
                + " Address already in use",
            List.of(listener("http2"))),
        Arguments.of(
            Named.of("a name inside a longer one is not that name", LISTENER_TYPE),
            "Error adding/updating listener(s) default/eg/http2x: boom",
            List.of()),
        Arguments.of(
            Named.of("RDS value after the last colon: the rule that holds it", ROUTE_TYPE),
            "Not supported field in StreamInfo: BOGUS",
            List.of(rule(APP, 1))),
        Arguments.of(
            Named.of("RDS naming a route", ROUTE_TYPE),
            "route httproute/default/other/rule/0/match/0/* is invalid",
            List.of(rule(OTHER, 0))),
        Arguments.of(
            Named.of("RDS value every route holds proves nothing", ROUTE_TYPE),
            "something about: httproute",
            List.of()),
        Arguments.of(
            Named.of("CDS names the rule's cluster", CLUSTER_TYPE),
            "Error adding/updating cluster(s) httproute/default/app/rule/2: bad thing",
            List.of(rule(APP, 2))),
        Arguments.of(
            Named.of("a message naming nothing of ours", LISTENER_TYPE),
            "Proto constraint validation failed",
            List.of()));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void attributes(String typeUrl, String message, List<NackCulprit> expected) {
    assertThat(NackAttribution.attribute(IR, typeUrl, message))
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void withoutTheServedIrNothingIsAttributed() {
    assertThat(NackAttribution.attribute(null, ROUTE_TYPE, "Not supported field: BOGUS")).isEmpty();
    assertThat(NackAttribution.attribute(IR, ROUTE_TYPE, "")).isEmpty();
  }

  @Test
  void namesAreMatchedWhole() {
    assertThat(NackAttribution.mentions("listener(s) a/b/c: x", "a/b/c")).isTrue();
    assertThat(NackAttribution.mentions("listener(s) a/b/cd: x", "a/b/c")).isFalse();
    assertThat(NackAttribution.mentions("x/a/b/c: x", "a/b/c")).isFalse();
    assertThat(NackAttribution.mentions("a/b/cd, a/b/c", "a/b/c")).isTrue();
  }
}
