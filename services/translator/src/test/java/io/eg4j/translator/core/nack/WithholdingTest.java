package io.eg4j.translator.core.nack;

import static io.eg4j.translator.core.nack.NackAttributionTest.APP;
import static io.eg4j.translator.core.nack.NackAttributionTest.GATEWAY;
import static io.eg4j.translator.core.nack.NackAttributionTest.OTHER;
import static io.eg4j.translator.core.nack.NackAttributionTest.listener;
import static io.eg4j.translator.core.nack.NackAttributionTest.rule;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.translator.core.TranslateResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a withheld listener or rule does to the IR and the statuses, and how it leaves. */
class WithholdingTest {
  static final String NOW = "2026-12-05T20:00:00Z";
  static final long SECOND = Duration.ofSeconds(1).toNanos();
  final TranslateResult raw = NackFixtures.translate();
  final Map<ResourceKey, String> specs = new HashMap<>(Map.of(GATEWAY, "g1", APP, "a1"));
  final Withholding w =
      new Withholding(new Withholding.Settings(Duration.ofSeconds(2), Duration.ofSeconds(10), 3));

  @Test
  void nothingWithheldChangesNothing() {
    assertThat(w.apply(raw, NOW)).isSameAs(raw);
  }

  @Test
  void aRejectedRuleLeavesTheIrAndItsRouteSaysWhy() {
    w.reject(
        List.of(rule(APP, 1)), "Not supported field in StreamInfo: BOGUS", "v1", specs::get, 0);
    TranslateResult out = w.apply(raw, NOW);

    assertThat(routeNames(out)).noneMatch(n -> n.startsWith("httproute/default/app/rule/1/"));
    assertThat(routeNames(out)).anyMatch(n -> n.startsWith("httproute/default/app/rule/0/"));
    assertThat(routeNames(out)).anyMatch(n -> n.startsWith("httproute/default/app/rule/2/"));
    assertThat(routeNames(out)).anyMatch(n -> n.startsWith("httproute/default/other/rule/0/"));
    assertThat(routeNames(raw)).anyMatch(n -> n.startsWith("httproute/default/app/rule/1/"));

    JsonNode partially = parentCondition(out, "app", "PartiallyInvalid");
    assertThat(partially.path("status").asText()).isEqualTo("True");
    assertThat(partially.path("reason").asText()).isEqualTo("UnsupportedValue");
    assertThat(partially.path("message").asText())
        .isEqualTo(
            "Dropped Rule(s) [1]: Envoy rejected the configuration: Not supported field in"
                + " StreamInfo: BOGUS");
    assertThat(partially.path("lastTransitionTime").asText()).isEqualTo(NOW);
    assertThat(parentCondition(out, "app", "Accepted").path("status").asText()).isEqualTo("True");
    assertThat(parentCondition(out, "other", "PartiallyInvalid")).isNull();
    // The input is left as it was.
    assertThat(parentCondition(raw, "app", "PartiallyInvalid")).isNull();
  }

  @Test
  void aRouteWithEveryRuleRejectedIsNotAccepted() {
    w.reject(List.of(rule(OTHER, 0)), "bad", "v1", specs::get, 0);
    JsonNode accepted = parentCondition(w.apply(raw, NOW), "other", "Accepted");
    assertThat(accepted.path("status").asText()).isEqualTo("False");
    assertThat(accepted.path("reason").asText()).isEqualTo("UnsupportedValue");
    assertThat(accepted.path("message").asText())
        .isEqualTo("Envoy rejected the configuration: bad");
  }

  @Test
  void aRuleStaysWithheldUntilItsRouteChanges() {
    w.reject(List.of(rule(APP, 1)), "bad", "v1", specs::get, 0);
    assertThat(w.due(Long.MAX_VALUE / 2)).isFalse();
    assertThat(w.forgetChanged(specs::get)).isFalse();
    assertThat(w.size()).isEqualTo(1);
    specs.put(APP, "a2");
    assertThat(w.forgetChanged(specs::get)).isTrue();
    assertThat(w.size()).isZero();
    assertThat(w.apply(raw, NOW)).isSameAs(raw);
  }

