package io.eg4j.model.bus;

import java.util.Map;

/** Producer and consumer settings every eg4j service uses on the bus. */
public final class BusSettings {
  private BusSettings() {}

  /** 16 MiB: the largest record eg4j writes (xDS IR for 10,000 routes is a few MiB compressed). */
  public static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /** Producer settings: idempotent, zstd-compressed, large records allowed. */
  public static Map<String, Object> producerOverrides() {
    return Map.of(
        "compression.type",
        "zstd",
        "max.request.size",
        MAX_MESSAGE_BYTES,
        "enable.idempotence",
        true,
        "acks",
        "all",
        "linger.ms",
        5);
  }

  /** Consumer settings: large records allowed. */
  public static Map<String, Object> consumerOverrides() {
    return Map.of(
        "max.partition.fetch.bytes",
        MAX_MESSAGE_BYTES,
        "fetch.max.bytes",
        4 * MAX_MESSAGE_BYTES,
        "auto.offset.reset",
        "earliest");
  }
}
