package io.eg4j.xds.core;

import static io.eg4j.xds.core.Protos.any;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.eg4j.model.ir.TelemetryIr;
import io.eg4j.model.ir.TelemetryIr.AccessLogIr;
import io.eg4j.model.ir.TelemetryIr.CustomTagIr;
import io.eg4j.model.ir.TelemetryIr.GrpcSinkIr;
import io.eg4j.model.ir.TelemetryIr.TracingIr;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.accesslog.v3.AndFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ExtensionFilter;
import io.envoyproxy.envoy.config.accesslog.v3.ResponseFlagFilter;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.trace.v3.DatadogConfig;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.config.trace.v3.Tracing;
import io.envoyproxy.envoy.config.trace.v3.ZipkinConfig;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.RequestIDExtension;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig;
import io.envoyproxy.envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig;
import io.envoyproxy.envoy.type.tracing.v3.CustomTag;
import io.envoyproxy.envoy.type.v3.Percent;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The EnvoyProxy telemetry in Envoy: its access logs replace the default one wherever eg4j logs
 * (listeners, HTTP connection managers, TCP and UDP proxies), and its tracing provider goes on
 * every HTTP connection manager, as Envoy Gateway configures them ({@code
 * internal/xds/translator/accesslog.go} and {@code tracing.go}). The collectors are clusters added
 * by {@link ClusterXdsTranslator}.
 *
 * <p>It runs after the listeners are built, on the finished resources, so that no listener builder
 * needs to know about telemetry: where the default access log is, the configured logs go.
 */
final class TelemetryXds {
  /** The OpenTelemetry access log's log name, as Envoy Gateway names it. */
  static final String OTEL_LOG_NAME = "otel_envoy_accesslog";

  private static final String CEL_FILTER = "envoy.access_loggers.extension_filters.cel";

  private TelemetryXds() {}

  /**
   * The listeners with the telemetry applied; unchanged when {@code telemetry} is null (Envoy
   * Gateway's defaults, which the listener builders already use).
   */
  static List<Listener> apply(List<Listener> listeners, TelemetryIr telemetry) {
    if (telemetry == null) {
      return listeners;
    }
    List<AccessLog> routeLogs = accessLogs(telemetry, false);
    List<AccessLog> listenerLogs = accessLogs(telemetry, true);
    HttpConnectionManager.Tracing tracing =
        telemetry.tracing() == null ? null : tracing(telemetry.tracing());
    RequestIDExtension requestId = requestIdExtension(telemetry.requestIdTracing());
    List<Listener> out = new ArrayList<>();
    for (Listener l : listeners) {
      // Only listeners eg4j logs on carry telemetry: the readiness listener has no access log.
      if (l.getAccessLogCount() == 0) {
        out.add(l);
        continue;
      }
      Listener.Builder b = l.toBuilder().clearAccessLog().addAllAccessLog(listenerLogs);
      for (FilterChain.Builder fc : b.getFilterChainsBuilderList()) {
        for (Filter.Builder f : fc.getFiltersBuilderList()) {
          f.setTypedConfig(withTelemetry(f.getTypedConfig(), routeLogs, tracing, requestId));
        }
      }
      if (b.hasDefaultFilterChain()) {
        for (Filter.Builder f : b.getDefaultFilterChainBuilder().getFiltersBuilderList()) {
          f.setTypedConfig(withTelemetry(f.getTypedConfig(), routeLogs, tracing, requestId));
        }
      }
      for (ListenerFilter.Builder f : b.getListenerFiltersBuilderList()) {
        if (f.getTypedConfig().is(UdpProxyConfig.class)) {
          UdpProxyConfig udp = unpack(f.getTypedConfig(), UdpProxyConfig.class);
          f.setTypedConfig(
              any(udp.toBuilder().clearAccessLog().addAllAccessLog(routeLogs).build()));
        }
      }
      out.add(b.build());
    }
    return out;
  }

