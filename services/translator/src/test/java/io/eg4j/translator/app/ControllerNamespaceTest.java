package io.eg4j.translator.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.Translator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.mock.env.MockEnvironment;

/**
 * The translator service takes the control plane's namespace from its own configuration (as Envoy
 * Gateway takes it from its environment), not from a test-only key of the EnvoyGateway file: the
 * infra IR it publishes names the namespace the chart installed it in.
 */
class ControllerNamespaceTest {
  static final String MANIFESTS =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: eg, namespace: default, generation: 1}
      spec:
        gatewayClassName: eg
        listeners:
        - {name: http, protocol: HTTP, port: 80}
      """;

  @TempDir Path tmp;

  private EnvoyGatewayConfig config(MockEnvironment env, String file) throws Exception {
    TranslatorProperties props = new TranslatorProperties();
    if (file != null) {
      Path f = tmp.resolve("envoy-gateway.yaml");
      Files.writeString(f, file);
      props.setConfigFile(f);
    }
    return new TranslatorConfiguration().translatorEnvoyGatewayConfig(props, env);
  }

  private static String fleetNamespace(EnvoyGatewayConfig config) throws Exception {
    List<ObjectNode> objects =
        ManifestReader.read(
            "test", new ByteArrayInputStream(MANIFESTS.getBytes(StandardCharsets.UTF_8)));
    InfraIr ir =
        new Translator(config).translate(ResourceSnapshot.of(objects)).infraIr().get("default/eg");
    assertThat(ir).as("infra IR of default/eg").isNotNull();
    return ir.namespace();
  }

  @Test
  void podNamespaceFromTheDownwardApiNamesTheFleetNamespace() throws Exception {
    EnvoyGatewayConfig c =
        config(
            new MockEnvironment().withProperty("POD_NAMESPACE", "eg4j-release"),
            "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\n"
                + "provider: {type: Kubernetes}\n");
    assertThat(c.controllerNamespace()).isEqualTo("eg4j-release");
    assertThat(fleetNamespace(c)).isEqualTo("eg4j-release");
  }

  @Test
  void theSpringPropertyWinsOverPodNamespaceAndTheTestKey() throws Exception {
    EnvoyGatewayConfig c =
        config(
            new MockEnvironment()
                .withProperty("eg4j.controller-namespace", "from-property")
                .withProperty("POD_NAMESPACE", "from-pod"),
            "x-eg4j-test: {controllerNamespace: from-test-key}\n");
    assertThat(c.controllerNamespace()).isEqualTo("from-property");
    assertThat(fleetNamespace(c)).isEqualTo("from-property");
  }

  @Test
  void theTestKeyIsOnlyAnExplicitOverrideWhenTheServiceIsNotConfigured() throws Exception {
    assertThat(
            config(new MockEnvironment(), "x-eg4j-test: {controllerNamespace: corpus}\n")
                .controllerNamespace())
        .isEqualTo("corpus");
    // Deployed, POD_NAMESPACE is always set and the key is ignored.
    assertThat(
            config(
                    new MockEnvironment().withProperty("POD_NAMESPACE", "eg4j-release"),
                    "x-eg4j-test: {controllerNamespace: corpus}\n")
                .controllerNamespace())
        .isEqualTo("eg4j-release");
    assertThat(config(new MockEnvironment(), null).controllerNamespace())
        .isEqualTo(EnvoyGatewayConfig.DEFAULT_NAMESPACE);
  }
}
