package io.eg4j.watcher.core;

/**
 * Where the watcher reads resources from: a directory of YAML ({@code eg4j.watcher.source=file})
 * or, later, the Kubernetes API ({@code kubernetes}). A source delivers the full state of every
 * object to a {@link ResourceSink}; the sink decides what is new.
 */
public interface ResourceSource extends AutoCloseable {
  /**
   * Starts delivering. The first delivery is the complete initial state, made before this method
   * returns, so start-up reconciliation (DESIGN.md invariant 2) can follow at once.
   *
   * @param sink where objects go
   */
  void start(ResourceSink sink);

  /** Stops delivering. */
  @Override
  void close();
}
