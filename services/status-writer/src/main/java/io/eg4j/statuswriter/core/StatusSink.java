package io.eg4j.statuswriter.core;

import io.eg4j.model.bus.ResourceKey;
import io.eg4j.model.status.ResourceStatus;

/**
 * Where the status-writer puts statuses: files ({@code eg4j.status-writer.mode=file}) or, in
 * Kubernetes mode, status subresources. Implementations skip writes that change nothing.
 */
public interface StatusSink {
  /**
   * Writes one resource's status.
   *
   * @param status the status the translator computed
   */
  void accept(ResourceStatus status);

  /**
   * Forgets one resource's status (the resource is gone).
   *
   * @param key the resource
   */
  void remove(ResourceKey key);

  /**
   * The bus is read again from its start (a new assignment): what was seen before no longer counts.
   */
  default void replayStarted() {}

  /**
   * Every status the bus held when the replay began has been handed over; anything the sink still
   * shows that was not among them is stale (its object went away while the writer was down).
   */
  default void replayFinished() {}

  /** Told about each write, so the app can count {@code eg4j.status.writes}. */
  interface WriteListener {
    /**
     * One write happened.
     *
     * @param key the resource
     * @param result written, skipped, conflict or failed (the tag values of the metric)
     */
    void onWrite(ResourceKey key, String result);
  }
}
