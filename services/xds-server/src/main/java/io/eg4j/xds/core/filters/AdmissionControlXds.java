package io.eg4j.xds.core.filters;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.BoolValue;
import io.eg4j.model.ir.traffic.AdmissionControlIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.RuntimeDouble;
import io.envoyproxy.envoy.config.core.v3.RuntimeFeatureFlag;
import io.envoyproxy.envoy.config.core.v3.RuntimePercent;
import io.envoyproxy.envoy.config.core.v3.RuntimeUInt32;
import io.envoyproxy.envoy.extensions.filters.http.admission_control.v3.AdmissionControl;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.Int32Range;
import io.envoyproxy.envoy.type.v3.Percent;

/**
 * BackendTrafficPolicy admission control, as Envoy Gateway builds it: Envoy's {@code
 * admission_control} filter is not configurable per route, so it runs as an upstream HTTP filter of
 * each cluster of the policy's routes, where it tracks that cluster's own success rate. It is
 * enabled whenever the policy sets it; a setting left out keeps Envoy's default. Envoy needs an
 * evaluation criterion, so the success criteria are always sent, empty for Envoy's defaults.
 */
public final class AdmissionControlXds {
  /** The filter's name (Envoy Gateway's). */
  public static final String NAME = "envoy.filters.http.admission_control";

  private AdmissionControlXds() {}

  /** The upstream filter for {@code ac}; the cluster's codec filter must follow it. */
  public static HttpFilter upstreamFilter(AdmissionControlIr ac) {
    return HttpFilter.newBuilder().setName(NAME).setTypedConfig(any(config(ac))).build();
  }

  static AdmissionControl config(AdmissionControlIr ac) {
    AdmissionControl.Builder b =
        AdmissionControl.newBuilder()
            .setEnabled(RuntimeFeatureFlag.newBuilder().setDefaultValue(BoolValue.of(true)));
    if (ac.samplingWindow() != null) {
      b.setSamplingWindow(Protos.millis(ac.samplingWindow().millis()));
    }
    if (ac.minSuccessRate() != null) {
      b.setSrThreshold(
          RuntimePercent.newBuilder()
              .setDefaultValue(Percent.newBuilder().setValue(ac.minSuccessRate())));
    }
    if (ac.aggression() != null) {
      b.setAggression(RuntimeDouble.newBuilder().setDefaultValue(ac.aggression()));
    }
    if (ac.minRequestRate() != null) {
      b.setRpsThreshold(RuntimeUInt32.newBuilder().setDefaultValue(ac.minRequestRate()));
    }
    if (ac.maxRejectionPercent() != null) {
      b.setMaxRejectionProbability(
          RuntimePercent.newBuilder()
              .setDefaultValue(Percent.newBuilder().setValue(ac.maxRejectionPercent())));
    }
    AdmissionControl.SuccessCriteria.Builder criteria =
        AdmissionControl.SuccessCriteria.newBuilder();
    if (!ac.httpSuccessCodes().isEmpty()) {
      AdmissionControl.SuccessCriteria.HttpCriteria.Builder http =
          AdmissionControl.SuccessCriteria.HttpCriteria.newBuilder();
      // Each code is its own half-open range [code, code + 1).
      ac.httpSuccessCodes()
          .forEach(
              c -> http.addHttpSuccessStatus(Int32Range.newBuilder().setStart(c).setEnd(c + 1)));
      criteria.setHttpCriteria(http);
    }
    if (!ac.grpcSuccessCodes().isEmpty()) {
      criteria.setGrpcCriteria(
          AdmissionControl.SuccessCriteria.GrpcCriteria.newBuilder()
              .addAllGrpcSuccessStatus(ac.grpcSuccessCodes()));
    }
    return b.setSuccessCriteria(criteria).build();
  }
}
