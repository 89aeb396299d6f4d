package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import java.util.Map;
import java.util.TreeMap;

/**
 * Envoy Gateway's default access log: one JSON line per request on Envoy's standard output, with
 * the same fields, so log pipelines built for Envoy Gateway read eg4j's proxies unchanged. The
 * connection manager logs every request; the listener logs the connections no filter chain took
 * (response flag {@code NR}).
 */
final class AccessLogs {
  /** The fields of Envoy Gateway's default JSON format, as Envoy command operators. */
  static final Map<String, String> DEFAULT_JSON_FORMAT = defaultFormat();

  private AccessLogs() {}

  private static Map<String, String> defaultFormat() {
    Map<String, String> f = new TreeMap<>();
    f.put("start_time", "%START_TIME%");
    f.put("method", "%REQ(:METHOD)%");
    f.put("x-envoy-origin-path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%");
    f.put("protocol", "%PROTOCOL%");
    f.put("response_code", "%RESPONSE_CODE%");
    f.put("response_flags", "%RESPONSE_FLAGS%");
    f.put("response_code_details", "%RESPONSE_CODE_DETAILS%");
    f.put("connection_termination_details", "%CONNECTION_TERMINATION_DETAILS%");
    f.put("upstream_transport_failure_reason", "%UPSTREAM_TRANSPORT_FAILURE_REASON%");
    f.put("bytes_received", "%BYTES_RECEIVED%");
    f.put("bytes_sent", "%BYTES_SENT%");
    f.put("duration", "%DURATION%");
    f.put("x-envoy-upstream-service-time", "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%");
    f.put("x-forwarded-for", "%REQ(X-FORWARDED-FOR)%");
    f.put("user-agent", "%REQ(USER-AGENT)%");
    f.put("x-request-id", "%REQ(X-REQUEST-ID)%");
    f.put(":authority", "%REQ(:AUTHORITY)%");
    f.put("upstream_host", "%UPSTREAM_HOST%");
    f.put("upstream_cluster", "%UPSTREAM_CLUSTER%");
    f.put("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%");
    f.put("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%");
    f.put("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%");
    f.put("requested_server_name", "%REQUESTED_SERVER_NAME%");
    f.put("route_name", "%ROUTE_NAME%");
    return java.util.Collections.unmodifiableMap(f);
  }

  /** The default access log of a connection manager: every request. */
  static AccessLog http() {
    return AccessLog.newBuilder()
        .setName("envoy.access_loggers.file")
        .setTypedConfig(any(stdout()))
        .build();
  }

  /** The default access log of a listener: connections that matched no filter chain. */
  static AccessLog listener() {
    return http().toBuilder()
        .setFilter(
            AccessLogFilter.newBuilder()
                .setResponseFlagFilter(ResponseFlagFilter.newBuilder().addFlags("NR")))
        .build();
  }

  private static FileAccessLog stdout() {
    Struct.Builder json = Struct.newBuilder();
    DEFAULT_JSON_FORMAT.forEach(
        (k, v) -> json.putFields(k, Value.newBuilder().setStringValue(v).build()));
    return FileAccessLog.newBuilder()
        .setPath("/dev/stdout")
        .setLogFormat(SubstitutionFormatString.newBuilder().setJsonFormat(json))
        .build();
  }
}
