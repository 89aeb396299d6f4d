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
 * @param tls the TLS parameters of HTTPS listeners (versions, ciphers, curves, signature
 *     algorithms, ALPN, session resumption)
 * @param connectionManager path, header, HTTP/2 and health check settings, or null
 * @param http3 true to serve HTTP/3 too on HTTPS listeners: a QUIC (UDP) listener on the same port
 *     with the same certificates, advertised by an {@code alt-svc} header on the TCP listener's
 *     responses
 * @param disableRateLimitHeaders true to leave out the {@code x-ratelimit-*} response headers of
 *     the listener's local and global rate limits (a rule's own {@code xRateLimitHeaders} wins)
 * @param httpLimits limits on downstream HTTP connections and streams, or null for none
 * @param socket the listener's socket and TCP settings and the scheme sent upstream, or null for
 *     none
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
    ClientValidationIr clientValidation,
    TlsSettingsIr tls,
    ConnectionManagerIr connectionManager,
    boolean http3,
    boolean disableRateLimitHeaders,
    HttpConnectionLimitsIr httpLimits,
    SocketIr socket) {
  /**
   * Listener socket and TCP settings ({@code connection.socketBufferLimit}, {@code timeout.tcp})
   * and {@code scheme}.
   *
   * @param socketBufferLimitBytes the kernel receive and send buffer size of each accepted socket
   *     (SO_RCVBUF, SO_SNDBUF), or null
   * @param tcpIdleTimeout how long a proxied TCP connection may carry no bytes either way before it
   *     is closed (the TCP proxy's idle timeout), or null for Envoy's hour
   * @param tlsHandshakeTimeout the time a connection has to finish the TLS handshake (the filter
   *     chain's transport socket connect timeout), or null for none
   * @param connectionInspectionTimeout the time the listener filters (TLS inspection, PROXY
   *     protocol …) may wait for a connection's first bytes, or null for Envoy's 15 seconds
   * @param scheme {@code MatchBackend} when the {@code :scheme} sent upstream follows the backend's
   *     transport (https with TLS, else http), {@code Preserve} to keep the client's (as without
   *     the setting), or null
   */
  public record SocketIr(
      Long socketBufferLimitBytes,
      io.eg4j.model.ir.DurationIr tcpIdleTimeout,
      io.eg4j.model.ir.DurationIr tlsHandshakeTimeout,
      io.eg4j.model.ir.DurationIr connectionInspectionTimeout,
      String scheme) {
    /** True when the scheme sent upstream follows the backend's transport. */
    public boolean schemeMatchBackend() {
      return "MatchBackend".equals(scheme);
    }
  }

  public ClientTrafficIr {
    IrValidation.requireName(policy, "client traffic policy");
    tls = tls == null ? TlsSettingsIr.DEFAULTS : tls;
  }

  /** This policy with other connection manager settings. */
  public ClientTrafficIr withConnectionManager(ConnectionManagerIr cm) {
    return new ClientTrafficIr(
        policy,
        clientIpDetection,
        tcpKeepalive,
        bufferLimitBytes,
        requestReceivedTimeout,
        idleTimeout,
        streamIdleTimeout,
        acceptHttp10,
        enableTrailers,
        clientValidation,
        tls,
        cm,
        http3,
        disableRateLimitHeaders,
        httpLimits,
        socket);
  }

  /**
   * TLS parameters of HTTPS listeners ({@code spec.tls}).
   *
   * @param minVersion the lowest TLS version, as Envoy names it ({@code TLSv1_2}, {@code TLS_AUTO})
   * @param maxVersion the highest TLS version, as Envoy names it
   * @param ciphers cipher suites for TLS 1.0 to 1.2; empty for Envoy's default
   * @param ecdhCurves ECDH curves; empty for Envoy's default
   * @param signatureAlgorithms signature algorithms; empty for Envoy's default
   * @param alpnProtocols the ALPN protocols offered; null for the listener's default (h2 and
   *     http/1.1), empty for none
   * @param statefulResumption true to allow session-id resumption
   * @param statelessResumption true to allow session-ticket resumption
   * @param fingerprints the client hello fingerprints the TLS inspector computes ({@code JA3},
   *     {@code JA4}); empty for none
   */
  public record TlsSettingsIr(
      String minVersion,
      String maxVersion,
      List<String> ciphers,
      List<String> ecdhCurves,
      List<String> signatureAlgorithms,
      List<String> alpnProtocols,
      boolean statefulResumption,
      boolean statelessResumption,
      List<String> fingerprints) {
    /** Envoy Gateway's defaults: TLS 1.2 to 1.3, no session resumption, no fingerprints. */
    public static final TlsSettingsIr DEFAULTS =
        new TlsSettingsIr("TLSv1_2", "TLSv1_3", null, null, null, null, false, false, null);

    public TlsSettingsIr {
      IrValidation.requireName(minVersion, "TLS minimum version");
      IrValidation.requireName(maxVersion, "TLS maximum version");
      ciphers = ciphers == null ? List.of() : List.copyOf(ciphers);
      ecdhCurves = ecdhCurves == null ? List.of() : List.copyOf(ecdhCurves);
      signatureAlgorithms =
          signatureAlgorithms == null ? List.of() : List.copyOf(signatureAlgorithms);
      alpnProtocols = alpnProtocols == null ? null : List.copyOf(alpnProtocols);
      fingerprints = fingerprints == null ? List.of() : List.copyOf(fingerprints);
    }
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
   * @param caCertificates the PEM bundle of the CAs a client certificate must chain to; may be
   *     empty when {@code acceptUntrusted}
   * @param optional true to let clients without a certificate in (one they present is still
   *     verified)
   * @param certificateHashes SHA-256 hashes (hex) of the accepted client certificates; empty for
   *     any
   * @param spkiHashes SHA-256 hashes (base64) of the accepted public keys; empty for any
   * @param subjectAltNames accepted subject alternative names; empty for any
   * @param allowExpired true to accept expired client certificates that are otherwise valid
   * @param crl PEM certificate revocation lists, or null
   * @param crlLeafOnly true to check only the client certificate against the CRLs
   * @param acceptUntrusted true to accept any client certificate without verifying its chain (mode
   *     {@code Request} and {@code RequireAny})
   */
  public record ClientValidationIr(
      String caCertificates,
      boolean optional,
      List<String> certificateHashes,
      List<String> spkiHashes,
      List<SanIr> subjectAltNames,
      boolean allowExpired,
      String crl,
      boolean crlLeafOnly,
      boolean acceptUntrusted) {
    public ClientValidationIr {
      certificateHashes = certificateHashes == null ? List.of() : List.copyOf(certificateHashes);
      spkiHashes = spkiHashes == null ? List.of() : List.copyOf(spkiHashes);
      subjectAltNames = subjectAltNames == null ? List.of() : List.copyOf(subjectAltNames);
      if ((caCertificates == null || caCertificates.isBlank()) && !acceptUntrusted) {
        throw new IllegalArgumentException("client validation needs CA certificates");
      }
    }
  }

  /**
   * A subject alternative name match.
   *
   * @param sanType {@code DNS}, {@code EMAIL}, {@code IP_ADDRESS}, {@code URI} or {@code
   *     OTHER_NAME}
   * @param matchType {@code Exact}, {@code Prefix}, {@code Suffix} or {@code RegularExpression}
   * @param value the value
   * @param oid for OTHER_NAME, the OID of the name; null otherwise
   */
  public record SanIr(String sanType, String matchType, String value, String oid) {
    public SanIr(String sanType, String matchType, String value) {
      this(sanType, matchType, value, null);
    }
  }
}
