package io.eg4j.xds.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.ir.XdsIr.JsonPatchIr;
import io.eg4j.model.status.EnvoyPatchOutcomes;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code Programmed} condition of each EnvoyPatchPolicy, from what became of its operations, as
 * Envoy Gateway sets it: {@code ResourceNotFound} before {@code Invalid} before {@code Programmed}.
 */
class PatchOutcomesTest {
  private static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
  private static final String ROUTE =
      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

  private static XdsResources resources() {
    return new XdsResources(
        List.of(Listener.newBuilder().setName("default/eg/http").build()),
        List.of(RouteConfiguration.newBuilder().setName("default/eg/http").build()),
        List.of(),
        List.of(),
        List.of());
  }

  private static JsonPatchIr op(String policy, String type, String name, String op, String path) {
    // A value every field these tests touch takes: a number for the buffer limit, else a boolean.
    String value = path.contains("limit_bytes") ? "1024" : "true";
    return new JsonPatchIr(policy, type, name, op, path, null, value, null);
  }

  private static List<EnvoyPatchOutcomes.Policy> outcomes(List<JsonPatchIr> patches) {
    List<JsonPatches.Failure> failures = new ArrayList<>();
    JsonPatches.apply(resources(), patches, failures);
    return PatchOutcomes.of(patches, failures);
  }

  @Test
  void aPolicyWhoseOperationsAllApplyIsProgrammed() {
    List<EnvoyPatchOutcomes.Policy> out =
        outcomes(
            List.of(
                op("default/good", LISTENER, "default/eg/http", "add", "/ignore_global_conn_limit"),
                op(
                    "default/good",
                    LISTENER,
                    "default/eg/http",
                    "add",
                    "/per_connection_buffer_limit_bytes")));
    assertThat(out)
        .containsExactly(
            new EnvoyPatchOutcomes.Policy(
                "default/good", true, "Programmed", "Patches have been successfully applied."));
  }

  @Test
  void anOperationOnAMissingPathMakesThePolicyInvalidWithTheOperationAndTheResource() {
    List<EnvoyPatchOutcomes.Policy> out =
        outcomes(
            List.of(
                op("default/bad", LISTENER, "default/eg/http", "replace", "/no/such/path"),
                op(
                    "default/good",
                    LISTENER,
                    "default/eg/http",
                    "add",
                    "/ignore_global_conn_limit")));
    assertThat(out).hasSize(2);
    EnvoyPatchOutcomes.Policy bad = out.get(0);
    assertThat(bad.policy()).isEqualTo("default/bad");
    assertThat(bad.programmed()).isFalse();
    assertThat(bad.reason()).isEqualTo("Invalid");
    assertThat(bad.message())
        .startsWith("Unable to apply patch:\n[{\"op\":\"replace\",\"path\":\"/no/such/path\",")
        .contains(" on resource:\n{\"name\":\"default/eg/http\"}, err: ")
        .endsWith(".");
    // One policy's failure is not another's.
    assertThat(out.get(1).programmed()).isTrue();
  }

  @Test
  void aResultThatIsNotAValidResourceIsInvalid() {
    List<EnvoyPatchOutcomes.Policy> out =
        outcomes(List.of(op("default/p", LISTENER, "default/eg/http", "add", "/not_a_field")));
    assertThat(out.get(0).reason()).isEqualTo("Invalid");
    assertThat(out.get(0).message()).startsWith("Unable to unmarshal xds resource {");
  }

  @Test
  void missingResourcesAreListedAndWinOverInvalidOperations() {
    List<EnvoyPatchOutcomes.Policy> out =
        outcomes(
            List.of(
                op("default/p", LISTENER, "default/eg/nope", "replace", "/name"),
                op("default/p", LISTENER, "default/eg/http", "replace", "/no/such/path"),
                op("default/p", ROUTE, "default/eg/gone", "add", "/validate_clusters")));
    assertThat(out)
        .containsExactly(
            new EnvoyPatchOutcomes.Policy(
                "default/p",
                false,
                "ResourceNotFound",
                "Unable to find xds resources: "
                    + LISTENER
                    + "/default/eg/nope,"
                    + ROUTE
                    + "/default/eg/gone"));
  }

  @Test
  void severalErrorsOfAPolicyAreOneALine() {
    List<EnvoyPatchOutcomes.Policy> out =
        outcomes(
            List.of(
                op("default/p", LISTENER, "default/eg/http", "replace", "/a"),
                op("default/p", LISTENER, "default/eg/http", "remove", "/b")));
    assertThat(out.get(0).message().split("\n"))
        .filteredOn(l -> l.startsWith("Unable to apply patch:") || l.startsWith("unable"))
        .hasSize(2);
  }

  @Test
  void conditionMessagesAreCapitalizedEndWithAFullStopAndFitKubernetes() {
    assertThat(PatchOutcomes.conditionMessage("unable to x")).isEqualTo("Unable to x.");
    assertThat(PatchOutcomes.conditionMessage("done.")).isEqualTo("Done.");
    String cut = PatchOutcomes.truncate("x".repeat(40_000));
    assertThat(cut).hasSize(PatchOutcomes.MAX_MESSAGE).endsWith(" (message truncated).");
  }

  @Test
  void theSnapshotComponentReportsOutcomesTiedToTheIrHashAndNoneWithoutPatches() {
    List<Object[]> reported = new ArrayList<>();
    XdsEvents events =
        new XdsEvents() {
          @Override
          public void patchOutcomes(String irKey, EnvoyPatchOutcomes outcomes) {
            reported.add(new Object[] {irKey, outcomes});
          }
        };
    XdsIr withPatch;
    try (XdsSnapshots snapshots = new XdsSnapshots(events, java.time.Duration.ofSeconds(1))) {
      withPatch =
          new XdsIr(
              "default/eg",
              List.of(),
              List.of(),
              List.of(),
              List.of(),
              null,
              null,
              List.of(op("default/p", LISTENER, "default/eg/missing", "replace", "/name")),
              null,
              null);
      snapshots.update(withPatch, "hash-1");
      snapshots.update(
          new XdsIr("default/eg", List.of(), List.of(), List.of(), List.of(), null, null));
      snapshots.update(withPatch);
      snapshots.remove("default/eg");
    }
    assertThat(reported).hasSize(4);
    EnvoyPatchOutcomes first = (EnvoyPatchOutcomes) reported.get(0)[1];
    assertThat(first.irKey()).isEqualTo("default/eg");
    assertThat(first.irHash()).isEqualTo("hash-1");
    assertThat(first.policies())
        .extracting(EnvoyPatchOutcomes.Policy::reason)
        .containsExactly("ResourceNotFound");
    assertThat(reported.get(1)[1]).isNull();
    // Without the envelope's hash, the IR's own content hash, as the translator publishes it.
    assertThat(((EnvoyPatchOutcomes) reported.get(2)[1]).irHash())
        .isEqualTo(
            io.eg4j.model.bus.ContentHash.of(io.eg4j.model.bus.Json.MAPPER.valueToTree(withPatch)));
    assertThat(reported.get(3)[1]).isNull();
  }
}
