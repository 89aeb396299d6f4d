package io.eg4j.watcher.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.ResourceKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
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
    assertThat(quiet.objects().get(SVC_A)).isEqualTo(first.objects().get(SVC_A));

    write("a.yaml", service("a", 81));
    Files.setLastModifiedTime(dir.resolve("a.yaml"), FileTime.from(Instant.now().minusSeconds(5)));
    ManifestDirectory.Scan edited = d.scan(false);
    assertThat(edited.changedKeys()).containsExactly(SVC_A);
    assertThat(edited.objects().get(SVC_A).at("/spec/ports/0/port").asInt()).isEqualTo(81);
    assertThat(edited.objects().get(SVC_B)).isEqualTo(first.objects().get(SVC_B));

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

  @Test
  void objectsOfFilesNotReadAgainAreTheirLastParseAndABrokenFileKeepsItsLastObjects()
      throws Exception {
    // Only the bytes of a file are kept between scans; its objects are parsed again from them when
    // asked for: in file order, with the later file winning a key both hold, and after a file
    // stops parsing, the objects of its last content that parsed.
    write("a.yaml", service("a", 80) + "---\n" + service("b", 80));
    write("c.yaml", service("b", 90));
    ManifestDirectory d = new ManifestDirectory(dir);
    ManifestDirectory.Scan first = d.scan(false);
    assertThat(first.objects().get(SVC_B).at("/spec/ports/0/port").asInt()).isEqualTo(90);

    ManifestDirectory.Scan quiet = d.scan(false);
    assertThat(quiet.changedKeys()).isEmpty();
    assertThat(quiet.objects()).isEqualTo(first.objects());
    assertThat(List.copyOf(quiet.objects().keySet()))
        .isEqualTo(List.copyOf(first.objects().keySet()));
    assertThat(quiet.objects().get(SVC_B).at("/spec/ports/0/port").asInt()).isEqualTo(90);

    write("a.yaml", "kind: [unclosed\n");
    Files.setLastModifiedTime(dir.resolve("a.yaml"), FileTime.from(Instant.now().minusSeconds(5)));
    ManifestDirectory.Scan broken = d.scan(false);
    assertThat(broken.newErrors()).hasSize(1);
    assertThat(broken.complete()).isTrue();
    assertThat(broken.objects().get(SVC_A).at("/spec/ports/0/port").asInt()).isEqualTo(80);
    assertThat(broken.objects()).isEqualTo(first.objects());
  }
}
