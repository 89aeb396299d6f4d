package io.eg4j.translator.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The translator service. */
@SpringBootApplication
public class TranslatorApplication {
  public static void main(String[] args) {
    SpringApplication.run(TranslatorApplication.class, args);
  }
}
