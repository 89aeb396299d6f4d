package io.eg4j.translator.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads {@code eg4j.xds-nacks}: Envoy's rejections that the xds-servers publish, and the
 * acceptances that follow them. Each one goes to the {@link ResourceStateHandler}, which traces it
 * to the object that caused it and withholds that object. The EnvoyPatchPolicy outcomes the
 * xds-servers publish on the same topic go to it too, for the policies' {@code Programmed}
 * condition.
 *
 * <p>Runs without a consumer group from the end of the topic: a NACK is an event about what is
 * served now, and the NACKs of an earlier run are about configurations that may no longer exist (a
 * restarted translator serves everything again, and Envoy rejects again what is still bad). Every
 * replica reads them; only the active one acts.
 */
public final class XdsNackHandler implements BusConsumerLoop.Handler {
  /** Envelope type of a rejection. */
  public static final String NACK = "nack";

  /** Envelope type of an acceptance after a rejection. */
  public static final String RECOVERED = "xds-recovered";

  /**
   * One record of the topic.
   *
   * @param irKey the IR key of the Envoy
   * @param recovered false for a rejection, true for an acceptance that follows one
   * @param typeUrl the xDS type
   * @param version the version in the request: for a NACK, in state-of-the-world xDS, the last
   *     version Envoy accepted; for an acceptance, the version accepted
   * @param message Envoy's error message (empty for an acceptance)
   * @param node the Envoy's node id
   */
  public record Event(
      String irKey,
      boolean recovered,
      String typeUrl,
      String version,
      String message,
      String node) {}

  private final Consumer<Event> sink;
  private final Consumer<EnvoyPatchOutcomes> patchOutcomes;

  /** A handler that hands each event to {@code sink} (thread-safe). */
  public XdsNackHandler(Consumer<Event> sink) {
    this(sink, o -> {});
  }

  /**
   * A handler that hands each event to {@code sink} and the EnvoyPatchPolicy outcomes the
   * xds-servers report (envelope type {@link EnvoyPatchOutcomes#TYPE}) to {@code patchOutcomes}
   * (both thread-safe).
   */
  public XdsNackHandler(Consumer<Event> sink, Consumer<EnvoyPatchOutcomes> patchOutcomes) {
    this.sink = sink;
    this.patchOutcomes = patchOutcomes;
  }

  /** The EnvoyPatchPolicy outcomes an envelope carries, or null when it carries none. */
  public static EnvoyPatchOutcomes patchOutcomes(Envelope envelope) {
    if (envelope == null || !EnvoyPatchOutcomes.TYPE.equals(envelope.type())) {
      return null;
    }
    try {
      return Json.MAPPER.treeToValue(envelope.payload(), EnvoyPatchOutcomes.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public void onRecord(ConsumerRecord<String, byte[]> record, Envelope envelope) {
    if (envelope == null || record.key() == null) {
      return;
    }
    EnvoyPatchOutcomes outcomes = patchOutcomes(envelope);
    if (outcomes != null) {
      patchOutcomes.accept(outcomes);
      return;
    }
    JsonNode p = envelope.payload();
    boolean recovered = RECOVERED.equals(envelope.type());
    if (!recovered && !NACK.equals(envelope.type())) {
      return;
    }
    sink.accept(
        new Event(
            record.key(),
            recovered,
            p.path("type_url").asText(""),
            p.path("version").asText(""),
            p.path("error_message").asText(""),
            p.path("node").asText("")));
  }
}
