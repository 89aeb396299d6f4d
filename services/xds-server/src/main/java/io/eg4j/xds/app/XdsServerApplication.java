package io.eg4j.xds.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The xds-server service. */
@SpringBootApplication
public class XdsServerApplication {
  public static void main(String[] args) {
    SpringApplication.run(XdsServerApplication.class, args);
  }
}
