package io.eg4j.provisioner.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The provisioner service. */
@SpringBootApplication
public class ProvisionerApplication {
  public static void main(String[] args) {
    SpringApplication.run(ProvisionerApplication.class, args);
  }
}
