package io.eg4j.model.bus;

import java.util.List;
import java.util.Map;

/**
 * The topics of the eg4j bus (DESIGN.md "Topics"). Every topic is compacted, so a restarted service
 * rebuilds its state by reading its input topic from the beginning.
 */
public final class Topics {
  private Topics() {}

  /** Every watched object's full state, keyed {@code group/kind/namespace/name}. */
  public static final String RESOURCES = "eg4j.resources";

  /** xDS IR per Gateway (or per GatewayClass when merged). */
  public static final String XDS_IR = "eg4j.xds-ir";

  /** Infra IR per proxy fleet. */
  public static final String INFRA_IR = "eg4j.infra-ir";

  /** One status per resource, keyed like {@link #RESOURCES}. */
  public static final String STATUS = "eg4j.status";

  /**
   * Envoy NACKs (and the acceptances that follow them), keyed by IR key; the translator withholds
   * the object each NACK is about (DESIGN.md invariant 10).
   */
  public static final String XDS_NACKS = "eg4j.xds-nacks";

  /** Suffix of the dead-letter topic of each input topic. */
  public static final String DLT_SUFFIX = ".dlt";

  /** The compacted topics every deployment creates. */
  public static final List<String> COMPACTED =
      List.of(RESOURCES, XDS_IR, INFRA_IR, STATUS, XDS_NACKS);

  /** Dead-letter topic for a topic. */
  public static String deadLetter(String topic) {
    return topic + DLT_SUFFIX;
  }

  /**
   * Topic-level settings applied when eg4j creates a compacted topic. IR for 10,000 routes is
   * several megabytes before compression, hence the raised {@code max.message.bytes}; values are
   * compressed with zstd by the producers.
   */
  public static Map<String, String> compactedTopicConfig() {
    return Map.of(
        "cleanup.policy", "compact",
        "max.message.bytes", String.valueOf(BusSettings.MAX_MESSAGE_BYTES),
        "min.compaction.lag.ms", "0",
        "segment.ms", "3600000",
        "delete.retention.ms", "86400000",
        "min.cleanable.dirty.ratio", "0.1");
  }

  /** Settings of dead-letter topics: kept for 7 days, not compacted, so every failure is kept. */
  public static Map<String, String> deadLetterTopicConfig() {
    return Map.of(
        "cleanup.policy", "delete",
        "retention.ms", "604800000",
        "max.message.bytes", String.valueOf(BusSettings.MAX_MESSAGE_BYTES));
  }
}
