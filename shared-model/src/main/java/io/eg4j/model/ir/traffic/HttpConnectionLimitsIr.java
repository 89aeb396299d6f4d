package io.eg4j.model.ir.traffic;

import io.eg4j.model.ir.DurationIr;

/**
 * Limits on downstream HTTP connections and streams (a ClientTrafficPolicy's {@code
 * connection.connectionLimit} HTTP limits and {@code timeout.http.requestHeadersReceivedTimeout}),
 * in the listener's HTTP connection manager. Each is null when not set: no limit.
 *
 * @param requestHeadersTimeout how long the request headers may take once their first byte came
 * @param maxConnectionDuration a connection older than this is drained and closed
 * @param maxRequestsPerConnection requests served on one connection before it is closed
 * @param maxStreamDuration a stream older than this is reset
 * @param http1SafeMaxConnectionDuration true when an HTTP/1 connection past its maximum duration is
 *     closed only after the next response, with {@code Connection: close}, rather than drained at
 *     once
 */
public record HttpConnectionLimitsIr(
    DurationIr requestHeadersTimeout,
    DurationIr maxConnectionDuration,
    Long maxRequestsPerConnection,
    DurationIr maxStreamDuration,
    boolean http1SafeMaxConnectionDuration) {
  public HttpConnectionLimitsIr {
    if (maxRequestsPerConnection != null && maxRequestsPerConnection < 1) {
      throw new IllegalArgumentException("max requests per connection under 1");
    }
  }
}
