package io.eg4j.translator.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The translator service: {@code eg4j.resources} in; xDS IR, infra IR and statuses out. No
 * component scanning, so it can run in one JVM with the other services (the standalone launcher).
 * Its defaults are in its {@code application.yaml}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(TranslatorConfiguration.class)
public class TranslatorApplication {
  /** Runs the translator. */
  public static void main(String[] args) {
    SpringApplication.run(TranslatorApplication.class, args);
  }
}
