package io.eg4j.statuswriter.app;

import io.eg4j.model.bus.Topics;
import io.eg4j.model.bus.kafka.BusConsumerLoop;
import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.eg4j.model.bus.kafka.DeadLetterPublisher;
import io.eg4j.model.bus.spring.BusClients;
import io.eg4j.model.bus.spring.BusConfiguration;
import io.eg4j.statuswriter.core.FileStatusSink;
import io.eg4j.statuswriter.core.StatusSink;
import io.eg4j.statuswriter.kafka.StatusRecordHandler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * The status-writer's beans: a consumer of {@code eg4j.status} feeding the {@link StatusSink} of
 * the configured mode. File mode is here; a Kubernetes sink plugs in as another {@code StatusSink}
 * bean for {@code eg4j.status-writer.mode=kubernetes}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(StatusWriterProperties.class)
@Import(BusConfiguration.class)
public class StatusWriterConfiguration {

  /** Counts {@code eg4j.status.writes} by result. */
  @Bean
  public StatusSink.WriteListener statusWriteCounter(MeterRegistry meters) {
    // Every result at zero from the start, so conflicts and failures have a series to alert on.
    for (String result : List.of("written", "skipped", "conflict", "failed")) {
      Counter.builder("eg4j.status.writes")
          .description("Status writes by result")
          .tag("result", result)
          .register(meters);
    }
    return (key, result) ->
        Counter.builder("eg4j.status.writes")
            .description("Status writes by result")
            .tag("result", result)
            .register(meters)
            .increment();
  }

  /** File mode ({@code eg4j.status-writer.mode=file}). */
  @Bean
  @ConditionalOnProperty(
      name = "eg4j.status-writer.mode",
      havingValue = "file",
      matchIfMissing = true)
  public StatusSink statusFileSink(
      StatusWriterProperties props, StatusSink.WriteListener statusWriteCounter) {
    return new FileStatusSink(props.getDirectory(), statusWriteCounter);
  }

  /**
   * {@code eg4j.leader{service=status-writer}} in file mode: 1 while this replica holds
   * eg4j.status. In Kubernetes mode the Lease decides who writes, and the sink registers the gauge
   * from it.
   */
  @Bean
  @ConditionalOnProperty(
      name = "eg4j.status-writer.mode",
      havingValue = "file",
      matchIfMissing = true)
  public io.micrometer.core.instrument.Gauge statusWriterLeaderGauge(
      CatchUpTracker tracker, MeterRegistry meters) {
    return io.micrometer.core.instrument.Gauge.builder(
            "eg4j.leader", tracker, t -> t.state() == CatchUpTracker.State.CAUGHT_UP ? 1 : 0)
        .description("1 while this replica is the active one")
        .tag("service", "status-writer")
        .register(meters);
  }

  /** Where records that are not statuses go. */
  @Bean(destroyMethod = "close")
  public DeadLetterPublisher statusWriterDeadLetters(BusClients clients, MeterRegistry meters) {
    Counter.builder("eg4j.bus.dead.letters")
        .description("Records sent to a dead-letter topic")
        .tag("topic", Topics.STATUS)
        .register(meters);
    return clients.deadLetterPublisher();
  }

  /**
   * The consumer of eg4j.status, in the status-writer group, reading from the beginning at each
   * assignment (writes that change nothing are skipped, so a replay is cheap).
   */
  @Bean(initMethod = "start", destroyMethod = "close")
  public BusConsumerLoop statusWriterLoop(
      BusClients clients,
      StatusWriterProperties props,
      StatusSink sink,
      CatchUpTracker tracker,
      DeadLetterPublisher statusWriterDeadLetters) {
    return clients.instrumented(
        new BusConsumerLoop(
            clients.consumerProps("status"),
            new BusConsumerLoop.Options(
                "status-writer",
                List.of(Topics.STATUS),
                props.getGroupId(),
                true,
                clients.bus().getPollTimeout()),
            new StatusRecordHandler(sink),
            tracker,
            statusWriterDeadLetters));
  }
}
