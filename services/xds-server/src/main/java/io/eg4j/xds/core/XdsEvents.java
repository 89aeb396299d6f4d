package io.eg4j.xds.core;

/**
 * What the snapshot component reports to the outside world (metrics, the NACK topic, logs). The
 * core stays free of Micrometer and Kafka; the app wires these to them.
 */
public interface XdsEvents {
  /** A new snapshot (one make-before-break step) was set for an IR key. */
  default void pushed(String irKey, String version) {}

  /**
   * Envoy rejected a resource.
   *
   * @param irKey the node cluster (IR key)
   * @param typeUrl the rejected type
   * @param version the version Envoy rejected
   * @param error Envoy's error message
   * @param node the node id
   */
  default void nack(String irKey, String typeUrl, String version, String error, String node) {}

  /**
   * Envoy accepted a type for an IR key after rejecting it: what it was missing is in place now (a
   * listener it could not bind, say, is bound). Reported once per accepted version, and only for a
   * key and type with a recent NACK, so the cost stays with the rare failures.
   *
   * @param irKey the node cluster (IR key)
   * @param typeUrl the accepted type
   * @param version the version Envoy accepted
   * @param node the node id
   */
  default void recovered(String irKey, String typeUrl, String version, String node) {}

  /**
   * The EnvoyPatchPolicy outcomes of an IR key, each time its IR is translated.
   *
   * @param irKey the IR key
   * @param outcomes what became of each policy's operations, tied to the IR's hash; null when the
   *     IR carries no operations any more, or the key is gone
   */
  default void patchOutcomes(String irKey, io.eg4j.model.status.EnvoyPatchOutcomes outcomes) {}

  /** The number of connected ADS streams changed. */
  default void connected(int streams) {}

  /** Events that go nowhere. */
  XdsEvents NONE = new XdsEvents() {};
}
