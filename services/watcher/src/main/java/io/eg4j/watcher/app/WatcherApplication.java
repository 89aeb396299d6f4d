package io.eg4j.watcher.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The watcher service. */
@SpringBootApplication
public class WatcherApplication {
  public static void main(String[] args) {
    SpringApplication.run(WatcherApplication.class, args);
  }
}
