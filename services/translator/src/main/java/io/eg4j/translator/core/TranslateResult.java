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
 */
public record TranslateResult(
    List<ResourceStatus> statuses, Map<String, XdsIr> xdsIr, Map<String, InfraIr> infraIr) {
  public TranslateResult {
    statuses = List.copyOf(statuses);
    xdsIr = Map.copyOf(xdsIr);
    infraIr = Map.copyOf(infraIr);
  }
}
