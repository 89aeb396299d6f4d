package io.eg4j.statuswriter.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * File mode of the status-writer (standalone): one YAML file per resource, {@code <dir>/<namespace
 * or _cluster>/<kind>-<name>.yaml}, holding the object's apiVersion, kind, metadata name and
 * namespace, and {@code .status}, like {@code kubectl get -o yaml} shows it. A write that would
 * change nothing but {@code lastTransitionTime} is skipped; a removed resource's file is deleted.
 * Each write logs a one-line summary of the conditions.
 */
public final class FileStatusSink implements StatusSink {
  private static final Logger LOG = LoggerFactory.getLogger(FileStatusSink.class);

  /** The directory name used for cluster-scoped resources. */
  public static final String CLUSTER_DIR = "_cluster";

  private final Path root;
  private final WriteListener listener;

  /** The files of the statuses seen since the replay began; null before the first replay. */
  private Set<Path> live;

  /**
   * A sink.
   *
   * @param root the directory (created when needed)
   * @param listener told about every write
   */
  public FileStatusSink(Path root, WriteListener listener) {
    this.root = root;
    this.listener = listener;
  }

  /** The file of a resource. */
  public Path fileOf(ResourceKey key) {
    String ns = key.namespace().isEmpty() ? CLUSTER_DIR : safe(key.namespace());
    return root.resolve(ns).resolve(safe(key.kind()) + "-" + safe(key.name()) + ".yaml");
  }

  @Override
  public synchronized void replayStarted() {
    live = new HashSet<>();
  }

  /**
   * Deletes the status files of resources the bus no longer holds: removed while the status-writer
   * was down, their tombstones compacted away, their files would otherwise stay forever.
   */
  @Override
  public synchronized void replayFinished() {
    if (live == null || !Files.isDirectory(root)) {
      return;
    }
    List<Path> stale;
    try (Stream<Path> files = Files.walk(root)) {
      stale =
          files
              .filter(Files::isRegularFile)
              .filter(f -> f.getFileName().toString().endsWith(".yaml"))
              .filter(f -> !f.getFileName().toString().startsWith("."))
              .filter(f -> !live.contains(f))
              .toList();
    } catch (IOException e) {
      LOG.error("cannot list {} to prune stale statuses: {}", root, e.toString());
      return;
    }
    for (Path f : stale) {
      try {
        Files.deleteIfExists(f);
        LOG.info(
            "status file {} removed: its resource has no status on the bus", root.relativize(f));
      } catch (IOException e) {
        LOG.error("cannot delete stale status file {}: {}", f, e.toString());
      }
    }
  }

  @Override
  public synchronized void accept(ResourceStatus status) {
    ResourceKey key = status.key();
    Path file = fileOf(key);
    if (live != null) {
      live.add(file);
    }
    ObjectNode doc = Json.MAPPER.createObjectNode();
    String apiVersion = status.apiVersion();
    if (apiVersion == null || apiVersion.isEmpty()) {
      apiVersion = key.group().isEmpty() ? "v1" : key.group();
    }
    doc.put("apiVersion", apiVersion);
    doc.put("kind", key.kind());
    ObjectNode meta = doc.putObject("metadata");
    meta.put("name", key.name());
    if (!key.namespace().isEmpty()) {
      meta.put("namespace", key.namespace());
    }
    if (status.observedGeneration() > 0) {
      meta.put("generation", status.observedGeneration());
    }
    JsonNode body = status.status();
    if (GatewayAccepted.isGateway(key) && body instanceof ObjectNode o) {
      // As in Kubernetes mode: the provider's Accepted beside the translator's listener statuses.
      body = o.deepCopy();
      GatewayAccepted.addUnlessRejected((ObjectNode) body, status.observedGeneration());
    }
    doc.set("status", body);
    try {
      if (Files.exists(file) && sameIgnoringTransitionTimes(Files.readString(file), doc)) {
        listener.onWrite(key, "skipped");
        return;
      }
      // Checked first: createDirectories on an existing directory throws and catches an exception
      // inside the JDK, twice per status written (issue #16: thousands per probe run).
      if (!Files.isDirectory(file.getParent())) {
        Files.createDirectories(file.getParent());
      }
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.writeString(tmp, Json.YAML.writeValueAsString(doc), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      LOG.info("status {} {}: {}", key.kind(), name(key), summary(status.status()));
      listener.onWrite(key, "written");
    } catch (IOException e) {
      LOG.error("cannot write status of {} to {}: {}", key, file, e.toString());
      listener.onWrite(key, "failed");
    }
  }

  @Override
  public synchronized void remove(ResourceKey key) {
    Path file = fileOf(key);
    if (live != null) {
      live.remove(file);
    }
    try {
      if (Files.deleteIfExists(file)) {
        LOG.info("status {} {}: removed", key.kind(), name(key));
        listener.onWrite(key, "written");
      }
    } catch (IOException e) {
      LOG.error("cannot delete {}: {}", file, e.toString());
      listener.onWrite(key, "failed");
    }
  }

  /** {@code type=status reason} of each condition, top-level and nested, for the log line. */
  public static String summary(JsonNode status) {
    List<String> parts = new ArrayList<>();
    collect(status, "", parts);
    return parts.isEmpty() ? "no conditions" : String.join(", ", parts);
  }

  private static void collect(JsonNode node, String prefix, List<String> out) {
    if (node == null) {
      return;
    }
    for (JsonNode c : node.path("conditions")) {
      out.add(
          prefix
              + c.path("type").asText()
              + "="
              + c.path("status").asText()
              + " "
              + c.path("reason").asText());
    }
    for (JsonNode l : node.path("listeners")) {
      collect(l, "listener " + l.path("name").asText() + " ", out);
    }
    for (String list : List.of("parents", "ancestors")) {
      for (JsonNode p : node.path(list)) {
        JsonNode ref = p.has("parentRef") ? p.path("parentRef") : p.path("ancestorRef");
        collect(p, "parent " + ref.path("name").asText() + " ", out);
      }
    }
  }

  private static boolean sameIgnoringTransitionTimes(String existing, JsonNode doc) {
    try {
      JsonNode old = Json.YAML.readTree(existing);
      JsonNode fresh = Json.MAPPER.readTree(Json.MAPPER.writeValueAsBytes(doc));
      strip(old);
      strip(fresh);
      return Json.CANONICAL
          .writeValueAsString(Json.CANONICAL.treeToValue(old, Object.class))
          .equals(
              Json.CANONICAL.writeValueAsString(Json.CANONICAL.treeToValue(fresh, Object.class)));
    } catch (IOException e) {
      // An unreadable file is rewritten.
      return false;
    }
  }

  private static void strip(JsonNode node) {
    if (node instanceof ObjectNode o) {
      o.remove("lastTransitionTime");
      o.forEach(FileStatusSink::strip);
    } else if (node instanceof ArrayNode a) {
      a.forEach(FileStatusSink::strip);
    }
  }

  private static String name(ResourceKey key) {
    return key.namespace().isEmpty() ? key.name() : key.namespace() + "/" + key.name();
  }

  /** Keeps a path segment inside its directory whatever a name holds. */
  private static String safe(String s) {
    String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "_");
    return cleaned.isEmpty() || cleaned.startsWith(".") ? "_" + cleaned : cleaned;
  }
}
