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

/**
 * The objects of a directory tree of Kubernetes YAML ({@code *.yaml}, {@code *.yml}; hidden files
 * and directories are ignored). Each {@link #scan()} re-reads only files whose bytes changed; after
 * watch events, {@link #changes} reads only the files they name and tells what those change, at the
 * cost of those files, not of the tree.
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
  // What {@link #changes} needs to tell what a few changed files change, without a walk over the
  // others; kept up to date with `files` by putFile. Per key: the file that holds it (a Path), or
  // the files (a TreeSet<Path>) when several do (the one that sorts last wins).
  private final Map<ResourceKey, Object> holders = new HashMap<>();
  // Per namespace: how many keys of `holders` are in it (a namespace used and not declared is
  // added implicitly).
  private final Map<String, Integer> namespaceUse = new HashMap<>();
  // Files that never parsed (no keys): while there is one, the state is incomplete.
  private int neverParsed;
  // Manifest files that are symbolic links, as the last listing found them: their target may
  // change without an event on their path, so while there is one, every event reads the stamps of
  // every file (a full scan), as Kubernetes' ConfigMap volumes need.
  private java.util.Set<Path> symlinks = java.util.Set.of();

  /**
   * What one file held when it was last read, and its size, modification time and file key (inode)
   * then.
   *
   * <p>Memory (issue #16): a file's parsed objects are not kept between scans, only the bytes they
   * parsed from and their keys. The translator keeps its own copy of every object; a second tree of
   * every object here was tens of megabytes at thousands of routes, for objects that the sink asks
   * for again only when a send failed. {@link Scan#objects()} parses such a file again, from these
   * bytes, when one of its objects is asked for.
   *
   * @param bytesHash the hash of the file's bytes when last read
   * @param parsed the bytes of the last content that parsed (after an error, the one before it)
   * @param keys the keys {@code parsed} holds, in file order; null when the file never parsed
   */
  private record FileState(
      String bytesHash,
      byte[] parsed,
      Set<ResourceKey> keys,
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
   *     the changed files held before and hold now): any other key's object is equal to the one the
   *     previous scan returned, unless it is a namespace added implicitly
   */
  public record Scan(
      Map<ResourceKey, ObjectNode> objects,
      boolean complete,
      List<ManifestException> newErrors,
      boolean changed,
      java.util.Set<ResourceKey> seen,
      java.util.Set<ResourceKey> changedKeys) {}

  /**
   * What {@link #changes} found: the objects of the keys that changed, the keys deleted.
   *
   * @param objects the current object of each key the changed files held before or hold now that
   *     still exists (and of each namespace they use that no file declares), in the order of {@link
   *     Scan#objects()}; an object equal to the one delivered before may be among them
   * @param deleted the keys that no longer exist: every one was in a file that was read, so its
   *     deletion is certain even while the state is incomplete
   * @param complete false while some file has never parsed
   * @param newErrors errors of the changed files that failed to parse
   * @param changed whether any file was added, changed or removed
   */
  public record Changes(
      Map<ResourceKey, ObjectNode> objects,
      java.util.Set<ResourceKey> deleted,
      boolean complete,
      List<ManifestException> newErrors,
      boolean changed) {}

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
    java.util.Set<Path> links = new java.util.HashSet<>();
    TreeSet<Path> present = list(links);
    symlinks = links;
    java.util.Set<ResourceKey> changedKeys = new java.util.HashSet<>();
    boolean changed = false;
    for (Path file : new ArrayList<>(files.keySet())) {
      if (!present.contains(file)) {
        changed |= remove(file, changedKeys);
      }
    }
    List<ManifestException> errors = new ArrayList<>();
    // The objects of the files read by this scan; the others are parsed again only when asked for.
    Map<Path, Map<ResourceKey, ObjectNode>> fresh = new HashMap<>();
    for (Path file : present) {
      FileState prev = files.get(file);
      // Taken before the read: a write after it changes the stamp, so the next scan reads again.
      FileStamp stamp = FileStamp.of(file);
      if (!readAll && prev != null && stamp != null && stamp.equals(prev.stamp())) {
        continue;
      }
      changed |= read(file, stamp, changedKeys, errors, fresh);
    }
    LazyObjects all = new LazyObjects(fresh);
    boolean complete = true;
    for (var e : new TreeMap<>(files).entrySet()) {
      FileState s = e.getValue();
      if (s.keys() == null) {
        complete = false;
        continue;
      }
      all.addFile(e.getKey(), s);
    }
    addImplicitNamespaces(all);
    return new Scan(
        all, complete, errors, changed, java.util.Set.copyOf(seen), Set.copyOf(changedKeys));
  }

  /**
   * Reads only the given paths, those that watch events named, and tells what changed: the cost is
   * that of the changed files, not of the tree. A path that is hidden (below the root) or is a file
   * of another name is skipped; a manifest file is read, and one that is gone is removed.
   *
   * @param paths the paths the events named (files or directories, present or gone)
   * @return what changed; null, with nothing read or changed, when the paths cannot tell: one is a
   *     directory or a symbolic link, one is gone and was not a file read before (it may have been
   *     a directory), or some manifest file is a symbolic link. Scan in full then.
   */
  public Changes changes(java.util.Collection<Path> paths) {
    if (!symlinks.isEmpty()) {
      return null;
    }
    List<Path> toRead = new ArrayList<>();
    List<Path> toRemove = new ArrayList<>();
    for (Path p : new TreeSet<>(paths)) {
      if (!p.startsWith(root) || p.equals(root)) {
        return null;
      }
      if (hiddenBelowRoot(p)) {
        continue;
      }
      BasicFileAttributes a;
      try {
        a =
            Files.readAttributes(
                p, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        if (!files.containsKey(p)) {
          return null;
        }
        toRemove.add(p);
        continue;
      } catch (IOException e) {
        return null;
      }
      if (!a.isRegularFile()) {
        return null;
      }
      if (isManifest(p)) {
        toRead.add(p);
      }
    }
    java.util.Set<ResourceKey> changedKeys = new java.util.HashSet<>();
    boolean changed = false;
    for (Path file : toRemove) {
      changed |= remove(file, changedKeys);
    }
    List<ManifestException> errors = new ArrayList<>();
    Map<Path, Map<ResourceKey, ObjectNode>> fresh = new HashMap<>();
    for (Path file : toRead) {
      changed |= read(file, FileStamp.of(file), changedKeys, errors, fresh);
    }
    // The objects of the changed keys that exist, in file order (a key where its first file has
    // it, as in a scan's objects), then the namespaces they use that no file declares.
    java.util.Set<String> namespaces = new TreeSet<>();
    java.util.Set<ResourceKey> deleted = new java.util.LinkedHashSet<>();
    TreeMap<Path, java.util.Set<ResourceKey>> byFile = new TreeMap<>();
    for (ResourceKey k : changedKeys) {
      if (isNamespace(k)) {
        namespaces.add(k.name());
      } else if (!k.namespace().isEmpty()) {
        namespaces.add(k.namespace());
      }
      Object h = holders.get(k);
      if (h == null) {
        if (!isNamespace(k)) {
          deleted.add(k);
        }
        continue;
      }
      Path first = h instanceof Path one ? one : (Path) ((TreeSet<?>) h).first();
      byFile.computeIfAbsent(first, f -> new java.util.HashSet<>()).add(k);
    }
    Map<ResourceKey, ObjectNode> objects = new LinkedHashMap<>();
    for (var e : byFile.entrySet()) {
      for (ResourceKey k : files.get(e.getKey()).keys()) {
        if (e.getValue().contains(k)) {
          objects.put(k, objectOf(k, fresh));
        }
      }
    }
    for (String ns : namespaces) {
      ResourceKey k = namespaceKey(ns);
      if (holders.containsKey(k)) {
        continue; // declared: in `objects` when its file changed
      }
      if (namespaceUse.getOrDefault(ns, 0) > 0) {
        objects.put(k, implicitNamespace(ns));
      } else {
        deleted.add(k);
      }
    }
    return new Changes(objects, deleted, neverParsed == 0, errors, changed);
  }

  /** The object the winning file of a held key has for it now. */
  private ObjectNode objectOf(ResourceKey key, Map<Path, Map<ResourceKey, ObjectNode>> fresh) {
    Object h = holders.get(key);
    Path winner = h instanceof Path one ? one : (Path) ((TreeSet<?>) h).last();
    return fresh.computeIfAbsent(winner, f -> parseAgain(f, files.get(f))).get(key);
  }

  /** The objects of a file that parsed, from the bytes kept in its state (no warnings again). */
  private Map<ResourceKey, ObjectNode> parseAgain(Path file, FileState state) {
    try {
      return parse(file, state.parsed(), false);
    } catch (ManifestException e) {
      throw new IllegalStateException(file + " no longer parses from its own bytes", e);
    }
  }

  /**
   * Reads one file; updates its state and says whether its bytes changed.
   *
   * @param stamp its stamp, taken before the read
   * @param changedKeys gets the keys it held before and holds now when it changed
   * @param errors gets its error when it changed and fails to parse
   * @param fresh gets its objects when it changed and parses
   */
  private boolean read(
      Path file,
      FileStamp stamp,
      java.util.Set<ResourceKey> changedKeys,
      List<ManifestException> errors,
      Map<Path, Map<ResourceKey, ObjectNode>> fresh) {
    FileState prev = files.get(file);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return remove(file, changedKeys);
    } catch (IOException e) {
      // Unreadable now (permissions, a half-written rename): keep what we had.
      return false;
    }
    String hash = ContentHash.sha256(bytes);
    if (prev != null && prev.bytesHash().equals(hash)) {
      if (!Objects.equals(stamp, prev.stamp())) {
        putFile(
            file, new FileState(prev.bytesHash(), prev.parsed(), prev.keys(), prev.error(), stamp));
      }
      return false;
    }
    if (prev != null && prev.keys() != null) {
      changedKeys.addAll(prev.keys());
    }
    try {
      Map<ResourceKey, ObjectNode> parsed = parse(file, bytes, true);
      changedKeys.addAll(parsed.keySet());
      seen.addAll(parsed.keySet());
      fresh.put(file, parsed);
      putFile(
          file,
          new FileState(
              hash,
              bytes,
              java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(parsed.keySet())),
              null,
              stamp));
    } catch (ManifestException e) {
      errors.add(e);
      putFile(
          file,
          new FileState(
              hash,
              prev == null ? null : prev.parsed(),
              prev == null ? null : prev.keys(),
              e,
              stamp));
    }
    return true;
  }

  /** Forgets a file that is gone; says whether it was known. */
  private boolean remove(Path file, java.util.Set<ResourceKey> changedKeys) {
    FileState gone = putFile(file, null);
    if (gone == null) {
      return false;
    }
    if (gone.keys() != null) {
      changedKeys.addAll(gone.keys());
    }
    return true;
  }

  /**
   * Sets (or with null, removes) a file's state, and keeps the key holders, namespace uses and the
   * count of files that never parsed in step.
   *
   * @return its previous state
   */
  private FileState putFile(Path file, FileState next) {
    FileState prev = next == null ? files.remove(file) : files.put(file, next);
    java.util.Set<ResourceKey> before = prev == null ? null : prev.keys();
    java.util.Set<ResourceKey> after = next == null ? null : next.keys();
    if (before != after) {
      if (before != null) {
        for (ResourceKey k : before) {
          if (after == null || !after.contains(k)) {
            unhold(k, file);
          }
        }
      }
      if (after != null) {
        for (ResourceKey k : after) {
          if (before == null || !before.contains(k)) {
            hold(k, file);
          }
        }
      }
    }
    if (prev != null && prev.keys() == null) {
      neverParsed--;
    }
    if (next != null && next.keys() == null) {
      neverParsed++;
    }
    return prev;
  }

  private void hold(ResourceKey key, Path file) {
    Object h = holders.get(key);
    if (h == null) {
      holders.put(key, file);
      if (!key.namespace().isEmpty()) {
        namespaceUse.merge(key.namespace(), 1, Integer::sum);
      }
    } else if (h instanceof Path one) {
      if (!one.equals(file)) {
        TreeSet<Path> several = new TreeSet<>();
        several.add(one);
        several.add(file);
        holders.put(key, several);
      }
    } else {
      @SuppressWarnings("unchecked")
      TreeSet<Path> several = (TreeSet<Path>) h;
      several.add(file);
    }
  }

  private void unhold(ResourceKey key, Path file) {
    Object h = holders.get(key);
    if (h instanceof Path one) {
      if (one.equals(file)) {
        holders.remove(key);
        if (!key.namespace().isEmpty()) {
          namespaceUse.computeIfPresent(key.namespace(), (ns, n) -> n == 1 ? null : n - 1);
        }
      }
    } else if (h != null) {
      @SuppressWarnings("unchecked")
      TreeSet<Path> several = (TreeSet<Path>) h;
      several.remove(file);
      if (several.size() == 1) {
        holders.put(key, several.first());
      }
    }
  }

  private static boolean isNamespace(ResourceKey key) {
    return key.group().isEmpty() && key.kind().equals("Namespace");
  }

  private static ResourceKey namespaceKey(String ns) {
    return new ResourceKey("", "Namespace", "", ns);
  }

  /** The Namespace added for a namespace objects use and no file declares. */
  private static ObjectNode implicitNamespace(String ns) {
    ObjectNode o = io.eg4j.model.bus.Json.MAPPER.createObjectNode();
    o.put("apiVersion", "v1");
    o.put("kind", "Namespace");
    o.putObject("metadata").put("name", ns);
    return o;
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
      if (isNamespace(k)) {
        declared.add(k.name());
      } else if (!k.namespace().isEmpty()) {
        used.add(k.namespace());
      }
    }
    for (String ns : used) {
      if (!declared.contains(ns)) {
        all.put(namespaceKey(ns), implicitNamespace(ns));
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

  /**
   * A scan's objects by key: those of files this scan read are at hand, those of the other files
   * are parsed again from the bytes they last parsed from the first time one of them is asked for
   * (the same objects, without the warnings a first read gives). Keys are in the order of {@link
   * Scan#objects()}. Read by the one thread that scans.
   */
  private final class LazyObjects extends java.util.AbstractMap<ResourceKey, ObjectNode> {
    private final Map<Path, Map<ResourceKey, ObjectNode>> parsed;
    private final Map<Path, FileState> states = new HashMap<>();
    // Per key: its ObjectNode, or the Path of the file to parse for it.
    private final Map<ResourceKey, Object> values = new LinkedHashMap<>();

    LazyObjects(Map<Path, Map<ResourceKey, ObjectNode>> parsed) {
      this.parsed = parsed;
    }

    void addFile(Path file, FileState state) {
      Map<ResourceKey, ObjectNode> at = parsed.get(file);
      if (at != null) {
        values.putAll(at);
        return;
      }
      states.put(file, state);
      for (ResourceKey k : state.keys()) {
        values.put(k, file);
      }
    }

    private ObjectNode resolve(ResourceKey key, Object v) {
      if (!(v instanceof Path file)) {
        return (ObjectNode) v;
      }
      return parsed.computeIfAbsent(file, f -> parseAgain(f, states.get(f))).get(key);
    }

    @Override
    public ObjectNode get(Object key) {
      Object v = values.get(key);
      return v == null ? null : resolve((ResourceKey) key, v);
    }

    @Override
    public boolean containsKey(Object key) {
      return values.containsKey(key);
    }

    @Override
    public ObjectNode put(ResourceKey key, ObjectNode value) {
      Object before = values.put(key, value);
      return before == null ? null : resolve(key, before);
    }

    @Override
    public java.util.Set<Map.Entry<ResourceKey, ObjectNode>> entrySet() {
      return new java.util.AbstractSet<>() {
        @Override
        public int size() {
          return values.size();
        }

        @Override
        public java.util.Iterator<Map.Entry<ResourceKey, ObjectNode>> iterator() {
          var it = values.entrySet().iterator();
          return new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
              return it.hasNext();
            }

            @Override
            public Map.Entry<ResourceKey, ObjectNode> next() {
              var e = it.next();
              ResourceKey k = e.getKey();
              return new LazyEntry(e.getKey());
            }
          };
        }
      };
    }

    @Override
    public java.util.Set<ResourceKey> keySet() {
      return java.util.Collections.unmodifiableSet(values.keySet());
    }

    /** An entry whose value is resolved when read (a sink skips the values it does not need). */
    private final class LazyEntry implements Map.Entry<ResourceKey, ObjectNode> {
      private final ResourceKey key;

      LazyEntry(ResourceKey key) {
        this.key = key;
      }

      @Override
      public ResourceKey getKey() {
        return key;
      }

      @Override
      public ObjectNode getValue() {
        return resolve(key, values.get(key));
      }

      @Override
      public ObjectNode setValue(ObjectNode value) {
        throw new UnsupportedOperationException();
      }

      @Override
      public boolean equals(Object o) {
        return o instanceof Map.Entry<?, ?> e
            && key.equals(e.getKey())
            && Objects.equals(getValue(), e.getValue());
      }

      @Override
      public int hashCode() {
        return key.hashCode() ^ Objects.hashCode(getValue());
      }
    }
  }

  private Map<ResourceKey, ObjectNode> parse(Path file, byte[] bytes, boolean warn)
      throws ManifestException {
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
      if (!warn) {
        out.put(key, doc);
        continue;
      }
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

  /** Lists the manifest files; adds those that are symbolic links to {@code links}. */
  private TreeSet<Path> list(java.util.Set<Path> links) {
    TreeSet<Path> out = new TreeSet<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    try {
      Files.walkFileTree(
          root,
          new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(
                Path dir, BasicFileAttributes attrs) {
              return !dir.equals(root) && hiddenBelowRoot(dir)
                  ? java.nio.file.FileVisitResult.SKIP_SUBTREE
                  : java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (isManifest(file)
                  && !hiddenBelowRoot(file)
                  && (attrs.isRegularFile()
                      || (attrs.isSymbolicLink() && Files.isRegularFile(file)))) {
                out.add(file);
                if (attrs.isSymbolicLink()) {
                  links.add(file);
                }
              }
              return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e)
                throws IOException {
              // An entry renamed or deleted between the directory read and its stat (an editor's
              // or a tool's hidden temporary file renamed into place) is simply gone: the walk
              // goes on. Stopping here, as Files.walk does, left a partial listing, and every
              // file not listed yet looked deleted: their objects were deleted on the bus.
              if (e instanceof NoSuchFileException) {
                return java.nio.file.FileVisitResult.CONTINUE;
              }
              throw e;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
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
