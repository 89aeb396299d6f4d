package io.eg4j.model.ir.traffic;

import io.eg4j.model.ir.IrValidation;
import java.util.List;

/**
 * The ClientTrafficPolicy in effect on one listener (a listener section policy over the Gateway's):
 * how Envoy treats downstream connections and requests (TLS, keepalive, client IP detection,
 * headers, timeouts, HTTP/1, HTTP/2, HTTP/3 …). Each feature is its own record in this package,
 * null when the policy does not set it.
 *
 * @param policy the policy's stable id, {@code clienttrafficpolicy/<namespace>/<name>}
 * @param clientIpDetection how the client address is found, or null for the connection's peer
 * @param tcpKeepalive TCP keepalive of downstream connections, or null
 * @param bufferLimitBytes the per-connection buffer limit, or null for Envoy Gateway's 32 KiB
 * @param requestReceivedTimeout how long Envoy waits for a whole request, or null for none
 * @param idleTimeout closes a downstream HTTP connection idle this long, or null for Envoy's 1 h
 * @param streamIdleTimeout resets a stream idle this long, or null for Envoy's 5 min
 * @param acceptHttp10 true to accept HTTP/1.0 requests
 * @param enableTrailers true to pass HTTP/1.1 trailers through
 * @param clientValidation how HTTPS listeners verify client certificates, or null for not at all
 */
public record ClientTrafficIr(
    String policy,
    ClientIpDetectionIr clientIpDetection,
    io.eg4j.model.ir.ClusterSettingsIr.TcpKeepaliveIr tcpKeepalive,
    Long bufferLimitBytes,
    io.eg4j.model.ir.DurationIr requestReceivedTimeout,
    io.eg4j.model.ir.DurationIr idleTimeout,
    io.eg4j.model.ir.DurationIr streamIdleTimeout,
    boolean acceptHttp10,
    boolean enableTrailers,
    ClientValidationIr clientValidation) {
  public ClientTrafficIr {
    IrValidation.requireName(policy, "client traffic policy");
  }

  /**
   * Client IP detection ({@code spec.clientIPDetection}): exactly one way is set.
   *
   * @param xffNumTrustedHops the client is this many addresses from the right of X-Forwarded-For,
   *     or null
   * @param xffTrustedCidrs the client is the rightmost X-Forwarded-For address outside these
   *     proxies' ranges; empty when not used
   * @param skipXffAppend true to leave X-Forwarded-For as received (no address appended)
   * @param customHeader the header that carries the client address, or null
   * @param customHeaderFailClosed true to refuse (403) a request whose header is missing or invalid
   * @param directSourceIp true when the client is the connection's peer (the default made explicit)
   */
  public record ClientIpDetectionIr(
      Integer xffNumTrustedHops,
      List<String> xffTrustedCidrs,
      boolean skipXffAppend,
      String customHeader,
      boolean customHeaderFailClosed,
      boolean directSourceIp) {
    public ClientIpDetectionIr {
      xffTrustedCidrs = xffTrustedCidrs == null ? List.of() : List.copyOf(xffTrustedCidrs);
    }

    /** True when Envoy's geoip filter sees the client address this detection finds. */
    public boolean geoIpCapable() {
      return directSourceIp || customHeader != null || xffNumTrustedHops != null;
    }
  }

  /**
   * Client certificate validation (mutual TLS) on HTTPS listeners.
   *
   * @param caCertificates the PEM bundle of the CAs a client certificate must chain to
   * @param optional true to let clients without a certificate in (one they present is still
   *     verified)
   * @param certificateHashes SHA-256 hashes (hex) of the accepted client certificates; empty for
   *     any
   * @param spkiHashes SHA-256 hashes (base64) of the accepted public keys; empty for any
   * @param subjectAltNames accepted subject alternative names; empty for any
   */
  public record ClientValidationIr(
      String caCertificates,
      boolean optional,
      List<String> certificateHashes,
      List<String> spkiHashes,
      List<SanIr> subjectAltNames) {
    public ClientValidationIr {
      certificateHashes = certificateHashes == null ? List.of() : List.copyOf(certificateHashes);
      spkiHashes = spkiHashes == null ? List.of() : List.copyOf(spkiHashes);
      subjectAltNames = subjectAltNames == null ? List.of() : List.copyOf(subjectAltNames);
      if (caCertificates == null || caCertificates.isBlank()) {
        throw new IllegalArgumentException("client validation needs CA certificates");
      }
    }
  }

  /**
   * A subject alternative name match.
   *
   * @param sanType {@code DNS}, {@code EMAIL}, {@code IP_ADDRESS} or {@code URI}
   * @param matchType {@code Exact}, {@code Prefix}, {@code Suffix} or {@code RegularExpression}
   * @param value the value
   */
  public record SanIr(String sanType, String matchType, String value) {}
}
