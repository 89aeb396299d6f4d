package io.eg4j.translator.core.policy.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import io.eg4j.model.ir.DurationIr;
import io.eg4j.model.ir.traffic.AdmissionControlIr;
import io.eg4j.translator.core.policy.PolicyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code spec.admissionControl}: Envoy's admission control on the route's backend clusters, which
 * rejects requests locally (503) with a probability that grows as the backends' recent success rate
 * falls below {@code minSuccessRate}. An empty {@code admissionControl} turns it on with Envoy's
 * defaults. The ranges are the CRD's, checked again here because a file-mode manifest never passed
 * the API server's validation.
 */
final class AdmissionControlTranslator {
  private AdmissionControlTranslator() {}

  private static final String A = "admissionControl";

  static final List<String> SUPPORTED =
      List.of(
          A,
          A + ".samplingWindow",
          A + ".minSuccessRate",
          A + ".rejectionAggression",
          A + ".minRequestRate",
          A + ".maxRejectionPercent",
          A + ".successCriteria",
          A + ".successCriteria.http",
          A + ".successCriteria.http.statusCodes",
          A + ".successCriteria.http.statusCodes[]",
          A + ".successCriteria.grpc",
          A + ".successCriteria.grpc.statusCodes",
          A + ".successCriteria.grpc.statusCodes[]");

  /** The gRPC status names of the CRD's enum, with their numbers (grpc/doc/statuscodes.md). */
  private static final Map<String, Integer> GRPC_CODES =
      Map.ofEntries(
          Map.entry("Ok", 0),
          Map.entry("Cancelled", 1),
          Map.entry("Unknown", 2),
          Map.entry("InvalidArgument", 3),
          Map.entry("DeadlineExceeded", 4),
          Map.entry("NotFound", 5),
          Map.entry("AlreadyExists", 6),
          Map.entry("PermissionDenied", 7),
          Map.entry("ResourceExhausted", 8),
          Map.entry("FailedPrecondition", 9),
          Map.entry("Aborted", 10),
          Map.entry("OutOfRange", 11),
          Map.entry("Unimplemented", 12),
          Map.entry("Internal", 13),
          Map.entry("Unavailable", 14),
          Map.entry("DataLoss", 15),
          Map.entry("Unauthenticated", 16));

  /** The admission control the policy asks for, or null when it sets none. */
  static AdmissionControlIr translate(JsonNode spec) throws PolicyException {
    JsonNode ac = spec.path(A);
    if (ac.isMissingNode() || ac.isNull()) {
      return null;
    }
    String where = "spec." + A;
    if (!ac.isObject()) {
      throw new PolicyException(where + ": must be an object");
    }
    DurationIr window = null;
    JsonNode w = ac.path("samplingWindow");
    if (!w.isMissingNode() && !w.isNull()) {
      try {
        window = DurationIr.parse(w.asText());
      } catch (IllegalArgumentException e) {
        throw new PolicyException(where + ".samplingWindow: invalid duration " + w.asText());
      }
      if (window.millis() < 1000) {
        // Envoy truncates the window to whole seconds and divides by it.
        throw new PolicyException(where + ".samplingWindow: samplingWindow must be at least 1s");
      }
    }
    Integer minSuccessRate = integer(ac, "minSuccessRate", 1, 100, where);
    Integer aggression = integer(ac, "rejectionAggression", 1, Integer.MAX_VALUE, where);
    Integer minRequestRate = integer(ac, "minRequestRate", 0, Integer.MAX_VALUE, where);
    Integer maxRejection = integer(ac, "maxRejectionPercent", 0, 100, where);
    JsonNode criteria = ac.path("successCriteria");
    List<Integer> http = new ArrayList<>();
    for (JsonNode c : criteria.path("http").path("statusCodes")) {
      if (!c.canConvertToInt() || c.asInt() < 100 || c.asInt() > 599) {
        throw new PolicyException(
            where + ".successCriteria.http.statusCodes: invalid HTTP status " + c.asText());
      }
      http.add(c.asInt());
    }
    List<Integer> grpc = new ArrayList<>();
    for (JsonNode c : criteria.path("grpc").path("statusCodes")) {
      Integer code = GRPC_CODES.get(c.asText());
      if (code == null) {
        throw new PolicyException(
            where + ".successCriteria.grpc.statusCodes: unknown gRPC status " + c.asText());
      }
      grpc.add(code);
    }
    return new AdmissionControlIr(
        window, minSuccessRate, aggression, minRequestRate, maxRejection, http, grpc);
  }

  private static Integer integer(JsonNode ac, String field, int min, int max, String where)
      throws PolicyException {
    JsonNode v = ac.path(field);
    if (v.isMissingNode() || v.isNull()) {
      return null;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
      throw new PolicyException(
          where
              + "."
              + field
              + ": must be "
              + (max == Integer.MAX_VALUE ? "at least " + min : "between " + min + " and " + max));
    }
    return v.asInt();
  }
}
