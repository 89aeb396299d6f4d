package io.eg4j.watcher.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.bus.ResourceKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tools write a manifest under a hidden name and rename it into place. A scan that lists the
 * directory while that happens must still list every other file: a file missing from one listing
 * looks deleted, and its objects would be deleted on the bus.
 */
class ManifestDirectoryRenameRaceTest {
  @TempDir Path dir;

  @Test
  void filesRenamedDuringAScanNeverHideTheOthers() throws Exception {
    int stable = 40;
    for (int i = 0; i < stable; i++) {
      Files.writeString(
          dir.resolve("s" + i + ".yaml"),
          "apiVersion: v1\nkind: Service\nmetadata: {name: s" + i + ", namespace: default}\n");
    }
    AtomicBoolean stop = new AtomicBoolean();
    Thread renamer =
        new Thread(
            () -> {
              // Hidden files created and renamed into place (then removed) over and over, so that
              // directory reads keep meeting entries that are gone by the time they are read.
              for (int n = 0; !stop.get() && n < 200_000; n++) {
                try {
                  Path hidden = dir.resolve(".t" + (n % 8) + ".yaml");
                  Files.writeString(hidden, "x: 1\n");
                  Path shown = dir.resolve("t" + (n % 8) + ".tmp");
                  Files.move(hidden, shown, StandardCopyOption.ATOMIC_MOVE);
                  Files.delete(shown);
                } catch (java.io.IOException e) {
                  // A concurrent read may hold nothing; go on.
                }
              }
            });
    renamer.start();
    try {
      ManifestDirectory d = new ManifestDirectory(dir);
      for (int scan = 0; scan < 300; scan++) {
        var objects = d.scan().objects();
        for (int i = 0; i < stable; i++) {
          assertThat(objects)
              .as("scan %d", scan)
              .containsKey(new ResourceKey("", "Service", "default", "s" + i));
        }
      }
    } finally {
      stop.set(true);
      renamer.join();
    }
  }
}
