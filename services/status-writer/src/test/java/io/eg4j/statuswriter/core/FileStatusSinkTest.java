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

  @Test
  void aGatewayTheTranslatorDidNotRejectIsAcceptedAsInKubernetesMode() throws Exception {
    FileStatusSink sink = new FileStatusSink(dir, (k, r) -> {});
    ResourceKey eg = ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/eg");
    sink.accept(
        new ResourceStatus(
            eg,
            "gateway.networking.k8s.io/v1",
            2,
            Json.MAPPER.readTree("{\"listeners\":[{\"name\":\"http\",\"attachedRoutes\":1}]}")));
    var written = Json.YAML.readTree(java.nio.file.Files.readString(sink.fileOf(eg)));
    var accepted = written.path("status").path("conditions").get(0);
    assertThat(accepted.path("type").asText()).isEqualTo("Accepted");
    assertThat(accepted.path("status").asText()).isEqualTo("True");
    assertThat(accepted.path("message").asText()).isEqualTo(GatewayAccepted.MESSAGE);
    assertThat(accepted.path("observedGeneration").asLong()).isEqualTo(2);
    assertThat(accepted.path("lastTransitionTime").asText()).isNotEmpty();

    // A rejection from the translator is kept as it is.
    ResourceKey other = ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/bad");
    sink.accept(
        new ResourceStatus(
            other,
            "gateway.networking.k8s.io/v1",
            1,
            Json.MAPPER.readTree(
                "{\"conditions\":[{\"type\":\"Accepted\",\"status\":\"False\","
                    + "\"reason\":\"InvalidParameters\"}]}")));
    var rejected = Json.YAML.readTree(java.nio.file.Files.readString(sink.fileOf(other)));
    assertThat(rejected.path("status").path("conditions")).hasSize(1);
    assertThat(rejected.path("status").path("conditions").get(0).path("status").asText())
        .isEqualTo("False");
  }

  @Test
  void listenersThatAreNotValidMakeTheGatewayListenersNotValid() throws Exception {
    FileStatusSink sink = new FileStatusSink(dir, (k, r) -> {});
    String ok = "{\"name\":\"http\",\"conditions\":[{\"type\":\"Accepted\",\"status\":\"True\"}]}";
    String bad =
        "{\"name\":\"invalid\",\"conditions\":[{\"type\":\"Accepted\",\"status\":\"False\","
            + "\"reason\":\"UnsupportedProtocol\"}]}";
    ResourceKey some = ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/some");
    sink.accept(
        new ResourceStatus(
            some,
            "gateway.networking.k8s.io/v1",
            1,
            Json.MAPPER.readTree("{\"listeners\":[" + ok + "," + bad + "]}")));
    var c = Json.YAML.readTree(java.nio.file.Files.readString(sink.fileOf(some)));
    c = c.path("status").path("conditions").get(0);
    assertThat(c.path("status").asText() + " " + c.path("reason").asText())
        .isEqualTo("True ListenersNotValid");

    ResourceKey none = ResourceKey.parse("gateway.networking.k8s.io/Gateway/default/none");
    sink.accept(
        new ResourceStatus(
            none,
            "gateway.networking.k8s.io/v1",
            1,
            Json.MAPPER.readTree("{\"listeners\":[" + bad + "]}")));
    c = Json.YAML.readTree(java.nio.file.Files.readString(sink.fileOf(none)));
    c = c.path("status").path("conditions").get(0);
    assertThat(c.path("status").asText() + " " + c.path("reason").asText())
        .isEqualTo("False ListenersNotValid");
  }

  @Test
  void aReplayPrunesTheFilesOfStatusesTheBusNoLongerHolds() throws Exception {
    FileStatusSink before = new FileStatusSink(dir, (k, r) -> {});
    ResourceKey kept = ResourceKey.parse("gateway.networking.k8s.io/HTTPRoute/default/kept");
    ResourceKey gone = ResourceKey.parse("gateway.networking.k8s.io/HTTPRoute/default/gone");
    ResourceKey removed = ResourceKey.parse("gateway.networking.k8s.io/GatewayClass//old");
    var status = Json.MAPPER.readTree("{\"conditions\":[]}");
    for (ResourceKey k : List.of(kept, gone, removed)) {
      before.accept(new ResourceStatus(k, "gateway.networking.k8s.io/v1", 1, status));
    }
    java.nio.file.Files.writeString(dir.resolve("notes.txt"), "not a status");

    // A restarted writer replays the bus: it holds `kept` and a tombstone for `removed`; `gone`
    // was compacted away while the writer was down.
    FileStatusSink after = new FileStatusSink(dir, (k, r) -> {});
    after.replayStarted();
    after.accept(new ResourceStatus(kept, "gateway.networking.k8s.io/v1", 1, status));
    assertThat(after.fileOf(gone)).exists();
    after.replayFinished();

    assertThat(after.fileOf(kept)).exists();
    assertThat(after.fileOf(gone)).doesNotExist();
    assertThat(after.fileOf(removed)).doesNotExist();
    assertThat(dir.resolve("notes.txt")).exists();
  }
}