  /**
   * The UUID request ID extension for an EnvoyProxy's {@code requestID.tracing}: whether the trace
   * decision is packed into the UUID and whether the request ID drives trace sampling; null (no
   * extension, Envoy's default of both) when not set.
   */
  static RequestIDExtension requestIdExtension(String tracing) {
    if (tracing == null) {
      return null;
    }
    boolean pack = tracing.equals("PackAndSample") || tracing.equals("Pack");
    boolean sample = tracing.equals("PackAndSample") || tracing.equals("Sample");
    return RequestIDExtension.newBuilder()
        .setTypedConfig(
            any(
                UuidRequestIdConfig.newBuilder()
                    .setPackTraceReason(com.google.protobuf.BoolValue.of(pack))
                    .setUseRequestIdForTraceSampling(com.google.protobuf.BoolValue.of(sample))
                    .build()))
        .build();
  }

  private static Any withTelemetry(
      Any config,
      List<AccessLog> logs,
      HttpConnectionManager.Tracing tracing,
      RequestIDExtension requestId) {
    if (config.is(HttpConnectionManager.class)) {
      HttpConnectionManager.Builder hcm =
          unpack(config, HttpConnectionManager.class).toBuilder().clearAccessLog();
      hcm.addAllAccessLog(logs);
      if (tracing != null) {
        hcm.setTracing(tracing);
      }
      if (requestId != null) {
        hcm.setRequestIdExtension(requestId);
      }
      return any(hcm.build());
    }
    if (config.is(TcpProxy.class)) {
      return any(
          unpack(config, TcpProxy.class).toBuilder()
              .clearAccessLog()
              .addAllAccessLog(logs)
              .build());
    }
    return config;
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any a, Class<T> type) {
    try {
      return a.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot read back " + type.getSimpleName(), e);
    }
  }

  /**
   * The access logs of a listener ({@code listener} true: connections no filter chain took) or of a
   * connection manager and proxy ({@code listener} false: every request or connection).
   */
  static List<AccessLog> accessLogs(TelemetryIr telemetry, boolean listener) {
    if (telemetry == null || telemetry.accessLogs() == null) {
      return List.of(listener ? AccessLogs.listener() : AccessLogs.http());
    }
    String wanted = listener ? "Listener" : "Route";
    List<AccessLog> out = new ArrayList<>();
    for (AccessLogIr a : telemetry.accessLogs()) {
      if (a.logType() != null && !a.logType().equals(wanted)) {
        continue;
      }
      // A log set for both is filtered to "no route" on the listener: the connection manager
      // already logs every request that found a filter chain.
      AccessLog.Builder log = AccessLog.newBuilder();
      AccessLogFilter filter = filter(a.matches(), listener && a.logType() == null);
      if (filter != null) {
        log.setFilter(filter);
      }
      switch (a.sink()) {
        case "File" -> log.setName("envoy.access_loggers.file").setTypedConfig(any(file(a)));
        case "HttpGrpc" ->
            log.setName("envoy.access_loggers.http_grpc")
                .setTypedConfig(
                    any(
                        HttpGrpcAccessLogConfig.newBuilder()
                            .setCommonConfig(common(a.grpc(), a.grpc().logName(), false))
                            .addAllAdditionalRequestHeadersToLog(a.grpc().requestHeaders())
                            .addAllAdditionalResponseHeadersToLog(a.grpc().responseHeaders())
                            .addAllAdditionalResponseTrailersToLog(a.grpc().responseTrailers())
                            .build()));
        case "TcpGrpc" ->
            log.setName("envoy.access_loggers.tcp_grpc")
                .setTypedConfig(
                    any(
                        TcpGrpcAccessLogConfig.newBuilder()
                            .setCommonConfig(common(a.grpc(), a.grpc().logName(), false))
                            .build()));
        case "OpenTelemetry" ->
            log.setName("envoy.access_loggers.open_telemetry").setTypedConfig(any(otel(a)));
        default -> throw new IllegalArgumentException("unknown access log sink " + a.sink());
      }
      out.add(log.build());
    }
    return out;
  }

