package io.eg4j.model.bus.spring;

import io.eg4j.model.bus.kafka.CatchUpTracker;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The bus beans every service imports explicitly ({@code @Import(BusConfiguration.class)}; no
 * component scanning): {@link BusProperties}, {@link BusClients} (which creates the topics), the
 * service's {@link CatchUpTracker} and the {@code bus} health indicator for the readiness group.
 * The service name comes from {@code spring.application.name}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(BusProperties.class)
public class BusConfiguration {

  /** The service's Kafka client factory; creates the topics first when asked to. */
  @Bean
  public BusClients eg4jBusClients(
      KafkaProperties kafka,
      BusProperties bus,
      MeterRegistry meters,
      @Value("${spring.application.name:eg4j}") String service) {
    BusClients clients = new BusClients(kafka, bus, service, meters);
    clients.ensureTopics();
    return clients;
  }

  /** Whether the service has caught up on its input. */
  @Bean
  public CatchUpTracker eg4jCatchUpTracker() {
    return new CatchUpTracker();
  }

  /** The {@code bus} health component: broker reachable and caught up. */
  @Bean(name = "bus")
  public BusHealthIndicator eg4jBusHealthIndicator(BusClients clients, CatchUpTracker tracker) {
    return new BusHealthIndicator(clients.admin(), tracker);
  }
}
