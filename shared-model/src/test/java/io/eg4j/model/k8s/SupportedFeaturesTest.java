package io.eg4j.model.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The features GatewayClasses publish are the ones the conformance suite runs eg4j with. */
class SupportedFeaturesTest {
  @Test
  void thePublishedFeaturesAreTheConformanceClaimSorted() throws IOException {
    Path claim = Path.of("../conformance/suite/supported-features.txt");
    List<String> claimed =
        Files.readAllLines(claim).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .sorted()
            .toList();
    assertThat(SupportedFeatures.NAMES).isEqualTo(claimed).isSorted();
    assertThat(SupportedFeatures.toJson()).hasSize(claimed.size());
    assertThat(SupportedFeatures.toJson().get(0).path("name").asText())
        .isEqualTo(SupportedFeatures.NAMES.get(0));
  }
}