  private static FileAccessLog file(AccessLogIr a) {
    SubstitutionFormatString.Builder format = SubstitutionFormatString.newBuilder();
    if (a.text() != null) {
      format.setTextFormatSource(DataSource.newBuilder().setInlineString(a.text()));
    } else {
      Map<String, String> fields =
          a.json() == null || a.json().isEmpty() ? AccessLogs.DEFAULT_JSON_FORMAT : a.json();
      Struct.Builder json = Struct.newBuilder();
      fields.forEach((k, v) -> json.putFields(k, Value.newBuilder().setStringValue(v).build()));
      format.setJsonFormat(json);
    }
    return FileAccessLog.newBuilder().setPath(a.path()).setLogFormat(format).build();
  }

  private static CommonGrpcAccessLogConfig common(
      GrpcSinkIr sink, String logName, boolean withAuthority) {
    GrpcService.EnvoyGrpc.Builder grpc =
        GrpcService.EnvoyGrpc.newBuilder().setClusterName(sink.destination().name());
    if (withAuthority && sink.authority() != null && !sink.authority().isEmpty()) {
      grpc.setAuthority(sink.authority());
    }
    CommonGrpcAccessLogConfig.Builder c =
        CommonGrpcAccessLogConfig.newBuilder()
            .setGrpcService(GrpcService.newBuilder().setEnvoyGrpc(grpc))
            .setTransportApiVersion(ApiVersion.V3);
    if (logName != null) {
      c.setLogName(logName);
    }
    return c.build();
  }

  private static OpenTelemetryAccessLogConfig otel(AccessLogIr a) {
    OpenTelemetryAccessLogConfig.Builder o =
        OpenTelemetryAccessLogConfig.newBuilder()
            .setCommonConfig(common(a.grpc(), OTEL_LOG_NAME, true))
            .setResourceAttributes(keyValues(a.grpc().resourceAttributes()));
    if (a.text() != null && !a.text().isEmpty()) {
      o.setBody(AnyValue.newBuilder().setStringValue(a.text()));
    }
    // The pod's namespace and name tag every record, as with Envoy Gateway (the fleet sets these
    // environment variables); the format's JSON fields come on top.
    Map<String, String> attributes = new TreeMap<>();
    attributes.put("k8s.namespace.name", "%ENVIRONMENT(ENVOY_POD_NAMESPACE)%");
    attributes.put("k8s.pod.name", "%ENVIRONMENT(ENVOY_POD_NAME)%");
    if (a.json() != null) {
      attributes.putAll(a.json());
    }
    o.setAttributes(keyValues(attributes));
    return o.build();
  }

