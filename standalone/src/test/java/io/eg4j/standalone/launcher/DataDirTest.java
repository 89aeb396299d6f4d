package io.eg4j.standalone.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirTest {
  @TempDir Path tmp;

  @Test
  void prepareCreatesTheLayoutAndWipeRemovesIt() throws IOException {
    DataDir d = new DataDir(tmp.resolve("data")).prepare();
    assertThat(d.kafka()).isDirectory();
    assertThat(d.status()).isDirectory();
    assertThat(d.envoy()).isDirectory();
    assertThat(d.certs()).isDirectory();
    assertThat(d.root().resolve(DataDir.MARKER)).exists();
    Files.writeString(d.status().resolve("x.yaml"), "x");
    assertThat(d.wipe()).isTrue();
    assertThat(d.root()).doesNotExist();
    assertThat(d.wipe()).isFalse();
  }

  @Test
  void aForeignDirectoryIsNeverWipedNorUsed() throws IOException {
    Path foreign = tmp.resolve("home");
    Files.createDirectories(foreign);
    Files.writeString(foreign.resolve("precious.txt"), "keep me");
    DataDir d = new DataDir(foreign);
    assertThatThrownBy(d::wipe).hasMessageContaining("refusing");
    assertThatThrownBy(d::prepare).hasMessageContaining("not created by eg4j");
    assertThat(foreign.resolve("precious.txt")).hasContent("keep me");
  }

  @Test
  void anEmptyDirectoryIsAdopted() throws IOException {
    Path empty = tmp.resolve("empty");
    Files.createDirectories(empty);
    new DataDir(empty).prepare();
    assertThat(empty.resolve(DataDir.MARKER)).exists();
  }

  @Test
  void aNewDirectoryWithOnlyTheLaunchersLogIsAdopted() throws IOException {
    // eg4j run --kubeconfig logs while it checks the cluster, before it takes the lock.
    Path fresh = tmp.resolve("fresh");
    Files.createDirectories(fresh.resolve("logs"));
    Files.writeString(fresh.resolve("logs/eg4j.log"), "checking the cluster\n");
    try (DataDir.Lock held = new DataDir(fresh).lock()) {
      new DataDir(fresh).prepare();
    }
    assertThat(fresh.resolve(DataDir.MARKER)).exists();
    // Anything else in logs/ is not ours.
    Path other = tmp.resolve("other");
    Files.createDirectories(other.resolve("logs"));
    Files.writeString(other.resolve("logs/app.log"), "someone else's\n");
    assertThatThrownBy(() -> new DataDir(other).prepare())
        .hasMessageContaining("not created by eg4j");
  }

  @Test
  void oneInstancePerDirectory() throws IOException {
    DataDir d = new DataDir(tmp.resolve("data"));
    try (DataDir.Lock held = d.lock()) {
      d.prepare();
      assertThat(d.root().resolve(DataDir.LOCK)).hasContent(ProcessHandle.current().pid() + "\n");
      assertThatThrownBy(() -> new DataDir(tmp.resolve("data")).lock())
          .hasMessageContaining("in use by another eg4j (pid " + ProcessHandle.current().pid())
          .hasMessageContaining("--data-dir");
      // --clean wipes everything but the lock it runs under.
      Files.writeString(d.status().resolve("x.yaml"), "x");
      assertThat(d.wipe()).isTrue();
      assertThat(d.root()).isDirectory();
      try (var s = Files.list(d.root())) {
        assertThat(s.map(f -> f.getFileName().toString())).containsExactly(DataDir.LOCK);
      }
      d.prepare();
    }
    // Released: the next instance gets it.
    new DataDir(tmp.resolve("data")).lock().close();
  }

  @Test
  void aForeignDirectoryIsNotLockedEither() throws IOException {
    Path foreign = tmp.resolve("home");
    Files.createDirectories(foreign);
    Files.writeString(foreign.resolve("precious.txt"), "keep me");
    assertThatThrownBy(() -> new DataDir(foreign).lock())
        .hasMessageContaining("not created by eg4j");
    assertThat(foreign.resolve(DataDir.LOCK)).doesNotExist();
  }
}
