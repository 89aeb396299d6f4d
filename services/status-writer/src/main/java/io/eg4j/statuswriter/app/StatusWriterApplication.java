package io.eg4j.statuswriter.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The status-writer service: {@code eg4j.status} to files (standalone) or status subresources. No
 * component scanning, so it can run in one JVM with the other services (the standalone launcher).
 * Its defaults are in its {@code application.yaml}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({StatusWriterConfiguration.class, StatusWriterKubernetesConfiguration.class})
public class StatusWriterApplication {
  /** Runs the status-writer. */
  public static void main(String[] args) {
    SpringApplication.run(StatusWriterApplication.class, args);
  }
}
