package io.eg4j.xds.core.filters;

import io.eg4j.model.ir.security.PolicyRetryIr;
import io.eg4j.xds.core.Protos;
import io.envoyproxy.envoy.config.core.v3.BackoffStrategy;
import io.envoyproxy.envoy.config.core.v3.RetryPolicy;

/** The retry policy of a filter's call to its own backend (JWKS, token endpoint, authz service). */
final class PolicyRetries {
  private PolicyRetries() {}

  static RetryPolicy of(PolicyRetryIr r) {
    RetryPolicy.Builder b = RetryPolicy.newBuilder().setNumRetries(Protos.u32(r.numRetries()));
    if (r.baseInterval() != null) {
      BackoffStrategy.Builder backOff =
          BackoffStrategy.newBuilder().setBaseInterval(Protos.millis(r.baseInterval().millis()));
      if (r.maxInterval() != null) {
        backOff.setMaxInterval(Protos.millis(r.maxInterval().millis()));
      }
      b.setRetryBackOff(backOff);
    }
    if (!r.retryOn().isEmpty()) {
      b.setRetryOn(String.join(",", r.retryOn()));
    }
    return b.build();
  }

  /**
   * The timeout of a filter's own call to a policy backend (JWKS fetch, OIDC token exchange): the
   * backend's {@code timeout.http.requestTimeout}, else 10 seconds.
   */
  static com.google.protobuf.Duration requestTimeout(io.eg4j.model.ir.RouteDestinationIr dest) {
    return dest != null && dest.cluster() != null && dest.cluster().requestTimeout() != null
        ? io.eg4j.xds.core.Protos.millis(dest.cluster().requestTimeout().millis())
        : io.eg4j.xds.core.Protos.seconds(10);
  }
}
