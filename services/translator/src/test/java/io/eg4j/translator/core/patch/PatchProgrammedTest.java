package io.eg4j.translator.core.patch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eg4j.model.bus.Json;
import io.eg4j.model.config.EnvoyGatewayConfig;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import io.eg4j.model.status.ResourceStatus;
import io.eg4j.model.yaml.ManifestReader;
import io.eg4j.translator.core.ResourceSnapshot;
import io.eg4j.translator.core.TranslateResult;
import io.eg4j.translator.core.Translator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code Programmed} condition of EnvoyPatchPolicies, merged from the xds-servers' outcomes
 * into the statuses of a real translation: only the outcome of the IR being published counts.
 */
class PatchProgrammedTest {
  private static final String NOW = "2026-01-01T00:00:00Z";

  private static final String BASE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: eg}
      spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {namespace: default, name: eg}
      spec:
        gatewayClassName: eg
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyPatchPolicy
      metadata: {namespace: default, name: p, generation: 3}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg}
        type: JSONPatch
        jsonPatches:
        - {type: type.googleapis.com/envoy.config.listener.v3.Listener, name: default/eg/http,
           operation: {op: replace, path: /no/such/path, value: 1}}
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyPatchPolicy
      metadata: {namespace: default, name: empty, generation: 1}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: eg}
        type: JSONPatch
      ---
      apiVersion: gateway.envoyproxy.io/v1alpha1
      kind: EnvoyPatchPolicy
      metadata: {namespace: default, name: wrong-kind, generation: 1}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: GatewayClass, name: eg}
        type: JSONPatch
        jsonPatches:
        - {type: type.googleapis.com/envoy.config.listener.v3.Listener, name: default/eg/http,
           operation: {op: add, path: /ignore_global_conn_limit, value: true}}
      """;

  private static TranslateResult translate() throws Exception {
    return translate(3);
  }

  private static TranslateResult translate(int generation) throws Exception {
    String yaml = BASE.replace("name: p, generation: 3", "name: p, generation: " + generation);
    List<ObjectNode> docs =
        ManifestReader.read(
            "test", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    return new Translator(
            EnvoyGatewayConfig.from(
                Json.YAML.readTree(
                    "apiVersion: gateway.envoyproxy.io/v1alpha1\n"
                        + "kind: EnvoyGateway\n"
                        + "extensionApis: {enableEnvoyPatchPolicy: true}\n")))
        .translate(ResourceSnapshot.of(docs));
  }

  private static JsonNode programmed(TranslateResult r, String name) {
    for (ResourceStatus s : r.statuses()) {
      if (s.key().kind().equals("EnvoyPatchPolicy") && s.key().name().equals(name)) {
        for (JsonNode c : s.status().path("ancestors").get(0).path("conditions")) {
          if (c.path("type").asText().equals("Programmed")) {
            return c;
          }
        }
      }
    }
    return null;
  }

  private static EnvoyPatchOutcomes outcomes(String hash, boolean ok) {
    return new EnvoyPatchOutcomes(
        "default/eg",
        hash,
        List.of(
            ok
                ? new EnvoyPatchOutcomes.Policy(
                    "default/p", true, "Programmed", "Patches have been successfully applied.")
                : new EnvoyPatchOutcomes.Policy(
                    "default/p", false, "Invalid", "Unable to apply patch: boom.")));
  }

  @Test
  void theOutcomeOfThePublishedIrIsMergedIntoTheAcceptedAncestor() throws Exception {
    TranslateResult raw = translate();
    PatchProgrammed pp = new PatchProgrammed();
    assertThat(pp.offer(outcomes("h1", false))).isTrue();
    TranslateResult r = pp.apply(raw, Map.of("default/eg", "h1")::get, NOW);
    JsonNode c = programmed(r, "p");
    assertThat(c).isNotNull();
    assertThat(c.path("status").asText()).isEqualTo("False");
    assertThat(c.path("reason").asText()).isEqualTo("Invalid");
    assertThat(c.path("message").asText()).isEqualTo("Unable to apply patch: boom.");
    assertThat(c.path("observedGeneration").asLong()).isEqualTo(3);
    assertThat(c.path("lastTransitionTime").asText()).isEqualTo(NOW);
    // The input is left as it was.
    assertThat(programmed(raw, "p")).isNull();
  }

  @Test
  void anOutcomeOfAnotherIrIsNotUsed() throws Exception {
    TranslateResult raw = translate();
    PatchProgrammed pp = new PatchProgrammed();
    pp.offer(outcomes("old", true));
    TranslateResult r = pp.apply(raw, Map.of("default/eg", "new")::get, NOW);
    assertThat(programmed(r, "p")).isNull();
    // Once the outcome of the IR published arrives, it counts; the older one is kept in case an
    // update is rolled back, and never mixed up with it.
    pp.offer(outcomes("new", false));
    assertThat(programmed(pp.apply(raw, Map.of("default/eg", "new")::get, NOW), "p").path("reason"))
        .hasToString("\"Invalid\"");
    assertThat(programmed(pp.apply(raw, Map.of("default/eg", "old")::get, NOW), "p").path("reason"))
        .hasToString("\"Programmed\"");
  }

  @Test
  void whileANewIrsOutcomeIsOnItsWayTheSameGenerationKeepsItsOutcomeAndANewOneDoesNot()
      throws Exception {
    PatchProgrammed pp = new PatchProgrammed();
    pp.offer(outcomes("h1", false));
    assertThat(programmed(pp.apply(translate(3), Map.of("default/eg", "h1")::get, NOW), "p"))
        .isNotNull();
    // An endpoint change: another IR, the same generation of the policy.
    JsonNode kept = programmed(pp.apply(translate(3), Map.of("default/eg", "h2")::get, NOW), "p");
    assertThat(kept).isNotNull();
    assertThat(kept.path("reason").asText()).isEqualTo("Invalid");
    // A new generation: nothing until the outcome of its IR.
    assertThat(programmed(pp.apply(translate(4), Map.of("default/eg", "h3")::get, NOW), "p"))
        .isNull();
    pp.offer(outcomes("h3", true));
    JsonNode fresh = programmed(pp.apply(translate(4), Map.of("default/eg", "h3")::get, NOW), "p");
    assertThat(fresh.path("status").asText()).isEqualTo("True");
    assertThat(fresh.path("observedGeneration").asLong()).isEqualTo(4);
  }

  @Test
  void duplicatesChangeNothing() {
    PatchProgrammed pp = new PatchProgrammed();
    assertThat(pp.offer(outcomes("h", true))).isTrue();
    assertThat(pp.offer(outcomes("h", true))).isFalse();
    assertThat(pp.knows("default/eg", "h")).isTrue();
    assertThat(pp.offer(outcomes("h", false))).isTrue();
  }

  @Test
  void onlyAFewHashesPerKeyAreKept() {
    PatchProgrammed pp = new PatchProgrammed();
    for (int i = 0; i < PatchProgrammed.HASHES_PER_KEY + 2; i++) {
      pp.offer(outcomes("h" + i, true));
    }
    assertThat(pp.knows("default/eg", "h0")).isFalse();
    assertThat(pp.knows("default/eg", "h" + (PatchProgrammed.HASHES_PER_KEY + 1))).isTrue();
  }

  @Test
  void aPolicyWithNoOperationsIsProgrammedAtOnceAndARefusedOneNever() throws Exception {
    TranslateResult raw = translate();
    TranslateResult r = new PatchProgrammed().apply(raw, k -> "none", NOW);
    JsonNode empty = programmed(r, "empty");
    assertThat(empty).isNotNull();
    assertThat(empty.path("status").asText()).isEqualTo("True");
    assertThat(empty.path("message").asText()).isEqualTo("Patches have been successfully applied.");
    // Accepted=False: no Programmed condition, as Envoy Gateway has it.
    assertThat(programmed(r, "wrong-kind")).isNull();
    // Outcomes not known yet: no Programmed condition.
    assertThat(programmed(r, "p")).isNull();
  }

  @Test
  void ancestorRefsNameTheirIrKey() throws Exception {
    assertThat(
            PatchProgrammed.irKey(
                Json.MAPPER.readTree(
                    "{\"group\":\"gateway.networking.k8s.io\",\"kind\":\"Gateway\",\"name\":\"eg\"}"),
                "ns"))
        .isEqualTo("ns/eg");
    assertThat(
            PatchProgrammed.irKey(
                Json.MAPPER.readTree(
                    "{\"group\":\"gateway.networking.k8s.io\",\"kind\":\"GatewayClass\","
                        + "\"name\":\"eg\"}"),
                "ns"))
        .isEqualTo("eg");
    assertThat(PatchProgrammed.irKey(Json.MAPPER.readTree("{\"kind\":\"Service\"}"), "ns"))
        .isNull();
  }
}
