package io.eg4j.translator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.yaml.ManifestReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a translation reads of each object first is kept per object instance ({@link ObjectMeta}): a
 * kept meta is what reading the object gives, a replaced object is read again, a deleted one is
 * dropped; and a translator that kept metas from earlier translations translates every golden case,
 * and every case with one route changed or deleted, as a fresh translator does (IR and statuses).
 */
class ObjectMetaTest {
  private static final Path DIR = Path.of("src/test/resources/testdata");
  private static final Clock CLOCK = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

  static Stream<Path> cases() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(p -> p.toString().endsWith(".in.yaml")).sorted().toList().stream();
    }
  }

  private static ObjectNode yaml(String text) {
    try {
      return ManifestReader.read(
              "test.yaml",
              new java.io.ByteArrayInputStream(
                  text.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
          .get(0);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aKeptMetaIsWhatReadingGivesAReplacedObjectIsReadAgainADeletedOneIsDropped() {
    ObjectNode route =
        yaml(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {namespace: apps, name: r, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              parentRefs:
              - {name: eg, sectionName: http, port: 80}
              - {group: gateway.networking.k8s.io, kind: ListenerSet, namespace: other, name: ls}
              - not-an-object
            """);
    ObjectNode service =
        yaml("apiVersion: v1\nkind: Service\nmetadata: {namespace: apps, name: svc}\n");
    ObjectMeta.Cache cache = new ObjectMeta.Cache();

    ObjectMeta first = cache.of(List.of(route, service)).get(route);
    assertThat(first).isEqualTo(ObjectMeta.read(route));
    assertThat(first.namespace()).isEqualTo("apps");
    assertThat(first.creationTimestamp()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(first.parentRefs())
        .extracting(
            ObjectMeta.ParentRef::group,
            ObjectMeta.ParentRef::kind,
            ObjectMeta.ParentRef::namespace,
            ObjectMeta.ParentRef::name,
            ObjectMeta.ParentRef::section,
            ObjectMeta.ParentRef::port)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "gateway.networking.k8s.io", "Gateway", "apps", "eg", "http", 80),
            org.assertj.core.groups.Tuple.tuple(
                "gateway.networking.k8s.io", "ListenerSet", "other", "ls", null, null));
    assertThat(cache.of(List.of(service)).get(service).parentRefs()).isEmpty();

    // The same instance again: the kept meta, not read again.
    Map<com.fasterxml.jackson.databind.JsonNode, ObjectMeta> again =
        cache.of(List.of(route, service));
    assertThat(cache.size()).isEqualTo(2);
    ObjectMeta kept = again.get(route);
    assertThat(cache.of(List.of(route, service)).get(route)).isSameAs(kept);

    // An equal object that is another instance (a changed object, as the resource state replaces
    // it) is read: its own content, whatever the old instance's was.
    ObjectNode changed = route.deepCopy();
    ((ObjectNode) changed.get("metadata")).put("name", "renamed");
    ((ObjectNode) changed.get("spec").get("parentRefs").get(0)).put("port", 8080);
    ObjectMeta read = cache.of(List.of(changed, service)).get(changed);
    assertThat(read).isEqualTo(ObjectMeta.read(changed)).isNotEqualTo(kept);
    assertThat(read.name()).isEqualTo("renamed");
    assertThat(read.parentRefs().get(0).port()).isEqualTo(8080);

    // The old instance is no longer in the snapshot: dropped; it is read afresh if it comes back.
    assertThat(cache.size()).isEqualTo(2);
    var onlyService = cache.of(List.of(service));
    assertThat(onlyService.size()).isEqualTo(1);
    assertThat(onlyService.containsKey(service)).isTrue();
    assertThat(cache.size()).isEqualTo(1);
    assertThat(cache.of(List.of(route, service)).get(route))
        .isNotSameAs(kept)
        .isEqualTo(ObjectMeta.read(route));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aTranslatorWithKeptMetasTranslatesAsAFreshOne(Path input) throws IOException {
    EnvoyGatewayConfig config = EnvoyGatewayConfig.defaults();
    Map<ResourceKey, ObjectNode> objects = new TreeMap<>();
    for (ObjectNode d : ManifestReader.read(input)) {
      if ("EnvoyGateway".equals(d.path("kind").asText())) {
        config = EnvoyGatewayConfig.from(d);
      } else {
        objects.put(ResourceSnapshot.keyOf(d), d);
      }
    }
    Translator kept = new Translator(config, CLOCK);
    same(kept, config, objects);
    same(kept, config, objects);
    // Each route in turn: replaced by a copy whose first parentRef names another section, and then
    // deleted; the others stay the same instances.
    List<ResourceKey> routes =
        objects.keySet().stream().filter(k -> k.kind().endsWith("Route")).toList();
    for (ResourceKey k : routes) {
      ObjectNode original = objects.get(k);
      ObjectNode changed = original.deepCopy();
      if (changed.path("spec").path("parentRefs").path(0) instanceof ObjectNode ref) {
        ref.put("sectionName", "changed");
      }
      ((ObjectNode) changed.get("metadata")).put("creationTimestamp", "1999-01-01T00:00:00Z");
      objects.put(k, changed);
      same(kept, config, objects);
      objects.remove(k);
      same(kept, config, objects);
      objects.put(k, original);
    }
    same(kept, config, objects);
  }

  private static void same(
      Translator kept, EnvoyGatewayConfig config, Map<ResourceKey, ObjectNode> objects) {
    TranslateResult a = kept.translate(ResourceSnapshot.of(objects));
    TranslateResult b = new Translator(config, CLOCK).translate(ResourceSnapshot.of(objects));
    assertThat(a.xdsIr()).isEqualTo(b.xdsIr());
    assertThat(a.infraIr()).isEqualTo(b.infraIr());
    assertThat(a.statuses()).isEqualTo(b.statuses());
  }
}