  private static KeyValueList keyValues(Map<String, String> values) {
    KeyValueList.Builder l = KeyValueList.newBuilder();
    values.forEach(
        (k, v) ->
            l.addValues(
                KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v))));
    return l.build();
  }

  private static AccessLogFilter filter(List<String> matches, boolean noRouteOnly) {
    List<AccessLogFilter> filters = new ArrayList<>();
    for (String m : matches) {
      filters.add(
          AccessLogFilter.newBuilder()
              .setExtensionFilter(
                  ExtensionFilter.newBuilder()
                      .setName(CEL_FILTER)
                      .setTypedConfig(any(ExpressionFilter.newBuilder().setExpression(m).build())))
              .build());
    }
    if (noRouteOnly) {
      filters.add(
          AccessLogFilter.newBuilder()
              .setResponseFlagFilter(ResponseFlagFilter.newBuilder().addFlags("NR"))
              .build());
    }
    if (filters.isEmpty()) {
      return null;
    }
    if (filters.size() == 1) {
      return filters.get(0);
    }
    return AccessLogFilter.newBuilder()
        .setAndFilter(AndFilter.newBuilder().addAllFilters(filters))
        .build();
  }

  /**
   * The tracing of the connection managers: the provider calling its collector cluster, the
   * sampling rate as the random sampling (client-forced and overall sampling at 100%, as Envoy
   * Gateway sets them), the custom tags, a span per upstream request, and the spans' names.
   */
  static HttpConnectionManager.Tracing tracing(TracingIr t) {
    Tracing.Http.Builder http = Tracing.Http.newBuilder();
    String cluster = t.destination().name();
    switch (t.provider()) {
      case "OpenTelemetry" -> {
        GrpcService.EnvoyGrpc.Builder grpc =
            GrpcService.EnvoyGrpc.newBuilder().setClusterName(cluster);
        if (t.authority() != null && !t.authority().isEmpty()) {
          grpc.setAuthority(t.authority());
        }
        http.setName("envoy.tracers.opentelemetry")
            .setTypedConfig(
                any(
                    OpenTelemetryConfig.newBuilder()
                        .setGrpcService(GrpcService.newBuilder().setEnvoyGrpc(grpc))
                        .setServiceName(t.serviceName())
                        .build()));
      }
      case "Zipkin" ->
          http.setName("envoy.tracers.zipkin")
              .setTypedConfig(
                  any(
                      ZipkinConfig.newBuilder()
                          .setCollectorCluster(cluster)
                          .setCollectorEndpoint("/api/v2/spans")
                          .setTraceId128Bit(t.traceId128Bit())
                          .setSharedSpanContext(BoolValue.of(t.sharedSpanContext()))
                          .setCollectorEndpointVersion(
                              ZipkinConfig.CollectorEndpointVersion.HTTP_JSON)
                          .build()));
      case "Datadog" ->
          http.setName("envoy.tracers.datadog")
              .setTypedConfig(
                  any(
                      DatadogConfig.newBuilder()
                          .setCollectorCluster(cluster)
                          .setServiceName(t.serviceName())
                          .build()));
      default -> throw new IllegalArgumentException("unknown tracing provider " + t.provider());
    }
    HttpConnectionManager.Tracing.Builder out =
        HttpConnectionManager.Tracing.newBuilder()
            .setClientSampling(Percent.newBuilder().setValue(100))
            .setOverallSampling(Percent.newBuilder().setValue(100))
            .setRandomSampling(Percent.newBuilder().setValue(t.samplingRate()))
            .setProvider(http)
            .addAllCustomTags(customTags(t.customTags()))
            .setSpawnUpstreamSpan(BoolValue.of(true));
    if (t.spanName() != null) {
      NewerProtoFields.setString(
          out, NewerProtoFields.HCM_TRACING_OPERATION, t.spanName().client());
      NewerProtoFields.setString(
          out, NewerProtoFields.HCM_TRACING_UPSTREAM_OPERATION, t.spanName().server());
    }
    return out.build();
  }

  private static List<CustomTag> customTags(List<CustomTagIr> tags) {
    List<CustomTag> out = new ArrayList<>();
    for (CustomTagIr t : tags) {
      String dflt = t.defaultValue() == null ? "" : t.defaultValue();
      CustomTag.Builder c = CustomTag.newBuilder().setTag(t.tag());
      switch (t.type()) {
        case "Literal" -> c.setLiteral(CustomTag.Literal.newBuilder().setValue(t.value()));
        case "Environment" ->
            c.setEnvironment(
                CustomTag.Environment.newBuilder().setName(t.value()).setDefaultValue(dflt));
        case "RequestHeader" ->
            c.setRequestHeader(
                CustomTag.Header.newBuilder().setName(t.value()).setDefaultValue(dflt));
        default -> throw new IllegalArgumentException("unknown custom tag type " + t.type());
      }
      out.add(c.build());
    }
    return out;
  }
}
