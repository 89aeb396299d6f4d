package io.eg4j.statuswriter.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The status-writer service. */
@SpringBootApplication
public class StatusWriterApplication {
  public static void main(String[] args) {
    SpringApplication.run(StatusWriterApplication.class, args);
  }
}
