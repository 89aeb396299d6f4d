package io.eg4j.watcher.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.ResourceKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestDirectoryTest {
  private static final ResourceKey SVC_A = new ResourceKey("", "Service", "default", "a");
  private static final ResourceKey SVC_B = new ResourceKey("", "Service", "default", "b");
  private static final FileTime OLD = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));

  @TempDir Path dir;

  private static String service(String name, int port) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: %s
          namespace: default
        spec:
          ports:
          - port: %d
        """
        .formatted(name, port);
  }

  private void write(String file, String content) throws Exception {
    Path f = dir.resolve(file);
    Files.writeString(f, content);
    Files.setLastModifiedTime(f, OLD);
  }

  @Test
  void changedKeysNameWhatChangedFilesHeldBeforeAndNow() throws Exception {
    write("a.yaml", service("a", 80));
    write("b.yaml", service("b", 80));
    ManifestDirectory d = new ManifestDirectory(dir);

    ManifestDirectory.Scan first = d.scan(false);
    assertThat(first.changedKeys()).contains(SVC_A, SVC_B);

    ManifestDirectory.Scan quiet = d.scan(false);
    assertThat(quiet.changedKeys()).isEmpty();
    assertThat(quiet.objects().get(SVC_A)).isSameAs(first.objects().get(SVC_A));

    write("a.yaml", service("a", 81));
    Files.setLastModifiedTime(dir.resolve("a.yaml"), FileTime.from(Instant.now().minusSeconds(5)));
    ManifestDirectory.Scan edited = d.scan(false);
    assertThat(edited.changedKeys()).containsExactly(SVC_A);
    assertThat(edited.objects().get(SVC_A).at("/spec/ports/0/port").asInt()).isEqualTo(81);
    assertThat(edited.objects().get(SVC_B)).isSameAs(first.objects().get(SVC_B));

    Files.delete(dir.resolve("b.yaml"));
    ManifestDirectory.Scan removed = d.scan(false);
    assertThat(removed.changedKeys()).containsExactly(SVC_B);
    assertThat(removed.objects()).doesNotContainKey(SVC_B);
  }

  @Test
  void anEventScanSkipsFilesWithTheirStampAndAFullScanReadsThem() throws Exception {
    write("a.yaml", service("a", 80));
    ManifestDirectory d = new ManifestDirectory(dir);
    d.scan(false);

    // Same size, same modification time, same inode: an event scan trusts the stamp.
    write("a.yaml", service("a", 81));
    assertThat(d.scan(false).objects().get(SVC_A).at("/spec/ports/0/port").asInt()).isEqualTo(80);
    // The periodic full re-read finds the change.
    ManifestDirectory.Scan full = d.scan(true);
    assertThat(full.objects().get(SVC_A).at("/spec/ports/0/port").asInt()).isEqualTo(81);
    assertThat(full.changedKeys()).containsExactly(SVC_A);
  }
}
