package io.eg4j.translator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Test helpers: translate inline manifests with the default configuration, read a status. */
final class Translations {
  private Translations() {}

  /** Translates multi-document YAML with {@link EnvoyGatewayConfig#defaults()}. */
  static TranslateResult translate(String yaml) throws IOException {
    List<ObjectNode> docs =
        ManifestReader.read(
            "test", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    return new Translator(EnvoyGatewayConfig.defaults()).translate(ResourceSnapshot.of(docs));
  }

  /** The JSON of the first status of {@code kind}, or "" when there is none. */
  static String status(TranslateResult r, String kind) {
    for (ResourceStatus s : r.statuses()) {
      if (s.key().kind().equals(kind)) {
        return s.status().toString();
      }
    }
    return "";
  }
}
