package io.eg4j.watcher.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ContentHash;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.model.yaml.ManifestReader.ManifestException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The objects of a directory tree of Kubernetes YAML ({@code *.yaml}, {@code *.yml}; hidden files
 * and directories are ignored). Each {@link #scan()} re-reads only files whose bytes changed.
 *
 * <p>A file that fails to parse keeps the objects it last parsed to, so one typo does not delete a
 * user's Gateway; its error is reported once per change of the file. Not thread-safe: one thread
 * scans.
 */
public final class ManifestDirectory {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ManifestDirectory.class);

  private final Path root;
  private final Map<Path, FileState> files = new HashMap<>();
  private final java.util.Set<ResourceKey> seen = new java.util.HashSet<>();

  /**
   * What one file held when it was last read, and its size, modification time and file key (inode)
   * then.
   */
  private record FileState(
      String bytesHash,
      Map<ResourceKey, ObjectNode> objects,
      ManifestException error,
      FileStamp stamp) {}

  /**
   * What {@link #scan(boolean)} compares to skip reading a file; null when unknown or not to be
   * trusted.
   */
  private record FileStamp(long size, long modifiedNanos, Object fileKey) {
    /**
     * File systems stamp modification times with a coarse clock (a few milliseconds): a file
     * rewritten in place, with the same size, within the tick of the read would keep its stamp. A
     * stamp that recent is not trusted, so that file is read again on the next scan.
     */
    private static final long UNTRUSTED_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    static FileStamp of(Path file) {
      try {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        long modified = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        long now = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
        if (now - modified < UNTRUSTED_NANOS) {
          return null;
        }
        return new FileStamp(a.size(), modified, a.fileKey());
      } catch (IOException e) {
        return null;
      }
    }
  }

  /**
   * The result of a scan.
   *
   * @param objects every object of every file, by key (for a key in several files the file that
   *     sorts last wins)
   * @param complete false while some file has never parsed, so absent keys may still be in it
   * @param newErrors errors of files that changed since the last scan and failed to parse
   * @param changed whether any file was added, changed or removed since the last scan
   * @param seen every key some file of this directory held when it parsed, since this object was
   *     made: a key in it that is absent from {@code objects} was deleted from a file we read, so
   *     its deletion is certain even while another file has never parsed
   * @param changedKeys the keys of every file added, changed or removed since the last scan (what
   *     the changed files held before and hold now): any other key's object is the very one the
   *     previous scan returned, unless it is a namespace added implicitly
   */
  public record Scan(
      Map<ResourceKey, ObjectNode> objects,
      boolean complete,
      List<ManifestException> newErrors,
      boolean changed,
      java.util.Set<ResourceKey> seen,
      java.util.Set<ResourceKey> changedKeys) {}

  /** A directory; it need not exist yet. */
  public ManifestDirectory(Path root) {
    this.root = root;
  }

  /** The directory. */
  public Path root() {
    return root;
  }

  /** Whether a path is a manifest file name this source reads. */
  public static boolean isManifest(Path file) {
    String name = file.getFileName().toString();
    return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
  }

  /**
   * Reads the directory, every file.
   *
   * @return the objects and what went wrong
   * @throws UncheckedIOException when the directory cannot be listed
   */
  public Scan scan() {
    return scan(true);
  }

  /**
   * Reads the directory.
   *
   * @param readAll read every file; when false, a file whose size, modification time and file key
   *     (inode) are those it had when it was last read is not read again (a watch event's rescan of
   *     a big tree then reads only what changed)
   * @return the objects and what went wrong
   * @throws UncheckedIOException when the directory cannot be listed
   */
  public Scan scan(boolean readAll) {
    TreeSet<Path> present = list();
    java.util.Set<ResourceKey> changedKeys = new java.util.HashSet<>();
    for (var e : files.entrySet()) {
      if (!present.contains(e.getKey()) && e.getValue().objects() != null) {
        changedKeys.addAll(e.getValue().objects().keySet());
      }
    }
    boolean changed = files.keySet().retainAll(present);
    List<ManifestException> errors = new ArrayList<>();
    for (Path file : present) {
      FileState prev = files.get(file);
      // Taken before the read: a write after it changes the stamp, so the next scan reads again.
      FileStamp stamp = FileStamp.of(file);
      if (!readAll && prev != null && stamp != null && stamp.equals(prev.stamp())) {
        continue;
      }
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (NoSuchFileException e) {
        FileState gone = files.remove(file);
        if (gone != null) {
          changed = true;
          if (gone.objects() != null) {
            changedKeys.addAll(gone.objects().keySet());
          }
        }
        continue;
      } catch (IOException e) {
        // Unreadable now (permissions, a half-written rename): keep what we had.
        continue;
      }
      String hash = ContentHash.sha256(bytes);
      if (prev != null && prev.bytesHash().equals(hash)) {
        if (!Objects.equals(stamp, prev.stamp())) {
          files.put(file, new FileState(prev.bytesHash(), prev.objects(), prev.error(), stamp));
        }
        continue;
      }
      changed = true;
      if (prev != null && prev.objects() != null) {
        changedKeys.addAll(prev.objects().keySet());
      }
      try {
        Map<ResourceKey, ObjectNode> parsed = parse(file, bytes);
        changedKeys.addAll(parsed.keySet());
        seen.addAll(parsed.keySet());
        files.put(file, new FileState(hash, parsed, null, stamp));
      } catch (ManifestException e) {
        errors.add(e);
        files.put(file, new FileState(hash, prev == null ? null : prev.objects(), e, stamp));
      }
    }
    Map<ResourceKey, ObjectNode> all = new LinkedHashMap<>();
    boolean complete = true;
    for (var e : new TreeMap<>(files).entrySet()) {
      FileState s = e.getValue();
      if (s.objects() == null) {
        complete = false;
        continue;
      }
      all.putAll(s.objects());
    }
    addImplicitNamespaces(all);
    return new Scan(
        all, complete, errors, changed, java.util.Set.copyOf(seen), Set.copyOf(changedKeys));
  }

  /**
   * In a cluster, an object's namespace always exists (the API server refuses objects in a missing
   * one); a manifest directory need not declare it. Each namespace that objects use and no file
   * declares is added as a Namespace without labels, so that listeners that allow routes from the
   * same namespace, or from all, admit them as they would in a cluster.
   */
  private static void addImplicitNamespaces(Map<ResourceKey, ObjectNode> all) {
    java.util.Set<String> declared = new java.util.HashSet<>();
    java.util.Set<String> used = new java.util.TreeSet<>();
    for (ResourceKey k : all.keySet()) {
      if (k.group().isEmpty() && k.kind().equals("Namespace")) {
        declared.add(k.name());
      } else if (!k.namespace().isEmpty()) {
        used.add(k.namespace());
      }
    }
    for (String ns : used) {
      if (!declared.contains(ns)) {
        ObjectNode o = io.eg4j.model.bus.Json.MAPPER.createObjectNode();
        o.put("apiVersion", "v1");
        o.put("kind", "Namespace");
        o.putObject("metadata").put("name", ns);
        all.put(new ResourceKey("", "Namespace", "", ns), o);
      }
    }
  }

  /** The errors of files that currently fail to parse, by file. */
  public Map<Path, ManifestException> currentErrors() {
    Map<Path, ManifestException> out = new TreeMap<>();
    files.forEach(
        (path, state) -> {
          if (state.error() != null) {
            out.put(path, state.error());
          }
        });
    return out;
  }

  private Map<ResourceKey, ObjectNode> parse(Path file, byte[] bytes) throws ManifestException {
    List<ObjectNode> docs;
    try {
      docs = ManifestReader.read(file.toString(), new ByteArrayInputStream(bytes));
    } catch (ManifestException e) {
      throw e;
    } catch (IOException e) {
      throw new ManifestException(file.toString(), 0, e.getMessage(), e);
    }
    Map<ResourceKey, ObjectNode> out = new LinkedHashMap<>();
    for (ObjectNode doc : docs) {
      if (doc.path("metadata").path("name").asText("").isEmpty()) {
        throw new ManifestException(
            file.toString(),
            0,
            "a " + doc.path("kind").asText() + " document needs metadata.name",
            null);
      }
      ResourceKey key = ManifestObjects.normalize(doc);
      schemaCheck(file, key, doc);
      if (!io.eg4j.model.yaml.ApiVersions.reads(doc.path("apiVersion").asText(), key.kind())) {
        LOG.warn(
            "{}: {} {} is not a kind eg4j reads; it is ignored",
            file,
            doc.path("apiVersion").asText(),
            key.kind());
      }
      out.put(key, doc);
    }
    return out;
  }

  /**
   * What the API server would say of this object, from its CRD's schema: an object it would refuse
   * (a wrong type, a value outside an enum or a bound) and fields it would drop (a misspelt field
   * name does nothing otherwise). Said once per change of the file, as warnings: the object still
   * goes to the translator, whose statuses say what it makes of the values.
   */
  private static void schemaCheck(Path file, ResourceKey key, ObjectNode doc) {
    io.eg4j.model.yaml.CrdSchemas.Result r;
    try {
      r = io.eg4j.model.yaml.CrdSchemas.load().validate(doc);
    } catch (RuntimeException e) {
      LOG.debug("{}: schema check of {} failed: {}", file, key, e.toString());
      return;
    }
    String what =
        key.kind()
            + " "
            + (key.namespace() == null || key.namespace().isEmpty() ? "" : key.namespace() + "/")
            + key.name();
    if (!r.valid()) {
      LOG.warn(
          "{}: {} does not match its CRD schema; a Kubernetes API server would refuse it: {}",
          file,
          what,
          String.join("; ", r.errors()));
    }
    if (!r.warnings().isEmpty()) {
      LOG.warn(
          "{}: {} has fields its CRD does not define, which a Kubernetes API server would drop"
              + " (a misspelt name?): {}",
          file,
          what,
          String.join("; ", r.warnings()));
    }
  }

  private TreeSet<Path> list() {
    TreeSet<Path> out = new TreeSet<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.filter(p -> !hiddenBelowRoot(p))
          .filter(Files::isRegularFile)
          .filter(ManifestDirectory::isManifest)
          .forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    } catch (UncheckedIOException e) {
      // A directory vanished during the walk; the next scan sees the new state.
      if (!(e.getCause() instanceof NoSuchFileException)) {
        throw e;
      }
    }
    return out;
  }

  private boolean hiddenBelowRoot(Path p) {
    Path rel = root.relativize(p);
    for (Path part : rel) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }
}
