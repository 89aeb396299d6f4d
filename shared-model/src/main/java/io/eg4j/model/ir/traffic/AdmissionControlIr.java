package io.eg4j.model.ir.traffic;

import io.eg4j.model.ir.DurationIr;
import java.util.List;

/**
 * Admission control of a route's backends (a BackendTrafficPolicy's {@code admissionControl}):
 * Envoy's {@code admission_control} filter, run on the backend cluster as an upstream filter, keeps
 * the success rate of the requests it sent in a sliding window and rejects new ones locally with a
 * probability that grows as that rate falls below the threshold. Each setting is null when not set,
 * and Envoy's own default applies.
 *
 * @param samplingWindow the window over which the success rate is measured (at least 1 s), or null
 *     for Envoy's 30 s
 * @param minSuccessRate the success rate, in percent (1 to 100), under which requests start being
 *     rejected, or null for Envoy's 95
 * @param aggression how steeply the rejection probability rises as the success rate falls (1 is
 *     linear), or null for Envoy's 1
 * @param minRequestRate the requests per second under which nothing is rejected, or null for
 *     Envoy's 0
 * @param maxRejectionPercent the highest rejection probability, in percent (0 to 100), or null for
 *     Envoy's 80
 * @param httpSuccessCodes the HTTP status codes that count as a success; empty for Envoy's default
 *     (any status under 500)
 * @param grpcSuccessCodes the gRPC status codes (numbers) that count as a success; empty for
 *     Envoy's default
 */
public record AdmissionControlIr(
    DurationIr samplingWindow,
    Integer minSuccessRate,
    Integer aggression,
    Integer minRequestRate,
    Integer maxRejectionPercent,
    List<Integer> httpSuccessCodes,
    List<Integer> grpcSuccessCodes) {
  public AdmissionControlIr {
    httpSuccessCodes = httpSuccessCodes == null ? List.of() : List.copyOf(httpSuccessCodes);
    grpcSuccessCodes = grpcSuccessCodes == null ? List.of() : List.copyOf(grpcSuccessCodes);
    if (samplingWindow != null && samplingWindow.millis() < 1000) {
      throw new IllegalArgumentException("admission control sampling window under 1s");
    }
    if (minSuccessRate != null && (minSuccessRate < 1 || minSuccessRate > 100)) {
      throw new IllegalArgumentException("admission control success rate out of [1, 100]");
    }
    if (maxRejectionPercent != null && (maxRejectionPercent < 0 || maxRejectionPercent > 100)) {
      throw new IllegalArgumentException("admission control rejection percent out of [0, 100]");
    }
    if (aggression != null && aggression < 1) {
      throw new IllegalArgumentException("admission control aggression under 1");
    }
    if (minRequestRate != null && minRequestRate < 0) {
      throw new IllegalArgumentException("negative admission control request rate");
    }
  }
}
