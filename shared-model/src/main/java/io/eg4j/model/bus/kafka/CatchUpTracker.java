package io.eg4j.model.bus.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Tracks whether a consumer has read its partitions up to the end offsets they had when they were
 * assigned (DESIGN.md invariant 1: no partial state is served). A service publishes or serves
 * nothing before {@link #isCaughtUp()}; its readiness probe reports the same.
 *
 * <p>Thread-safe: the consumer thread updates it, health checks read it.
 */
public final class CatchUpTracker {

  /** Where a consumer stands. */
  public enum State {
    /** No partitions assigned yet. */
    STARTING,
    /** Reading up to the start-up end offsets. */
    CATCHING_UP,
    /** Read everything that was there at assignment; live from now on. */
    CAUGHT_UP,
    /**
     * In the consumer group but assigned nothing: a warm standby that takes over on rebalance (the
     * single-partition topics give one replica the work, DESIGN.md invariant 8).
     */
    STANDBY
  }

  private final Map<TopicPartition, Long> targets = new HashMap<>();
  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private State state = State.STARTING;

  /**
   * Starts tracking a (new) assignment.
   *
   * @param endOffsets the end offset of each assigned partition, taken at assignment
   * @return true when the assignment is already caught up (every partition empty, or none)
   */
  public synchronized boolean assigned(Map<TopicPartition, Long> endOffsets) {
    targets.clear();
    positions.clear();
    if (endOffsets.isEmpty()) {
      state = State.STANDBY;
      return false;
    }
    targets.putAll(endOffsets);
    state = State.CATCHING_UP;
    return update(Map.of());
  }

  /** Forgets the assignment (partitions revoked or consumer closed). */
  public synchronized void revoked() {
    targets.clear();
    positions.clear();
    state = State.STARTING;
  }

  /**
   * Records the consumer's positions.
   *
   * @param newPositions the next offset to read, per partition
   * @return true exactly once per assignment: when this update makes the consumer caught up
   */
  public synchronized boolean update(Map<TopicPartition, Long> newPositions) {
    positions.putAll(newPositions);
    if (state != State.CATCHING_UP) {
      return false;
    }
    for (var t : targets.entrySet()) {
      if (positions.getOrDefault(t.getKey(), 0L) < t.getValue()) {
        return false;
      }
    }
    state = State.CAUGHT_UP;
    return true;
  }

  /** Marks a tracker caught up that no consumer drives (e.g. a one-off start-up read). */
  public synchronized void markCaughtUp() {
    state = State.CAUGHT_UP;
  }

  /** True once the current assignment has been read up to its start-up end offsets. */
  public synchronized boolean isCaughtUp() {
    return state == State.CAUGHT_UP;
  }

  /** The current state. */
  public synchronized State state() {
    return state;
  }

  /** The partitions still being read, with how many records remain, for health details. */
  public synchronized Map<String, Long> lag() {
    Map<String, Long> out = new java.util.TreeMap<>();
    for (var t : targets.entrySet()) {
      long left = t.getValue() - positions.getOrDefault(t.getKey(), 0L);
      if (left > 0) {
        out.put(t.getKey().toString(), left);
      }
    }
    return out;
  }
}
