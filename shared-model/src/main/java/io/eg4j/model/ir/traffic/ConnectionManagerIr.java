package io.eg4j.model.ir.traffic;

import java.util.List;

/**
 * The connection manager settings of a ClientTrafficPolicy: path normalization, request and
 * response headers, HTTP/2, the health check path and the request header size limit. Each field is
 * null (or empty) when the policy leaves Envoy Gateway's default.
 *
 * @param mergeSlashes false to keep repeated slashes in paths ({@code path.disableMergeSlashes})
 * @param escapedSlashesAction Envoy's {@code path_with_escaped_slashes_action} name, or null
 * @param enableEnvoyHeaders true to let the router add its {@code x-envoy-*} headers
 * @param underscoresAction Envoy's {@code headers_with_underscores_action} name, or null
 * @param generateRequestId whether Envoy generates an {@code x-request-id}, or null for default
 * @param preserveRequestId whether Envoy keeps the client's {@code x-request-id}, or null
 * @param earlyRequestHeaders request header changes made before routing, or null
 * @param lateResponseHeaders response header changes made last, or null
 * @param http2 HTTP/2 settings of downstream connections, or null
 * @param healthCheckPath a path the proxy answers itself with its health, or null
 * @param maxRequestHeadersKb the request header size limit in KiB, or null for Envoy's 60
 * @param xfccMode Envoy's {@code forward_client_cert_details} name, or null
 * @param xfccDetails the client certificate details to add ({@code Subject}, {@code Cert}, {@code
 *     Chain}, {@code DNS}, {@code URI})
 * @param stripTrailingHostDot true to remove a trailing dot from the Host header
 * @param http10DefaultHost the Host given to HTTP/1.0 requests without one (HTTP/1.0 is then
 *     accepted), or null
 * @param useDefaultHost true when the policy asks for {@code http10DefaultHost}; the listener's
 *     hostname or its routes' one hostname fills it in
 * @param preserveHeaderCase true to keep the case of HTTP/1.1 header names
 * @param ignoredUpgrades HTTP/1.1 Upgrade values that are ignored (the request is served as is)
 * @param http2Keepalive HTTP/2 PING keepalive of downstream connections, or null
 * @param maxAcceptPerSocketEvent connections accepted per socket event; 0 for no limit, null for
 *     Envoy Gateway's 1
 * @param proxyProtocol whether connections start with a PROXY protocol header: {@code Required},
 *     {@code Optional}, or null for none
 * @param grpcWeb true to bridge gRPC-Web requests to gRPC on every route ({@code grpc.enableWeb})
 * @param connectionLimit the most concurrent connections the listener keeps open, or null
 * @param connectionLimitCloseDelayMillis how long a connection over the limit waits before it is
 *     closed, or null to close it at once
 */
public record ConnectionManagerIr(
    Boolean mergeSlashes,
    String escapedSlashesAction,
    boolean enableEnvoyHeaders,
    String underscoresAction,
    Boolean generateRequestId,
    Boolean preserveRequestId,
    HeaderMutationIr earlyRequestHeaders,
    HeaderMutationIr lateResponseHeaders,
    Http2Ir http2,
    String healthCheckPath,
    Integer maxRequestHeadersKb,
    String xfccMode,
    List<String> xfccDetails,
    boolean stripTrailingHostDot,
    String http10DefaultHost,
    boolean useDefaultHost,
    boolean preserveHeaderCase,
    List<NameMatchIr> ignoredUpgrades,
    Http2KeepaliveIr http2Keepalive,
    Integer maxAcceptPerSocketEvent,
    String proxyProtocol,
    boolean grpcWeb,
    Long connectionLimit,
    Long connectionLimitCloseDelayMillis) {
  public ConnectionManagerIr {
    xfccDetails = xfccDetails == null ? List.of() : List.copyOf(xfccDetails);
    ignoredUpgrades = ignoredUpgrades == null ? List.of() : List.copyOf(ignoredUpgrades);
  }

  /** These settings with the HTTP/1.0 default host filled in. */
  public ConnectionManagerIr withHttp10DefaultHost(String host) {
    return new ConnectionManagerIr(
        mergeSlashes,
        escapedSlashesAction,
        enableEnvoyHeaders,
        underscoresAction,
        generateRequestId,
        preserveRequestId,
        earlyRequestHeaders,
        lateResponseHeaders,
        http2,
        healthCheckPath,
        maxRequestHeadersKb,
        xfccMode,
        xfccDetails,
        stripTrailingHostDot,
        host,
        useDefaultHost,
        preserveHeaderCase,
        ignoredUpgrades,
        http2Keepalive,
        maxAcceptPerSocketEvent,
        proxyProtocol,
        grpcWeb,
        connectionLimit,
        connectionLimitCloseDelayMillis);
  }

  /**
   * HTTP/2 keepalive: a PING every interval (with jitter), the connection closed when one is not
   * answered within the timeout.
   *
   * @param intervalMillis the PING interval, or null
   * @param timeoutMillis how long to wait for the answer, or null
   * @param intervalJitterPercent jitter added to the interval, or null
   * @param idleIntervalMillis a PING before using a connection idle this long, or null
   */
  public record Http2KeepaliveIr(
      Long intervalMillis,
      Long timeoutMillis,
      Integer intervalJitterPercent,
      Long idleIntervalMillis) {}

  /**
   * Header changes, applied in this order: add (appended), add if absent, set (replaces), remove by
   * name, remove by name match.
   *
   * @param add headers appended to any existing value
   * @param addIfAbsent headers added only when the message has none of that name
   * @param set headers that replace any existing value
   * @param remove header names to remove
   * @param removeOnMatch header name matchers; matching headers are removed
   */
  public record HeaderMutationIr(
      List<HeaderIr> add,
      List<HeaderIr> addIfAbsent,
      List<HeaderIr> set,
      List<String> remove,
      List<NameMatchIr> removeOnMatch) {
    public HeaderMutationIr {
      add = List.copyOf(add);
      addIfAbsent = List.copyOf(addIfAbsent);
      set = List.copyOf(set);
      remove = List.copyOf(remove);
      removeOnMatch = List.copyOf(removeOnMatch);
    }

    public boolean isEmpty() {
      return add.isEmpty()
          && addIfAbsent.isEmpty()
          && set.isEmpty()
          && remove.isEmpty()
          && removeOnMatch.isEmpty();
    }
  }

  /** A header name and value. */
  public record HeaderIr(String name, String value) {}

  /**
   * A header name matcher.
   *
   * @param type Exact, Prefix, Suffix or RegularExpression
   * @param value the value matched against the name
   */
  public record NameMatchIr(String type, String value) {}

  /**
   * HTTP/2 settings of downstream connections.
   *
   * @param initialStreamWindowSize bytes, or null for Envoy Gateway's 64 KiB
   * @param initialConnectionWindowSize bytes, or null for Envoy Gateway's 1 MiB
   * @param maxConcurrentStreams streams per connection, or null for Envoy Gateway's 100
   * @param terminateStreamOnInvalidMessage true to reset only the stream of an invalid message,
   *     false to close the connection, null for Envoy's default
   */
  public record Http2Ir(
      Integer initialStreamWindowSize,
      Integer initialConnectionWindowSize,
      Integer maxConcurrentStreams,
      Boolean terminateStreamOnInvalidMessage) {}
}
