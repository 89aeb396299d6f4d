package io.eg4j.translator.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.SecretBox;
import io.eg4j.model.bus.SecretValues;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.Translator;
import io.eg4j.translator.core.TranslatorInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The publisher writes a sealed xDS IR's canonical JSON with the unchanged routes copied from the
 * key's last IR ({@link XdsIrJson}). The bytes must be those {@link ContentHash#canonicalJson}
 * writes, whatever was kept: checked on every golden case (first write, then a fresh translation of
 * the same input, which copies every route), and over a sequence of route adds, changes and
 * deletes, where exactly the routes that are new or changed are serialized.
 */
class XdsIrJsonTest {
  private static final Clock CLOCK = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

  static Stream<Path> cases() throws IOException {
    return TranslatorInputs.golden();
  }

  private static Map<String, XdsIr> translate(List<ObjectNode> docs) {
    TranslatorInputs.Input in = TranslatorInputs.split(docs);
    return new Translator(in.config(), CLOCK)
        .translate(ResourceSnapshot.of(in.resources()))
        .xdsIr();
  }

  private static List<HttpRouteIr> routes(XdsIr ir) {
    return ir.http().stream().flatMap(l -> l.routes().stream()).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void goldenIrsAreWrittenAsCanonicalJsonAndAFreshEqualTranslationCopiesEveryRoute(Path input)
      throws IOException {
    XdsIrJson json = new XdsIrJson();
    Map<String, XdsIr> first = translate(ManifestReader.read(input));
    first.forEach(
        (k, ir) -> {
          assertThat(json.write(k, ir)).as(k).isEqualTo(ContentHash.canonicalJson(ir));
          assertThat(json.lastCounts()[0]).as(k + " copied").isZero();
        });
    // New route instances, equal to the last ones: all copied, the same bytes.
    Map<String, XdsIr> again = translate(ManifestReader.read(input));
    again.forEach(
        (k, ir) -> {
          assertThat(json.write(k, ir)).as(k).isEqualTo(ContentHash.canonicalJson(ir));
          assertThat(json.lastCounts()).as(k).containsExactly(routes(ir).size(), 0);
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void secretValuesAreCountedAndTheSealedFormIsCanonicalToo(Path input) throws IOException {
    SecretBox box = new SecretBox("k1", new byte[32]);
    XdsIrJson json = new XdsIrJson();
    for (int round = 0; round < 2; round++) {
      // The second round copies every route, and their sealed forms from the first.
      translate(ManifestReader.read(input))
          .forEach(
              (k, ir) -> {
                json.write(k, ir);
                SecretValues.Seen seen = new SecretValues.Seen();
                ContentHash.canonicalJson(ir, SecretValues.Seen.class, seen);
                assertThat(json.secretValues(k)).as(k).isEqualTo(seen.count());
                assertThat(json.writeSealedValues(k, ir, box))
                    .as(k)
                    .isEqualTo(ContentHash.canonicalJson(ir, SecretBox.class, box));
              });
    }
  }

  @Test
  void onlyNewAndChangedRoutesAreSerializedAndTheBytesStayCanonical(@TempDir Path tmp)
      throws IOException {
    XdsIrJson json = new XdsIrJson();
    // Two listeners: a redirect without a port gets each listener's port, so the same route name
    // has different content on each (neither may be copied for the other).
    Map<Integer, String> routes = new java.util.TreeMap<>();
    for (int r = 0; r < 40; r++) {
      routes.put(r, route(r, "/r" + r, r % 10 == 0));
    }
    XdsIr last = writeChecked(json, tmp, routes, null, 80);

    routes.put(40, route(40, "/r40", false)); // added
    last = writeChecked(json, tmp, routes, last, 2);
    routes.put(7, route(7, "/seven", false)); // changed
    last = writeChecked(json, tmp, routes, last, 2);
    routes.put(20, route(20, "/twenty", false)); // changed, no longer a redirect
    last = writeChecked(json, tmp, routes, last, 2);
    routes.remove(3); // deleted
    last = writeChecked(json, tmp, routes, last, 0);
    routes.put(7, route(7, "/r7", false)); // back to what it was three writes ago
    writeChecked(json, tmp, routes, last, 2);
  }

  @Test
  void aKeyThatIsGoneKeepsNothing(@TempDir Path tmp) throws IOException {
    XdsIrJson json = new XdsIrJson();
    XdsIr ir = ir(tmp, List.of(route(0, "/a", false)));
    json.write("default/gw", ir);
    json.write("other/gw", ir.withKey("other/gw"));
    assertThat(json.keys()).isEqualTo(2);
    json.retain(Set.of("other/gw"));
    assertThat(json.keys()).isEqualTo(1);
    // The gone key starts afresh: nothing to copy.
    json.write("default/gw", ir);
    assertThat(json.lastCounts()[0]).isZero();
  }

  /**
   * Writes the IR of the routes and checks its bytes against {@link ContentHash#canonicalJson};
   * returns the IR. The serialized routes are those equal to no route of the last IR ({@code
   * expectChanged} of them: each route is on two listeners).
   */
  private static XdsIr writeChecked(
      XdsIrJson json, Path tmp, Map<Integer, String> routes, XdsIr last, int expectChanged)
      throws IOException {
    XdsIr ir = ir(tmp, List.copyOf(routes.values()));
    assertThat(routes(ir)).hasSize(2 * routes.size());
    assertThat(json.write(ir.key(), ir)).isEqualTo(ContentHash.canonicalJson(ir));
    if (last == null) {
      assertThat(json.lastCounts()).containsExactly(0, expectChanged);
      return ir;
    }
    Set<HttpRouteIr> before = new HashSet<>();
    for (HttpListenerIr l : last.http()) {
      before.addAll(l.routes());
    }
    int changed = (int) routes(ir).stream().filter(r -> !before.contains(r)).count();
    assertThat(changed).isEqualTo(expectChanged);
    assertThat(json.lastCounts()).containsExactly(routes(ir).size() - changed, changed);
    return ir;
  }

  private static XdsIr ir(Path tmp, List<String> routes) throws IOException {
    StringBuilder b = new StringBuilder(TranslatorInputs.TWO_LISTENER_GATEWAY);
    routes.forEach(r -> b.append("---\n").append(r));
    Path file = tmp.resolve("in.yaml");
    Files.writeString(file, b);
    Map<String, XdsIr> irs = translate(ManifestReader.read(file));
    assertThat(irs).containsOnlyKeys("default/gw");
    return irs.get("default/gw");
  }

  private static String route(int n, String path, boolean redirect) {
    String rule =
        redirect
            ? "    filters:\n    - type: RequestRedirect\n      requestRedirect: {hostname: x.example}\n"
            : "    backendRefs:\n    - name: svc\n      port: 8080\n";
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: route-%d
          namespace: default
        spec:
          parentRefs:
          - name: gw
          hostnames: [host-%d.example.com]
          rules:
          - matches:
            - path: {type: PathPrefix, value: %s}
        %s"""
        .formatted(n, n % 5, path, rule);
  }
}
