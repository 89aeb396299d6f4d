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
