package io.eg4j.watcher.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ManifestDirectory#changes}: after watch events only the files they name are read, and what
 * they change, applied to what was delivered before, is what a full scan gives.
 */
class ManifestDirectoryChangesTest {
  private static final ResourceKey SVC_A = new ResourceKey("", "Service", "default", "a");
  private static final ResourceKey SVC_B = new ResourceKey("", "Service", "default", "b");
  private static final ResourceKey NS_DEFAULT = new ResourceKey("", "Namespace", "", "default");
  private static final FileTime OLD = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));

  @TempDir Path dir;

  private static String service(String name, String ns, int port) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: %s
          namespace: %s
        spec:
          ports:
          - port: %d
        """
        .formatted(name, ns, port);
  }

  private static String service(String name, int port) {
    return service(name, "default", port);
  }

  private static String namespace(String name, String label) {
    return """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: %s
          labels:
            team: %s
        """
        .formatted(name, label);
  }

  /** Writes a file with an old stamp, so that only its bytes tell a change. */
  private Path write(String file, String content) throws Exception {
    Path f = dir.resolve(file);
    Files.createDirectories(f.getParent());
    Files.writeString(f, content);
    Files.setLastModifiedTime(f, OLD);
    return f;
  }

  private static int port(ObjectNode o) {
    return o.at("/spec/ports/0/port").asInt();
  }

  @Test
  void anEditReadsOnlyTheFilesTheEventsName() throws Exception {
    Path a = write("a.yaml", service("a", 80));
    write("b.yaml", service("b", 80));
    ManifestDirectory d = new ManifestDirectory(dir);
    d.scan(false);

    // Both change; the events name only a.yaml (b.yaml's event was missed).
    write("a.yaml", service("a", 81));
    write("b.yaml", service("b", 82));
    ManifestDirectory.Changes changes = d.changes(List.of(a));
    assertThat(changes.changed()).isTrue();
    assertThat(changes.objects()).containsOnlyKeys(SVC_A, NS_DEFAULT);
    assertThat(port(changes.objects().get(SVC_A))).isEqualTo(81);
    assertThat(changes.deleted()).isEmpty();

    // b.yaml was not read: the periodic full read finds it, and only it.
    ManifestDirectory.Scan full = d.scan(true);
    assertThat(full.changedKeys()).containsExactly(SVC_B);
    assertThat(port(full.objects().get(SVC_A))).isEqualTo(81);
    assertThat(port(full.objects().get(SVC_B))).isEqualTo(82);
  }

  @Test
  void aMissedEventIsCaughtByTheStampScan() throws Exception {
    write("a.yaml", service("a", 80));
    Path b = write("b.yaml", service("b", 80));
    ManifestDirectory d = new ManifestDirectory(dir);
    d.scan(false);

    // b.yaml grows and no event says so; the next event names a hidden file only.
    Files.writeString(b, service("b", 8080));
    Files.setLastModifiedTime(b, FileTime.from(Instant.now().minusSeconds(5)));
    ManifestDirectory.Changes changes = d.changes(List.of(dir.resolve(".a.yaml.swp")));
    assertThat(changes.changed()).isFalse();
    assertThat(changes.objects()).isEmpty();

    // The scan the source runs when events cannot tell, or once per rescan interval, compares
    // every file's stamp.
    ManifestDirectory.Scan scan = d.scan(false);
    assertThat(scan.changedKeys()).containsExactly(SVC_B);
    assertThat(port(scan.objects().get(SVC_B))).isEqualTo(8080);
  }

  @Test
  void aDeletedFileAmongManyDeletesOnlyItsObjects() throws Exception {
    for (int i = 0; i < 50; i++) {
      write("s" + i + ".yaml", service("s" + i, 80));
    }
    ManifestDirectory d = new ManifestDirectory(dir);
    d.scan(false);

    Path gone = dir.resolve("s17.yaml");
    Files.delete(gone);
    ManifestDirectory.Changes changes = d.changes(Set.of(gone));
    assertThat(changes.deleted()).containsExactly(new ResourceKey("", "Service", "default", "s17"));
    // The namespace the others still use stays (given again, equal to what was delivered).
    assertThat(changes.objects()).containsOnlyKeys(NS_DEFAULT);
    assertThat(changes.complete()).isTrue();
    assertThat(d.scan(false).changedKeys()).isEmpty();
  }

  @Test
  void aKeyTwoFilesDefineFallsBackToTheOtherFile() throws Exception {
    write("a.yaml", service("a", 80) + "---\n" + service("b", 80));
    Path c = write("c.yaml", service("b", 90));
    ManifestDirectory d = new ManifestDirectory(dir);
    assertThat(port(d.scan(false).objects().get(SVC_B))).isEqualTo(90);

    Files.delete(c);
    ManifestDirectory.Changes removed = d.changes(List.of(c));
    assertThat(removed.deleted()).isEmpty();
    assertThat(port(removed.objects().get(SVC_B))).isEqualTo(80);

    write("c.yaml", service("b", 91));
    ManifestDirectory.Changes back = d.changes(List.of(c));
    assertThat(port(back.objects().get(SVC_B))).isEqualTo(91);
  }

  @Test
  void aFileThatStopsParsingKeepsItsObjectsAndANewOneMakesTheStateIncomplete() throws Exception {
    Path a = write("a.yaml", service("a", 80));
    ManifestDirectory d = new ManifestDirectory(dir);
    d.scan(false);

    write("a.yaml", "kind: [unclosed\n");
    ManifestDirectory.Changes broken = d.changes(List.of(a));
    assertThat(broken.newErrors()).hasSize(1);
    assertThat(broken.deleted()).isEmpty();
    assertThat(port(broken.objects().get(SVC_A))).isEqualTo(80);
    assertThat(broken.complete()).isTrue();
    assertThat(d.currentErrors()).containsOnlyKeys(a);

    Path x = write("x.yaml", "kind: [unclosed\n");
    ManifestDirectory.Changes fresh = d.changes(List.of(x));
    assertThat(fresh.newErrors()).hasSize(1);
    assertThat(fresh.complete()).isFalse();

    write("x.yaml", service("x", 80));
    assertThat(d.changes(List.of(x)).complete()).isTrue();
  }

  @Test
  void aNamespaceNoFileDeclaresComesAndGoesWithItsObjects() throws Exception {
    ManifestDirectory d = new ManifestDirectory(dir);
    d.scan(false);
    ResourceKey svc = new ResourceKey("", "Service", "team", "a");
    ResourceKey ns = new ResourceKey("", "Namespace", "", "team");

    Path a = write("a.yaml", service("a", "team", 80));
    ManifestDirectory.Changes added = d.changes(List.of(a));
    assertThat(List.copyOf(added.objects().keySet())).containsExactly(svc, ns);
    assertThat(added.objects().get(ns).path("metadata").has("labels")).isFalse();

    // Declared by a file: that file's Namespace replaces the implicit one; undeclared again, the
    // implicit one is back.
    Path n = write("ns.yaml", namespace("team", "x"));
    ManifestDirectory.Changes declared = d.changes(List.of(n));
    assertThat(declared.objects().get(ns).at("/metadata/labels/team").asText()).isEqualTo("x");
    Files.delete(n);
    ManifestDirectory.Changes undeclared = d.changes(List.of(n));
    assertThat(undeclared.objects().get(ns).path("metadata").has("labels")).isFalse();
    assertThat(undeclared.deleted()).isEmpty();

    Files.delete(a);
    assertThat(d.changes(List.of(a)).deleted()).containsExactlyInAnyOrder(svc, ns);
  }

  @Test
  void pathsThatCannotTellAskForAFullScan() throws Exception {
    write("a.yaml", service("a", 80));
    ManifestDirectory d = new ManifestDirectory(dir);
    d.scan(false);

    Path sub = Files.createDirectories(dir.resolve("sub"));
    write("sub/b.yaml", service("b", 80));
    // A directory (created, or renamed into the tree with files in it).
    assertThat(d.changes(List.of(sub))).isNull();
    // A path that is gone and was no file read before: perhaps a directory that held some.
    assertThat(d.changes(List.of(dir.resolve("gone")))).isNull();
    // Nothing was read by those: the full scan finds sub/b.yaml.
    assertThat(d.scan(false).changedKeys()).containsExactly(SVC_B);

    // A file in a subdirectory is read like any other; a file of another name is not read.
    Path b = write("sub/b.yaml", service("b", 81));
    Path notes = write("notes.txt", "not yaml");
    ManifestDirectory.Changes changes = d.changes(List.of(b, notes));
    assertThat(port(changes.objects().get(SVC_B))).isEqualTo(81);

    // A directory removed with its files: the events name the files (then the directory).
    Files.delete(b);
    Files.delete(sub);
    assertThat(d.changes(List.of(b)).deleted()).containsExactly(SVC_B);
  }

  @Test
  void whileAManifestIsASymbolicLinkEveryEventAsksForAFullScan() throws Exception {
    Path target = Files.createDirectories(dir.resolve("..data")).resolve("a.yaml");
    Files.writeString(target, service("a", 80));
    Files.createSymbolicLink(dir.resolve("a.yaml"), dir.relativize(target));
    Path b = write("b.yaml", service("b", 80));
    ManifestDirectory d = new ManifestDirectory(dir);
    assertThat(d.scan(false).objects()).containsKeys(SVC_A, SVC_B);

    // Kubernetes swaps a ConfigMap volume's hidden data directory: the links' targets change
    // without an event on their own paths.
    assertThat(d.changes(List.of(b))).isNull();
    assertThat(d.changes(List.of(dir.resolve("..data")))).isNull();
  }

  /**
   * Random creates, edits, deletes, moves, broken files, multi-document files, keys two files
   * define and namespaces declared or not: after each step, the changes applied to what was
   * delivered before equal a full scan's objects.
   */
  @Test
  void changesAppliedStepByStepEqualAFullScan() throws Exception {
    Random rnd = new Random(16);
    String[] names = {"a.yaml", "b.yaml", "c.yml", "sub/d.yaml", "sub/e.yaml", "z.yaml"};
    Files.createDirectories(dir.resolve("sub"));
    ManifestDirectory incremental = new ManifestDirectory(dir);
    ManifestDirectory reference = new ManifestDirectory(dir);
    Map<ResourceKey, ObjectNode> delivered = new HashMap<>(incremental.scan(false).objects());
    reference.scan(true);
    int incrementalSteps = 0;
    for (int step = 0; step < 300; step++) {
      Path f = dir.resolve(names[rnd.nextInt(names.length)]);
      List<Path> named = new ArrayList<>(List.of(f));
      int op = rnd.nextInt(10);
      if (op < 2) {
        Files.deleteIfExists(f);
      } else if (op == 2) {
        Files.writeString(f, "kind: [unclosed\n");
      } else if (op == 3 && Files.exists(f)) {
        Path to = dir.resolve(names[rnd.nextInt(names.length)]);
        if (!to.equals(f)) {
          Files.move(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          named.add(to);
        }
      } else {
        StringBuilder doc = new StringBuilder();
        int docs = 1 + rnd.nextInt(3);
        for (int k = 0; k < docs; k++) {
          if (k > 0) {
            doc.append("---\n");
          }
          String ns = rnd.nextBoolean() ? "default" : "team" + rnd.nextInt(2);
          doc.append(
              rnd.nextInt(6) == 0
                  ? namespace("team" + rnd.nextInt(2), "l" + rnd.nextInt(3))
                  : service("s" + rnd.nextInt(5), ns, rnd.nextInt(4)));
        }
        Files.writeString(f, doc.toString());
      }
      ManifestDirectory.Changes changes = incremental.changes(named);
      ManifestDirectory.Scan full = reference.scan(true);
      if (changes == null) {
        // A path that is gone and was never read (a delete of a missing file): the source scans
        // in full, as here.
        assertThat(Files.exists(f)).isFalse();
        ManifestDirectory.Scan scan = incremental.scan(false);
        delivered = new HashMap<>(scan.objects());
        assertThat(scan.complete()).as("step %d", step).isEqualTo(full.complete());
      } else {
        incrementalSteps++;
        delivered.putAll(changes.objects());
        changes.deleted().forEach(delivered::remove);
        assertThat(changes.complete()).as("step %d", step).isEqualTo(full.complete());
        for (ResourceKey k : changes.deleted()) {
          assertThat(changes.objects()).as("step %d", step).doesNotContainKey(k);
        }
      }
      assertThat(delivered).as("step %d", step).isEqualTo(new HashMap<>(full.objects()));
    }
    assertThat(incrementalSteps).isGreaterThan(200);
  }
}
