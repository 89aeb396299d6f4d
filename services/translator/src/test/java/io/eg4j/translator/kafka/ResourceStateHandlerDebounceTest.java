package io.eg4j.translator.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Envelope;
import io.eg4j.model.bus.Json;
import io.eg4j.model.bus.Topics;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.translator.core.Translator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * When the translator translates a change (issue #16): a lone change right after a translation
 * waits only for the busy window (twice the last translation's CPU time), never for the quiet time
 * meant for a batch still arriving; a full poll does wait for the quiet time.
 *
 * <p>The quiet time here is ten minutes and the longest delay an hour, so a wait bounded well below
 * them can only come from the busy window, whatever the machine's speed.
 */
class ResourceStateHandlerDebounceTest {
  private static final Duration QUIET = Duration.ofMinutes(10);
  private static final Duration MAX_DELAY = Duration.ofHours(1);

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final MockProducer<String, Envelope> producer =
      new MockProducer<>(true, null, new StringSerializer(), (t, e) -> new byte[0]);
  private final ResourceStateHandler handler =
      new ResourceStateHandler(
          new Translator(EnvoyGatewayConfig.defaults()),
          new OutputPublisher(producer, new SimpleMeterRegistry()),
          () -> {},
          Optional.empty(),
          new ResourceStateHandler.Debounce(QUIET, MAX_DELAY),
          meters);
  private long offset;

  private static ObjectNode gatewayClass(String name) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("apiVersion", "gateway.networking.k8s.io/v1");
    o.put("kind", "GatewayClass");
    o.putObject("metadata").put("name", name).put("generation", 1);
    o.putObject("spec").put("controllerName", "gateway.envoyproxy.io/gatewayclass-controller");
    return o;
  }

  private void deliver(String name) {
    ObjectNode o = gatewayClass(name);
    handler.onRecord(
        new ConsumerRecord<>(
            Topics.RESOURCES,
            0,
            offset++,
            "gateway.networking.k8s.io/GatewayClass//" + name,
            new byte[0]),
        Envelope.wrap("resource", "watcher", o));
  }

  /** Translations after the one at catch-up. */
  private long translations() {
    return meters.find("eg4j.translator.translation").timers().stream()
            .mapToLong(io.micrometer.core.instrument.Timer::count)
            .sum()
        - 1;
  }

  private void start() {
    handler.onAssigned(List.of());
    handler.onCaughtUp();
  }

  /** Polls (without records) until {@code n} translations happened; bounded. */
  private void pollUntilTranslated(long n) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (translations() < n && System.nanoTime() < deadline) {
      long wait = handler.pollWithinMillis();
      assertThat(wait).as("wake-up before a quiet time").isBetween(1L, 30_000L);
      sleep(Math.min(wait, 50));
      handler.afterPoll(true);
    }
    assertThat(translations()).isEqualTo(n);
  }

  @Test
  void aLoneChangeRightAfterATranslationWaitsOnlyForTheBusyWindow() {
    start();
    deliver("a");
    handler.afterPoll(true);
    pollUntilTranslated(1);

    // A second change at once: the translator has just worked, so it may coalesce, but only for
    // twice that work's CPU time, not for the ten minutes of quiet a batch would wait.
    deliver("b");
    handler.afterPoll(true);
    pollUntilTranslated(2);
    assertThat(handler.pollWithinMillis()).isEqualTo(-1);
  }

  @Test
  void aFullPollWaitsForTheInputToBeQuiet() {
    start();
    for (int i = 0; i < ResourceStateHandler.FULL_POLL; i++) {
      deliver("c" + i);
    }
    handler.afterPoll(true);
    // More records are waiting: nothing is translated, and the wake-up is the quiet time away.
    assertThat(translations()).isZero();
    assertThat(handler.pollWithinMillis()).isGreaterThan(QUIET.toMillis() - 60_000);

    // The next poll brings the rest of the batch: the batch has ended, so it is translated as
    // soon as the translator is not busy, without the quiet time.
    deliver("d");
    handler.afterPoll(true);
    pollUntilTranslated(1);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
