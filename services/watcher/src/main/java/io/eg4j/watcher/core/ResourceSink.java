package io.eg4j.watcher.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.ResourceKey;
import java.util.Map;

/** Where a {@link ResourceSource} delivers the objects it sees (the bus publisher). */
public interface ResourceSink {
  /**
   * The complete current state of the source. Keys published earlier and absent now are deleted,
   * unless {@code complete} is false.
   *
   * @param objects every object the source holds now, by key
   * @param complete false when part of the source could not be read (a malformed file seen for the
   *     first time), so absence proves nothing and no deletion may follow from it
   */
  void resync(Map<ResourceKey, ObjectNode> objects, boolean complete);

  /**
   * As {@link #resync(Map, boolean)}, and while the source is incomplete, the keys in {@code
   * certainlyDeleted} that are absent from {@code objects} are deleted all the same: they were in
   * part of the source that was read, and are no longer (a file deleted, or a document removed from
   * a file that parses). Only keys that may hide in the unreadable part wait.
   */
  default void resync(
      Map<ResourceKey, ObjectNode> objects,
      boolean complete,
      java.util.Set<ResourceKey> certainlyDeleted) {
    resync(objects, complete);
  }

  /**
   * As {@link #resync(Map, boolean, java.util.Set)}, with a hint: every object whose key is not in
   * {@code changedKeys} is the same instance, with the same content, as in the previous resync, so
   * the sink need not look at it again (a big directory where one file changed).
   */
  default void resync(
      Map<ResourceKey, ObjectNode> objects,
      boolean complete,
      java.util.Set<ResourceKey> certainlyDeleted,
      java.util.Set<ResourceKey> changedKeys) {
    resync(objects, complete, certainlyDeleted);
  }

  /**
   * Whether {@link #changes} may be called now. When false (the default), a source delivers its
   * full state with {@code resync}: a sink that has not published a complete state yet, or whose
   * last sends failed, needs it.
   */
  default boolean takesChanges() {
    return false;
  }

  /**
   * A change to the state delivered before, for a source that knows what changed (the file source
   * after watch events): only when {@link #takesChanges()} said yes.
   *
   * @param objects the current objects of the keys that may have changed, in order (an object equal
   *     to what the sink has may be among them)
   * @param deleted keys that no longer exist; their deletion is certain even while the source is
   *     incomplete
   * @param complete false when part of the source could not be read
   */
  default void changes(
      Map<ResourceKey, ObjectNode> objects, java.util.Set<ResourceKey> deleted, boolean complete) {
    throw new UnsupportedOperationException("this sink only takes full resyncs");
  }

  /** One object was added or changed (for event-driven sources). */
  default void upsert(ResourceKey key, ObjectNode object) {
    throw new UnsupportedOperationException("this sink only takes full resyncs");
  }

  /** One object was deleted (for event-driven sources). */
  default void delete(ResourceKey key) {
    throw new UnsupportedOperationException("this sink only takes full resyncs");
  }
}
