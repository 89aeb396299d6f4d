package io.eg4j.translator.core;

import io.eg4j.model.ir.InfraIr;
import io.eg4j.model.ir.XdsIr;
import io.eg4j.model.status.ResourceStatus;
import java.util.List;
import java.util.Map;

/**
 * The output of one translation.
 *
 * @param statuses one status per resource the translator owns a status for, sorted by key
 * @param xdsIr xDS IR by IR key
 * @param infraIr infra IR by fleet name
 * @param endpointSources where each destination setting's endpoints come from, by setting name;
 *     lets {@link EndpointFastPath} refresh endpoints when only EndpointSlices changed
 * @param endpointIndex what the fast path needs to rebuild only the affected destination settings,
 *     or null (then the fast path declines and a full translation runs)
 */
public record TranslateResult(
    List<ResourceStatus> statuses,
    Map<String, XdsIr> xdsIr,
    Map<String, InfraIr> infraIr,
    Map<String, EndpointSource> endpointSources,
    EndpointIndex endpointIndex) {
  public TranslateResult {
    statuses = List.copyOf(statuses);
    xdsIr = Map.copyOf(xdsIr);
    infraIr = Map.copyOf(infraIr);
    endpointSources = endpointSources == null ? Map.of() : Map.copyOf(endpointSources);
  }

  /** A result with endpoint sources but no index (no fast path possible). */
  public TranslateResult(
      List<ResourceStatus> statuses,
      Map<String, XdsIr> xdsIr,
      Map<String, InfraIr> infraIr,
      Map<String, EndpointSource> endpointSources) {
    this(statuses, xdsIr, infraIr, endpointSources, null);
  }

  /** A result without endpoint sources (no fast path possible). */
  public TranslateResult(
      List<ResourceStatus> statuses, Map<String, XdsIr> xdsIr, Map<String, InfraIr> infraIr) {
    this(statuses, xdsIr, infraIr, Map.of(), null);
  }
}
