package io.eg4j.translator.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.ir.HttpListenerIr;
import io.eg4j.model.ir.HttpRouteIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import io.eg4j.translator.core.TranslatorInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ResultReuse}: a translation with the previous one's instances in place of its unchanged
 * statuses and routes is the same translation (the same statuses as the publisher compares them,
 * equal IR), and only what changed is new.
 */
class ResultReuseTest {
  static Stream<Path> cases() throws IOException {
    return TranslatorInputs.golden();
  }

  private static TranslateResult translate(List<ObjectNode> docs, long epochSecond) {
    TranslatorInputs.Input in = TranslatorInputs.split(docs);
    Clock clock = Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
    return new Translator(in.config(), clock).translate(ResourceSnapshot.of(in.resources()));
  }

  private static List<HttpRouteIr> routes(TranslateResult r) {
    List<HttpRouteIr> out = new ArrayList<>();
    r.xdsIr().values().forEach(ir -> ir.http().forEach(l -> out.addAll(l.routes())));
    return out;
  }

  private static Set<Object> identities(List<?> objects) {
    Set<Object> s = Collections.newSetFromMap(new IdentityHashMap<>());
    s.addAll(objects);
    return s;
  }

  /**
   * Every golden case translated twice, an hour apart (so every transition time differs): the
   * reused result holds only the first translation's statuses and routes, and says what the second
   * says.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void anUnchangedInputKeepsEveryStatusAndRouteInstance(Path input) throws IOException {
    TranslateResult first = translate(ManifestReader.read(input), 0);
    TranslateResult second = translate(ManifestReader.read(input), 3600);
    TranslateResult reused = ResultReuse.reuse(first, second);

    assertThat(reused.statuses()).hasSameSizeAs(second.statuses());
    Map<Object, ResourceStatus> firstByKey = new java.util.HashMap<>();
    first.statuses().forEach(s -> firstByKey.put(s.key(), s));
    int kept = 0;
    for (int i = 0; i < second.statuses().size(); i++) {
      ResourceStatus s = reused.statuses().get(i);
      ResourceStatus fresh = second.statuses().get(i);
      ResourceStatus old = firstByKey.get(fresh.key());
      assertThat(OutputPublisher.sameContent(s, fresh)).as(fresh.key().toString()).isTrue();
      // The first translation's instance whenever it says the same.
      boolean same = old != null && OutputPublisher.sameContent(old, fresh);
      assertThat(s).as(fresh.key().toString()).isSameAs(same ? old : fresh);
      kept += same ? 1 : 0;
    }
    assertThat(kept).isEqualTo(second.statuses().size());
    assertThat(reused.xdsIr()).isEqualTo(second.xdsIr());
    assertThat(identities(routes(first))).containsAll(routes(reused));
    assertThat(reused.infraIr()).isSameAs(second.infraIr());
    assertThat(ResultReuse.reuse(null, second)).isSameAs(second);
  }

  @Test
  void onlyTheChangedRouteAndItsStatusAreNew(@TempDir Path tmp) throws IOException {
    Map<Integer, String> paths = new java.util.TreeMap<>();
    for (int r = 0; r < 6; r++) {
      paths.put(r, "/r" + r);
    }
    TranslateResult first = translate(docs(tmp, paths, 1), 0);
    paths.put(2, "/two");
    TranslateResult second = translate(docs(tmp, paths, 2), 60);
    TranslateResult reused = ResultReuse.reuse(first, second);

    assertThat(reused.xdsIr()).isEqualTo(second.xdsIr());
    assertThat(routes(reused)).hasSize(12);
    Set<Object> before = identities(routes(first));
    for (HttpRouteIr r : routes(reused)) {
      // Two listeners: route-2's route on each is new, every other route is the first one's.
      assertThat(before.contains(r)).as(r.name()).isEqualTo(!r.name().contains("route-2"));
    }
    assertThat(routes(reused).stream().filter(r -> r.name().contains("route-2"))).hasSize(2);
    Set<Object> statusesBefore = identities(first.statuses());
    for (ResourceStatus s : reused.statuses()) {
      // route-2's generation moved, so its status is new; the Gateway's and the others' are kept.
      assertThat(statusesBefore.contains(s))
          .as(s.key().toString())
          .isEqualTo(!s.key().name().equals("route-2"));
    }
    for (XdsIr ir : reused.xdsIr().values()) {
      for (HttpListenerIr l : ir.http()) {
        assertThat(l.routes()).hasSize(6);
      }
    }
  }

  private static List<ObjectNode> docs(Path tmp, Map<Integer, String> paths, int generation)
      throws IOException {
    StringBuilder b = new StringBuilder(TranslatorInputs.TWO_LISTENER_GATEWAY);
    paths.forEach(
        (n, path) ->
            b.append("---\n")
                .append(
                    """
                    apiVersion: gateway.networking.k8s.io/v1
                    kind: HTTPRoute
                    metadata:
                      name: route-%d
                      namespace: default
                      generation: %d
                    spec:
                      parentRefs:
                      - name: gw
                      rules:
                      - matches:
                        - path: {type: PathPrefix, value: %s}
                        backendRefs:
                        - name: svc
                          port: 8080
                    """
                        .formatted(n, path.startsWith("/r") ? 1 : generation, path)));
    Path file = tmp.resolve("in-" + generation + ".yaml");
    Files.writeString(file, b);
    return ManifestReader.read(file);
  }
}
