package io.eg4j.statuswriter.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStatusSinkTest {
  @TempDir Path dir;

  @Test
  void namesFilesByNamespaceKindAndNameAndKeepsThemInside() {
    FileStatusSink sink = new FileStatusSink(dir, (k, r) -> {});
    assertThat(sink.fileOf(ResourceKey.parse("gateway.networking.k8s.io/HTTPRoute/apps/web")))
        .isEqualTo(dir.resolve("apps/HTTPRoute-web.yaml"));
    assertThat(sink.fileOf(ResourceKey.parse("gateway.networking.k8s.io/GatewayClass//eg")))
        .isEqualTo(dir.resolve("_cluster/GatewayClass-eg.yaml"));
    assertThat(sink.fileOf(ResourceKey.parse("/Service/../..")).normalize().startsWith(dir))
        .isTrue();
  }

  @Test
  void skipsWhenOnlyTransitionTimesDiffer() throws Exception {
    List<String> results = new ArrayList<>();
    FileStatusSink sink = new FileStatusSink(dir, (k, r) -> results.add(r));
    ResourceKey key = ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/eg");
    String tpl =
        "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"%s\",\"reason\":\"Accepted\","
            + "\"lastTransitionTime\":\"%s\"}]}";
    sink.accept(
        new ResourceStatus(
            key,
            "gateway.networking.k8s.io/v1",
            1,
            Json.MAPPER.readTree(tpl.formatted("True", "t1"))));
    sink.accept(
        new ResourceStatus(
            key,
            "gateway.networking.k8s.io/v1",
            1,
            Json.MAPPER.readTree(tpl.formatted("True", "t2"))));
    sink.accept(
        new ResourceStatus(
            key,
            "gateway.networking.k8s.io/v1",
            1,
            Json.MAPPER.readTree(tpl.formatted("False", "t3"))));
    sink.remove(key);
    sink.remove(key);
    assertThat(results).containsExactly("written", "skipped", "written", "written");
    assertThat(FileStatusSink.summary(Json.MAPPER.readTree(tpl.formatted("True", "t"))))
        .isEqualTo("Accepted=True Accepted");
  }
}
