package io.eg4j.statuswriter.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.k8s.SupportedFeatures;
import io.eg4j.model.status.ResourceStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The default status of a GatewayClass of ours: Accepted, with the features eg4j supports. */
class GatewayClassAcceptedTest {
  private static GenericKubernetesResource gatewayClass(String controller) {
    GenericKubernetesResource gc = new GenericKubernetesResource();
    gc.setApiVersion("gateway.networking.k8s.io/v1");
    gc.setKind("GatewayClass");
    gc.setMetadata(new ObjectMetaBuilder().withName("eg").withGeneration(3L).build());
    gc.setAdditionalProperty("spec", Map.of("controllerName", controller));
    return gc;
  }

  @Test
  void ourClassIsAcceptedAndPublishesTheSupportedFeaturesSorted() {
    ResourceStatus s =
        GatewayClassAccepted.of(gatewayClass("example.com/eg4j"), "example.com/eg4j");
    assertThat(s).isNotNull();
    assertThat(s.status().at("/conditions/0/type").asText()).isEqualTo("Accepted");
    assertThat(s.status().at("/conditions/0/status").asText()).isEqualTo("True");
    var features = s.status().path("supportedFeatures");
    assertThat(features).hasSize(SupportedFeatures.NAMES.size());
    for (int i = 0; i < features.size(); i++) {
      assertThat(features.get(i).path("name").asText()).isEqualTo(SupportedFeatures.NAMES.get(i));
    }
    assertThat(SupportedFeatures.NAMES)
        .contains("GatewayFrontendClientCertificateValidation", "GatewayInfrastructurePropagation")
        .isSorted();
  }

  @Test
  void anotherControllersClassGetsNoStatus() {
    assertThat(GatewayClassAccepted.of(gatewayClass("other.io/gw"), "example.com/eg4j")).isNull();
  }
}