  @Test
  void aRejectedListenerIsRetriedWithBackoffUntilEnvoyAcceptsIt() {
    String bind = "cannot bind '0.0.0.0:8081': Address already in use";
    w.reject(List.of(listener("http2")), bind, "v1", specs::get, 0);

    TranslateResult out = w.apply(raw, NOW);
    assertThat(listenerNames(out)).containsExactly("default/eg/http", "default/eg/http-b");
    JsonNode programmed = listenerCondition(out, "http2", "Programmed");
    assertThat(programmed.path("status").asText()).isEqualTo("False");
    assertThat(programmed.path("reason").asText()).isEqualTo("Pending");
    assertThat(programmed.path("message").asText())
        .contains("Envoy rejected this listener: " + bind);
    assertThat(listenerCondition(out, "http", "Programmed").path("status").asText())
        .isEqualTo("True");

    // Before the back-off ends nothing moves; after it, the listener is served again while its
    // status still says it is not programmed.
    assertThat(w.nextRetryNanos()).hasValue(2 * SECOND);
    assertThat(w.due(2 * SECOND - 1)).isFalse();
    assertThat(w.due(2 * SECOND)).isTrue();
    assertThat(w.phase(listener("http2"))).isEqualTo(Withholding.Phase.RETRYING);
    TranslateResult retrying = w.apply(raw, NOW);
    assertThat(listenerNames(retrying)).contains("default/eg/http2");
    assertThat(listenerCondition(retrying, "http2", "Programmed").path("status").asText())
        .isEqualTo("False");

    // Rejected again: withheld for twice as long.
    w.reject(List.of(listener("http2")), bind, "v1", specs::get, 3 * SECOND);
    assertThat(w.nextRetryNanos()).hasValue(7 * SECOND);
    assertThat(w.due(7 * SECOND)).isTrue();

    // An acceptance of the version the NACK carried is the configuration without the listener.
    assertThat(w.recovered("default/eg", NackAttribution.LISTENER_TYPE, "v1")).isFalse();
    assertThat(w.recovered("other/gw", NackAttribution.LISTENER_TYPE, "v2")).isFalse();
    assertThat(w.recovered("default/eg", NackAttribution.ROUTE_TYPE, "v2")).isFalse();
    assertThat(w.recovered("default/eg", NackAttribution.LISTENER_TYPE, "v2")).isTrue();
    assertThat(w.size()).isZero();
    assertThat(w.apply(raw, NOW)).isSameAs(raw);
  }

  @Test
  void backoffDoublesUpToTheMaximum() {
    assertThat(w.backoff(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(w.backoff(2)).isEqualTo(Duration.ofSeconds(4));
    assertThat(w.backoff(3)).isEqualTo(Duration.ofSeconds(8));
    assertThat(w.backoff(4)).isEqualTo(Duration.ofSeconds(10));
    assertThat(w.backoff(60)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aListenerWhoseGatewayChangesIsServedAtOnce() {
    w.reject(List.of(listener("http2")), "bad", "v1", specs::get, 0);
    specs.put(GATEWAY, "g2");
    assertThat(w.forgetChanged(specs::get)).isTrue();
    assertThat(listenerNames(w.apply(raw, NOW))).contains("default/eg/http2");
  }

  @Test
  void theStateIsBoundedOldestFirst() {
    w.reject(List.of(rule(APP, 0)), "a", "v", specs::get, 0);
    w.reject(List.of(rule(APP, 1)), "b", "v", specs::get, 0);
    w.reject(List.of(rule(APP, 2)), "c", "v", specs::get, 0);
    w.reject(List.of(rule(APP, 0)), "a again", "v", specs::get, 0);
    w.reject(List.of(rule(OTHER, 0)), "d", "v", specs::get, 0);
    assertThat(w.size()).isEqualTo(3);
    assertThat(w.phase(rule(APP, 1))).isNull();
    assertThat(w.phase(rule(APP, 0))).isEqualTo(Withholding.Phase.WITHHELD);
    assertThat(w.phase(rule(OTHER, 0))).isEqualTo(Withholding.Phase.WITHHELD);
  }

  @Test
  void theFingerprintIsTheSpec() {
    JsonNode a = Json.MAPPER.createObjectNode().set("spec", Json.MAPPER.createObjectNode());
    JsonNode b = a.deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) b).putObject("status").put("x", 1);
    assertThat(Withholding.fingerprint(a)).isEqualTo(Withholding.fingerprint(b));
    assertThat(Withholding.fingerprint(null)).isNull();
  }

  // ---------------------------------------------------------------------------------------------

  static List<String> routeNames(TranslateResult r) {
    XdsIr ir = r.xdsIr().get("default/eg");
    return ir.http().stream().flatMap(l -> l.routes().stream()).map(HttpRouteIr::name).toList();
  }

  static List<String> listenerNames(TranslateResult r) {
    return r.xdsIr().get("default/eg").http().stream().map(HttpListenerIr::name).toList();
  }

  static JsonNode status(TranslateResult r, String kind, String name) {
    for (ResourceStatus s : r.statuses()) {
      if (s.key().kind().equals(kind) && s.key().name().equals(name)) {
        return s.status();
      }
    }
    throw new AssertionError("no status of " + kind + " " + name);
  }

  static JsonNode parentCondition(TranslateResult r, String route, String type) {
    for (JsonNode c : status(r, "HTTPRoute", route).path("parents").path(0).path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return null;
  }

  static JsonNode listenerCondition(TranslateResult r, String listener, String type) {
    for (JsonNode l : status(r, "Gateway", "eg").path("listeners")) {
      if (listener.equals(l.path("name").asText())) {
        for (JsonNode c : l.path("conditions")) {
          if (type.equals(c.path("type").asText())) {
            return c;
          }
        }
      }
    }
    return null;
  }
}
