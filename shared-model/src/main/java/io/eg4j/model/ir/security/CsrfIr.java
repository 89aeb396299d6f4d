package io.eg4j.model.ir.security;

import java.util.List;

/**
 * CSRF protection (Envoy's csrf filter): a mutating request whose Origin matches neither the
 * destination nor one of the additional origins is refused with 403.
 *
 * @param additionalOrigins extra allowed origins as the policy writes them ({@code
 *     https://www.example.com}, {@code https://*.trusted.com}, {@code *}); Envoy compares host and
 *     port only, so the xds-server drops the scheme
 * @param shadowNumerator the share of requests only checked in shadow mode (counted, never
 *     refused), over {@code shadowDenominator}; 0 to enforce on every request
 * @param shadowDenominator 100, 10,000 or 1,000,000
 */
public record CsrfIr(List<String> additionalOrigins, int shadowNumerator, int shadowDenominator) {
  public CsrfIr {
    additionalOrigins = additionalOrigins == null ? List.of() : List.copyOf(additionalOrigins);
    if (shadowDenominator != 100 && shadowDenominator != 10_000 && shadowDenominator != 1_000_000) {
      throw new IllegalArgumentException("CSRF shadow denominator must be 100, 10000 or 1000000");
    }
    if (shadowNumerator < 0 || shadowNumerator > shadowDenominator) {
      throw new IllegalArgumentException("CSRF shadow fraction out of range");
    }
  }
}
