package io.eg4j.watcher.core;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The file source says what a Kubernetes API server would say of a manifest: values its CRD schema
 * refuses, and misspelt fields it would drop. The object still reaches the translator.
 */
class ManifestSchemaWarningsTest {
  @TempDir Path dir;

  @Test
  void schemaErrorsAndUnknownFieldsAreWarnedOncePerChangeAndTheObjectIsKept() throws Exception {
    Files.writeString(
        dir.resolve("route.yaml"),
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: default}
        spec:
          parentRefs: [{name: eg}]
          rules:
          - matches: [{path: {type: Prefix, value: /}}]
            backendRef: [{name: s, port: 80}]
        """);
    Logger logger = (Logger) LoggerFactory.getLogger(ManifestDirectory.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      ManifestDirectory d = new ManifestDirectory(dir);
      ManifestDirectory.Scan scan = d.scan();
      assertThat(scan.newErrors()).isEmpty();
      assertThat(scan.objects().keySet()).anyMatch(k -> k.kind().equals("HTTPRoute"));
      List<String> warnings =
          logs.list.stream()
              .filter(e -> e.getLevel() == Level.WARN)
              .map(ILoggingEvent::getFormattedMessage)
              .toList();
      assertThat(warnings)
          .anySatisfy(
              w ->
                  assertThat(w)
                      .contains("route.yaml: HTTPRoute default/r does not match its CRD schema")
                      .contains(
                          "spec.rules[0].matches[0].path.type: Unsupported value: \"Prefix\""))
          .anySatisfy(
              w ->
                  assertThat(w)
                      .contains("fields its CRD does not define")
                      .contains("spec.rules[0].backendRef: unknown field"));
      // An unchanged file is not read again, so it is not warned about again.
      int before = logs.list.size();
      d.scan();
      assertThat(logs.list).hasSize(before);
    } finally {
      logger.detachAppender(logs);
    }
  }
}
