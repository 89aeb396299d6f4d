package io.eg4j.model.ir.security;

import io.eg4j.model.ir.DurationIr;
import java.util.List;

/**
 * Retries of a call a policy's filter makes to its own backend ({@code backendSettings.retry} of a
 * JWKS, OIDC token endpoint or external authorization service).
 *
 * @param numRetries how many times to retry
 * @param baseInterval the back-off's base interval, or null for Envoy's default
 * @param maxInterval the back-off's longest interval, or null for Envoy's default
 * @param retryOn Envoy retry conditions ({@code 5xx}, {@code gateway-error}, {@code reset}, {@code
 *     unavailable} …); empty for Envoy's default
 */
public record PolicyRetryIr(
    int numRetries, DurationIr baseInterval, DurationIr maxInterval, List<String> retryOn) {
  public PolicyRetryIr {
    retryOn = retryOn == null ? List.of() : List.copyOf(retryOn);
    if (numRetries < 0) {
      throw new IllegalArgumentException("negative retry count");
    }
  }
}
