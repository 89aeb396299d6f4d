package io.eg4j.watcher.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The watcher service: resources from a directory of YAML (or the Kubernetes API, {@code
 * eg4j.watcher.source=kubernetes}) to {@code eg4j.resources}. No component scanning, so it can run
 * in one JVM with the other services (the standalone launcher). Its defaults are in its {@code
 * application.yaml}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({WatcherConfiguration.class, WatcherKubernetesConfiguration.class})
public class WatcherApplication {
  /** Runs the watcher. */
  public static void main(String[] args) {
    SpringApplication.run(WatcherApplication.class, args);
  }
}
