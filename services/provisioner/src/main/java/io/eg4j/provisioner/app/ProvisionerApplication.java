package io.eg4j.provisioner.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The provisioner service: consumes {@code eg4j.infra-ir} and runs each proxy fleet, as Kubernetes
 * objects or (host mode) as local Envoy processes.
 */
@SpringBootApplication
@EnableConfigurationProperties({ProvisionerProperties.class, BusProperties.class})
public class ProvisionerApplication {
  public static void main(String[] args) {
    SpringApplication.run(ProvisionerApplication.class, args);
  }
}
